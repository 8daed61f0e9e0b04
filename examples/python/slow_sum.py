"""A deliberately slow job for failure tests: sums 0..N-1 in many short tasks with a shuffle,
sleeping in each task so that the job runs long enough to kill or scale things under it.
Prints `RESULT <sum>` on success.

Usage: slow_sum.py [tasks] [seconds_per_task]
"""
import sys
import time

from pyspark.sql import SparkSession


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    spark = SparkSession.builder.appName("SlowSum").getOrCreate()
    sc = spark.sparkContext
    n = tasks * 1000

    def slow(it):
        time.sleep(pause)
        return it

    total = (
        sc.parallelize(range(n), tasks)
        .mapPartitions(slow)
        .map(lambda x: (x % 97, x))
        .reduceByKey(lambda a, b: a + b, tasks)
        .mapPartitions(slow)
        .values()
        .sum()
    )
    print(f"RESULT {total}")
    spark.stop()


if __name__ == "__main__":
    main()

"""Counts words with a shuffle and prints `word<TAB>count` lines, sorted, between markers.

Usage: wordcount.py <input> [partitions]
"""
import re
import sys

from pyspark.sql import SparkSession


def main() -> None:
    path = sys.argv[1]
    partitions = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    spark = SparkSession.builder.appName("PyWordCount").getOrCreate()
    counts = (
        spark.sparkContext.textFile(path, partitions)
        .flatMap(lambda line: re.split(r"[^a-z']+", line.lower()))
        .filter(lambda w: w != "")
        .map(lambda w: (w, 1))
        .reduceByKey(lambda a, b: a + b, partitions)
        .collect()
    )
    print("BEGIN WORDCOUNT")
    for word, count in sorted(counts):
        print(f"{word}\t{count}")
    print("END WORDCOUNT")
    spark.stop()


if __name__ == "__main__":
    main()

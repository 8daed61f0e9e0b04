package org.sparkplane.examples

import org.apache.spark.sql.SparkSession

/**
 * Counts words with a shuffle (reduceByKey over several partitions) and prints one
 * `word<TAB>count` line per word, sorted by word, between BEGIN/END markers.
 */
object WordCount {
  def main(args: Array[String]): Unit = {
    require(args.length >= 1, "usage: WordCount <input> [partitions]")
    val partitions = if (args.length > 1) args(1).toInt else 4
    val spark = SparkSession.builder().appName("WordCount").getOrCreate()
    val counts = spark.sparkContext
      .textFile(args(0), partitions)
      .flatMap(_.toLowerCase.split("[^a-z']+"))
      .filter(_.nonEmpty)
      .map(w => (w, 1L))
      .reduceByKey(_ + _, partitions)
      .collect()
      .sortBy(_._1)
    println("BEGIN WORDCOUNT")
    counts.foreach { case (w, c) => println(s"$w\t$c") }
    println("END WORDCOUNT")
    spark.stop()
  }
}

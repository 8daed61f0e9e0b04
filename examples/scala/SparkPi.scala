package org.sparkplane.examples

import scala.math.random

import org.apache.spark.sql.SparkSession

/** Estimates pi by throwing darts at the unit square: the classic SparkPi. */
object SparkPi {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().appName("SparkPi").getOrCreate()
    val slices = if (args.length > 0) args(0).toInt else 2
    val n = math.min(100000L * slices, Int.MaxValue).toInt
    val count = spark.sparkContext
      .parallelize(1 until n, slices)
      .map { _ =>
        val x = random() * 2 - 1
        val y = random() * 2 - 1
        if (x * x + y * y <= 1) 1 else 0
      }
      .reduce(_ + _)
    println(s"Pi is roughly ${4.0 * count / (n - 1)}")
    spark.stop()
  }
}

#!/usr/bin/env bash
# Builds the Scala examples into one jar with the Scala compiler that ships inside the Spark
# distribution itself (jars/scala-compiler-*.jar), so the jar matches that Spark's Scala line.
# Usage: examples/scala/build.sh SPARK_HOME OUT.jar
set -euo pipefail
spark_home=${1:?usage: build.sh SPARK_HOME OUT.jar}
out=${2:?usage: build.sh SPARK_HOME OUT.jar}
here=$(cd "$(dirname "$0")" && pwd)
compgen -G "$spark_home/jars/scala-compiler-*.jar" >/dev/null \
  || { echo "error: $spark_home/jars has no scala-compiler jar" >&2; exit 1; }
command -v jar >/dev/null || { echo "error: the 'jar' tool is missing: install a JDK (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
java_bin=${JAVA_HOME:+$JAVA_HOME/bin/}java
classes=$(mktemp -d)
trap 'rm -rf "$classes"' EXIT
"$java_bin" -Xss8m -cp "$spark_home/jars/*" scala.tools.nsc.Main -usejavacp -nowarn \
  -d "$classes" "$here"/*.scala
mkdir -p "$(dirname "$out")"
jar cf "$out.tmp" -C "$classes" .
mv "$out.tmp" "$out"
echo "built $out"

#!/usr/bin/env bash
# The main job, end to end: build sparkplane, install Spark (from its official PyPI package)
# if needed, bring up a 2-worker local cluster, run SparkPi on it, print the result, tear down.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${SPARK_VERSION:-4.3.0}

scripts/setup.sh
cargo build --release -q -p sparkplane
sp=target/release/sparkplane

"$sp" spark install "$version"
spark_home=$("$sp" spark home "$version")

# examples/spark-pi.yaml runs local:///opt/spark/examples/jars/sparkplane-examples.jar, where
# sparkplane's Spark image has it; locally /opt/spark/ is the Spark home, so the jar goes there.
jar=$spark_home/examples/jars/sparkplane-examples.jar
[ -f "$jar" ] || examples/scala/build.sh "$spark_home" "$jar"

trap '"$sp" cluster down demo >/dev/null 2>&1 || true' EXIT
"$sp" cluster up -f examples/cluster.yaml
"$sp" cluster status demo
"$sp" app submit -f examples/spark-pi.yaml --cluster demo --wait
"$sp" cluster down demo
trap - EXIT

#!/usr/bin/env bash
# Benchmark: SparkPi through `sparkplane app submit --wait` against plain `spark-submit` on the
# same local cluster, side by side in one run (runs interleaved so both see the same machine
# state). Prints a table and writes it to bench/results/local-submit.md.
#
# Usage: bench/local-submit.sh [RUNS] [SLICES]    (default 10 runs, SparkPi 10 slices)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
slices=${2:-10}
version=${SPARK_VERSION:-4.3.0}

scripts/setup.sh >/dev/null
cargo build --release -q -p sparkplane
sp=$PWD/target/release/sparkplane
export SPARKPLANE_HOME=${SPARKPLANE_HOME:-$(mktemp -d /tmp/sparkplane-bench.XXXXXX)}
"$sp" spark install "$version" >/dev/null
spark_home=$("$sp" spark home "$version")
scala=2.13; [[ $version == 3.* ]] && scala=2.12
jar=$PWD/examples/target/scala-$scala/sparkplane-examples.jar
[ -f "$jar" ] || examples/scala/build.sh "$spark_home" "$jar" >/dev/null

work=$(mktemp -d)
cat >"$work/cluster.yaml" <<YAML
apiVersion: sparkplane.io/v1alpha1
kind: SparkCluster
metadata: {name: bench}
spec:
  sparkVersion: "$version"
  workers: {replicas: 2, cores: 1, memory: 1g}
YAML
cat >"$work/pi.yaml" <<YAML
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: bench-pi}
spec:
  type: Scala
  sparkVersion: "$version"
  mainClass: org.sparkplane.examples.SparkPi
  mainApplicationFile: $jar
  arguments: ["$slices"]
  driver: {cores: 1, memory: 512m}
  executor: {cores: 1, instances: 2, memory: 512m}
YAML
trap '"$sp" cluster down bench >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$sp" cluster up -f "$work/cluster.yaml" >/dev/null
master=$("$sp" cluster status bench -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["masterUrl"])')
secret_props=$work/secret.properties
( umask 077; printf 'spark.authenticate.secret=%s\n' "$(cat "$SPARKPLANE_HOME/clusters/bench/secret")" >"$secret_props" )

now() { date +%s.%N; }
plain() {
  SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1 _SPARK_AUTH_SECRET=$(cat "$SPARKPLANE_HOME/clusters/bench/secret") \
    "$spark_home/bin/spark-submit" --properties-file "$secret_props" --master "$master" --deploy-mode client \
    --name bench-pi --class org.sparkplane.examples.SparkPi \
    --conf spark.authenticate=true --conf spark.driver.memory=512m --conf spark.executor.memory=512m \
    --conf spark.executor.cores=1 --conf spark.cores.max=2 "$jar" "$slices" 2>/dev/null >"$work/out"
  # Checked after the run: `grep -q` in a pipe would end the pipe early (SIGPIPE + pipefail).
  grep -q "Pi is roughly" "$work/out"
}
viasp() {
  "$sp" app submit -f "$work/pi.yaml" --cluster bench --wait 2>/dev/null >"$work/out"
  grep -q "Pi is roughly" "$work/out"
}

# One warm-up each (page cache, JIT of the launcher), not counted.
plain; viasp
declare -a tp ts
for ((i = 0; i < runs; i++)); do
  t0=$(now); plain; t1=$(now); viasp; t2=$(now)
  tp+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); ts+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
done
python3 - "$runs" "$slices" "$version" "${tp[*]}" "${ts[*]}" <<'PY' | tee bench/results/local-submit.md
import statistics, sys
runs, slices, version = sys.argv[1], sys.argv[2], sys.argv[3]
p = [float(x) for x in sys.argv[4].split()]
s = [float(x) for x in sys.argv[5].split()]
mp, ms = statistics.mean(p), statistics.mean(s)
dp, ds = statistics.median(p), statistics.median(s)
print(f"SparkPi ({slices} slices) on a local 2-worker cluster, Spark {version}, {runs} interleaved runs each")
print()
print("| | mean (s) | median (s) | min (s) | max (s) |")
print("|---|---|---|---|---|")
print(f"| spark-submit | {mp:.2f} | {dp:.2f} | {min(p):.2f} | {max(p):.2f} |")
print(f"| sparkplane app submit --wait | {ms:.2f} | {ds:.2f} | {min(s):.2f} | {max(s):.2f} |")
print()
print(f"ratio sparkplane / spark-submit: mean {ms/mp:.3f}, median {ds/dp:.3f}")
PY

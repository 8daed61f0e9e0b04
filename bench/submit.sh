#!/usr/bin/env bash
# Benchmark: `sparkplane submit` against the real `spark-submit` on the conformance cases, in one
# run, against the same Kubernetes API double; plus the builder alone.
#
#   bench/submit.sh [SPARK_VERSION] [SPARKPLANE_REPEATS]
#
# SPARK_VERSION (default 4.3.0) is installed with `sparkplane spark install` when missing.
# Every case is submitted once with spark-submit and SPARKPLANE_REPEATS times (default 20) with
# sparkplane, interleaved. Results: bench/results/submit.md (summarised in docs/benchmarks.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=${1:-4.3.0}
repeats=${2:-20}
cargo build -q --release -p sparkplane -p sparkplane-kube-double
target=${CARGO_TARGET_DIR:-$root/target}
bin=$target/release
# Installs when missing (a no-op otherwise); sparkplane itself says where the release lives.
"$bin/sparkplane" spark install "$version" >&2
spark_home=$("$bin/sparkplane" spark home "$version")
mkdir -p bench/results
python3 bench/submit_bench.py --sparkplane "$bin/sparkplane" --double "$bin/kube-double" \
  --spark-home "$spark_home" --version "$version" --repeats "$repeats" \
  --out bench/results/submit.md

#!/usr/bin/env bash
# Benchmarks of the operator against the Kubernetes API double, with the operator pinned to
# one core and the double (and this driver) on the other:
#
#   bench/operator.sh throughput [APPS]   applications submitted per minute (default 5000)
#   bench/operator.sh lag [MINUTES]       status lag while 1,000 applications/minute arrive
#   bench/operator.sh memory [APPS]       resident memory with APPS applications and 6 pods
#                                         each (default 10000: 60,000 pods)
#
# Results are appended to bench/results/operator.md (summarised in docs/benchmarks.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:?usage: bench/operator.sh throughput|lag|memory [N]}
shift
cargo build -q --release -p sparkplane -p sparkplane-kube-double
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p bench/results
python3 bench/operator_bench.py --sparkplane "$target/release/sparkplane" \
  --double "$target/release/kube-double" --out bench/results/operator.md "$what" "$@"

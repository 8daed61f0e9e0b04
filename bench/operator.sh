#!/usr/bin/env bash
# Benchmarks of the operator, with the operator pinned to one core.
#
# Against the Kubernetes API double (the double and this driver on the other core):
#
#   bench/operator.sh throughput [APPS]   applications submitted per minute (default 5000)
#   bench/operator.sh lag [MINUTES]       status lag while 1,000 applications/minute arrive
#   bench/operator.sh memory [APPS]       resident memory with APPS applications and 6 pods
#                                         each (default 10000: 60,000 pods)
#
# Against a real API server, the kube-lab cluster (docs/kube-lab.md), in namespaces bench-*
# that are deleted afterwards; the operator is our own process on the host, watching only them:
#
#   bench/operator.sh --kube KUBECONFIG throughput [APPS]  apply → driver pod (default 1000)
#   bench/operator.sh --kube KUBECONFIG lag [MINUTES]      status lag, phases moved by kwok
#                                                          (scripts/kube-lab.sh build-kwok)
#   bench/operator.sh --kube KUBECONFIG memory [APPS]      resident memory, APPS applications
#                                                          and 6 pods each (default 2000)
#   bench/operator.sh --kube KUBECONFIG spark [REPEATS]    real Spark: apply/submit → driver and
#                                                          first executor Running, for the
#                                                          operator, `sparkplane submit` and
#                                                          spark-submit, interleaved (default 3)
#
# Results are appended to bench/results/operator.md (double) or bench/results/operator-kube.md
# (real API server), and summarised in docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kube=
if [ "${1:-}" = --kube ]; then
  kube=${2:?usage: bench/operator.sh --kube KUBECONFIG throughput|lag|memory|spark [N]}
  shift 2
fi
what=${1:?usage: bench/operator.sh [--kube KUBECONFIG] throughput|lag|memory|spark [N]}
shift
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p bench/results
if [ -z "$kube" ]; then
  cargo build -q --release -p sparkplane -p sparkplane-kube-double
  exec python3 bench/operator_bench.py --sparkplane "$target/release/sparkplane" \
    --double "$target/release/kube-double" --out bench/results/operator.md "$what" "$@"
fi
cargo build -q --release -p sparkplane
lab_cache=${SPARKPLANE_KUBE_LAB_CACHE:-/var/cache/sparkplane-kube-lab}
extra=()
kwok=$lab_cache/bin/kwok-v0.8.0/kwok
if [ "$what" = lag ]; then
  if [ -x "$kwok" ]; then
    extra+=(--kwok "$kwok" --kwok-stages "$lab_cache/gomod/sigs.k8s.io/kwok@v0.8.0/kustomize/stage")
  else echo "bench: no kwok at $kwok (scripts/kube-lab.sh build-kwok): the script moves the phases" >&2; fi
fi
if [ "$what" = spark ]; then
  "$target/release/sparkplane" spark install 4.3.0 >&2
  extra+=(--spark-home "$("$target/release/sparkplane" spark home 4.3.0)")
fi
exec python3 bench/operator_bench.py --sparkplane "$target/release/sparkplane" --kube "$kube" \
  --kubectl "$lab_cache/bin/current/kubectl" "${extra[@]}" --out bench/results/operator-kube.md \
  "$what" "$@"

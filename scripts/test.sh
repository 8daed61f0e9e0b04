#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and the end-to-end tests on real Spark.
# Installs what it needs (JDK, python3, the Spark releases the tests run on).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

scripts/setup.sh
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")

# podsecurity-check (test/podsecurity-check, Go): kube-apiserver's own Pod Security admission
# policy, which checks every pod `render` and `submit` build. Exported before anything is
# compiled: crates/cli/build.rs turns that tier of tests on with it.
test/podsecurity-check/build.sh "$target/tools/podsecurity-check"
export SPARKPLANE_PODSECURITY_CHECK=$target/tools/podsecurity-check

cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
cargo build -q --workspace

# The end-to-end tests run on real Spark; install the releases they use (cached between runs).
sp=$target/debug/sparkplane
for v in 4.3.0 3.5.9; do
  "$sp" spark install "$v"
done

# kubernetes-validate (PyPI) checks every object `sparkplane submit` emits against the official
# Kubernetes schemas.
venv=$target/tools/venv
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q kubernetes-validate
fi
export SPARKPLANE_KUBERNETES_VALIDATE=$venv/bin/kubernetes-validate

# Record again, with the real spark-submit of the newest 3.5 and 4.x, what it creates for every
# conformance case; the conformance test compares sparkplane with these fresh recordings below
# (and with the checked-in recordings of every supported version).
fresh=$target/conformance-fresh
conformance/record.sh --out "$fresh" 3.5.9 4.3.0
# The checked-in recordings must be what spark-submit really creates.
for v in 3.5.9 4.3.0; do
  diff -r "conformance/expected/$v" "$fresh/$v" >/dev/null || {
    echo "error: conformance/expected/$v differs from a fresh recording ($fresh/$v); rerun conformance/record.sh" >&2
    exit 1
  }
done

# Unit tests first (fast), then the end-to-end tests one at a time: each brings up real Spark
# daemons, and the machines here have two cores.
cargo test -q --workspace --exclude sparkplane
cargo test -q -p sparkplane -- --test-threads=1
SPARKPLANE_CONFORMANCE_DIR=$fresh cargo test -q -p sparkplane --test conformance
# The API double agrees with a real API server (crates/kube-double/tests/agreement.rs, the
# `real::*` half): it runs against the kube lab (`sudo scripts/kube-lab.sh up`).
export SPARKPLANE_KUBE_LAB=${SPARKPLANE_KUBE_LAB:-/var/lib/sparkplane-kube-lab/admin.kubeconfig}
[ -r "$SPARKPLANE_KUBE_LAB" ] || {
  echo "error: SPARKPLANE_KUBE_LAB=$SPARKPLANE_KUBE_LAB: no readable kubeconfig of a running kube lab; start one with sudo scripts/kube-lab.sh up" >&2
  exit 1
}
cargo test -q -p sparkplane-kube-double --test agreement -- --ignored
echo "test suite finished in $(( $(date +%s) - start )) s"

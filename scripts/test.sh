#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests, the end-to-end tests on real Spark, the
# images, and the real-cluster tier on a one-node Kubernetes built from source. Installs what it
# needs (JDK, python3, the Spark releases the tests run on, Debian's containerd and image tools;
# Go must be there). Runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

scripts/setup.sh
# One build from scratch (CI's is a fresh clone): incremental caches only cost time and disk.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")

# podsecurity-check (test/podsecurity-check, Go): kube-apiserver's own Pod Security admission
# policy, which checks every pod `render` and `submit` build. Exported before anything is
# compiled: crates/cli/build.rs turns that tier of tests on with it.
test/podsecurity-check/build.sh "$target/tools/podsecurity-check"
export SPARKPLANE_PODSECURITY_CHECK=$target/tools/podsecurity-check

cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
cargo build -q --workspace

# The real-cluster tier's upstream components (Kubernetes, etcd, CoreDNS, helm, crictl) are
# built from source in the background, at low priority, while the steps below record
# conformance and run real Spark: on a fresh machine that is a quarter of an hour of compiling,
# and those steps leave cores idle while they wait on JVMs. A warm cache makes it a no-op.
lab_build_log=$target/kube-lab-build.log
mkdir -p "$target"
nice -n 10 scripts/kube-lab.sh build >"$lab_build_log" 2>&1 &
lab_build=$!
# A failing step below must not leave the build compiling after the run ends.
trap 'pkill -P "$lab_build" 2>/dev/null; kill "$lab_build" 2>/dev/null || true' EXIT

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

# The container images (docs/images.md): built from deploy/images with buildah, cached under
# /var/cache/sparkplane-kube-lab, then each run with runc. Needs root.
scripts/images.sh test --spark-version 4.3.0 --spark-version 3.5.9 --operator --pause \
  --binary "$sp" --out "$target/images"

# Unit tests first (fast), then the end-to-end tests one at a time: each brings up real Spark
# daemons, and the machines here have two cores.
cargo test -q --workspace --exclude sparkplane
cargo test -q -p sparkplane -- --test-threads=1
SPARKPLANE_CONFORMANCE_DIR=$fresh cargo test -q -p sparkplane --test conformance

# The real-cluster tier (docs/kube-lab.md): a one-node Kubernetes built from upstream source
# (cached under /var/cache/sparkplane-kube-lab), the images above imported into its node, and
# the tests that need it (`--ignored` runs exactly those; SPARKPLANE_KUBE_LAB turns them on).
# `down` must leave the host as `up` found it: the fingerprints before and after must agree.
wait "$lab_build" || {
  cat "$lab_build_log" >&2
  echo "error: scripts/kube-lab.sh build failed (log above, also in $lab_build_log)" >&2
  exit 1
}
lab=$target/kube-lab
mkdir -p "$lab"
scripts/images.sh build --spark-version 4.3.0 --operator --pause --binary "$sp" --out "$target/images" \
  >"$lab/images"
# A lab left by a run that was killed is taken down first: its processes are gone, but not
# its interfaces, mounts and rules.
scripts/kube-lab.sh down
scripts/kube-lab.sh fingerprint >"$lab/host-before"
trap 'scripts/kube-lab.sh down || true' EXIT
kubeconfig=$(scripts/kube-lab.sh up | sed -n 's/^KUBECONFIG=//p')
# shellcheck disable=SC2046 # one archive per line, paths without spaces
scripts/kube-lab.sh load-image $(awk '$1 == "IMAGE" {print $3}' "$lab/images")
export SPARKPLANE_KUBE_LAB=$kubeconfig SPARKPLANE_KUBE_LAB_BIN
SPARKPLANE_KUBE_LAB_BIN=$(scripts/kube-lab.sh bin)
lab_start=$(date +%s)
cargo test -q -p sparkplane --test real_cluster -- --ignored --test-threads=1
# The API double agrees with the real API server (crates/kube-double/tests/agreement.rs: the
# same scenarios run on both; `--ignored` runs the real server's half).
cargo test -q -p sparkplane-kube-double --test agreement -- --ignored
echo "real-cluster tier: $(( $(date +%s) - lab_start )) s"
scripts/kube-lab.sh down
trap - EXIT
scripts/kube-lab.sh fingerprint >"$lab/host-after"
diff -u "$lab/host-before" "$lab/host-after" || {
  echo "error: scripts/kube-lab.sh down left the host changed (above)" >&2
  exit 1
}
echo "test suite finished in $(( $(date +%s) - start )) s"

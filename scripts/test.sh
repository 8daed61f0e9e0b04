#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and the end-to-end tests on real Spark.
# Installs what it needs (JDK, python3, the Spark releases the tests run on).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

scripts/setup.sh
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
cargo build -q --workspace

# The end-to-end tests run on real Spark; install the releases they use (cached between runs).
sp=target/debug/sparkplane
for v in 4.3.0 3.5.9; do
  "$sp" spark install "$v"
done

# Unit tests first (fast), then the end-to-end tests one at a time: each brings up real Spark
# daemons, and the machines here have two cores.
cargo test -q --workspace --exclude sparkplane
cargo test -q -p sparkplane -- --test-threads=1
echo "test suite finished in $(( $(date +%s) - start )) s"

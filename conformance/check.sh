#!/usr/bin/env bash
# One command for the whole conformance suite on this machine:
#
#   conformance/check.sh [VERSION ...]
#
# records every case with the real spark-submit of each version (default: every supported
# version in conformance/versions, installed from PyPI when missing), then checks that
# `sparkplane submit` creates exactly the same objects. Takes about 3 minutes per version on two
# cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$root/conformance/record.sh" --out "$out" "$@"
cd "$root"
SPARKPLANE_CONFORMANCE_DIR=$out cargo test -q -p sparkplane --test conformance

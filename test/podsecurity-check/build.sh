#!/usr/bin/env bash
# Builds podsecurity-check (the Pod Security admission's own policy package, pinned in go.mod)
# into the file given as the first argument. Modules and build cache live outside the work tree.
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh OUTPUT}")
cd "$(dirname "$0")"
command -v go >/dev/null 2>&1 || {
  echo "error: test/podsecurity-check needs Go 1.26 or later (go.mod); install it and rerun" >&2
  exit 1
}
cache=${SPARKPLANE_GO_CACHE:-/var/cache/sparkplane-kube-lab}
export GOMODCACHE=$cache/gomod GOCACHE=$cache/gobuild GOFLAGS=-mod=readonly
mkdir -p "$(dirname "$out")"
go build -p 1 -trimpath -o "$out" .

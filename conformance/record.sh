#!/usr/bin/env bash
# Records what the real spark-submit creates for every conformance case.
#
#   conformance/record.sh [--out DIR] [VERSION ...]
#   RECORD_CASES="58-a 59-b" conformance/record.sh ...   # only these cases (others kept)
#
# For each Spark version (default: every line in conformance/versions) and each case in
# conformance/cases, runs that version's own spark-submit (installed from PyPI with
# `sparkplane spark install`) against the Kubernetes API double, and writes the normalised
# requests to DIR/<version>/<case>.json (default DIR: conformance/expected).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=$target/debug

if [[ "${1:-}" == "--one" ]]; then
  # Internal: record one (version, case, out) triple.
  v=$2 case=$3 out=$4 spark_home=$5
  dir=$root/conformance/cases/$case
  tmp=$(mktemp -d)
  trap 'kill "$double_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
  "$bin/kube-double" --record "$tmp/rec.jsonl" --url-file "$tmp/url" &
  double_pid=$!
  for _ in $(seq 100); do [[ -s "$tmp/url" ]] && break; sleep 0.05; done
  url=$(cat "$tmp/url")
  mapfile -t common < <(sed "s|@URL@|${url}|" "$root/conformance/common-args")
  mapfile -t args < "$dir/args"
  mkdir -p "$tmp/conf"
  conf=$tmp/conf
  [[ -d "$dir/conf" ]] && conf=$dir/conf
  # The case's env file: `KEY=VALUE` lines set (or override) a variable, `-u KEY` lines unset
  # one (applied last, by a second `env`, so they also remove the defaults below).
  extra_env=() unset_env=()
  if [[ -f "$dir/env" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      case $line in
        "-u "*) unset_env+=(-u "${line#-u }") ;;
        *=*) extra_env+=("$line") ;;
      esac
    done < "$dir/env"
  fi
  if ! (cd "$dir" && env -u HADOOP_CONF_DIR -u SPARK_LOCAL_DIRS -u SPARK_CONF_DIR -u SPARK_HOME \
        -u HADOOP_USER_NAME \
        LC_ALL=C.UTF-8 LANG=C.UTF-8 SPARK_USER=conformance SPARK_CONF_DIR="$conf" KUBECONFIG="$tmp/no-kubeconfig" \
        "${extra_env[@]}" env "${unset_env[@]}" "$spark_home/bin/spark-submit" "${common[@]}" "${args[@]}") \
        > "$tmp/log" 2>&1; then
    echo "spark-submit $v failed on case $case:" >&2
    tail -20 "$tmp/log" >&2
    exit 1
  fi
  mkdir -p "$out/$v"
  "$bin/conformance-normalize" "$tmp/rec.jsonl" > "$out/$v/$case.json"
  echo "recorded $v $case"
  exit 0
fi

out=$root/conformance/expected
if [[ "${1:-}" == "--out" ]]; then out=$2; shift 2; fi
versions=("$@")
[[ ${#versions[@]} -eq 0 ]] && mapfile -t versions < "$root/conformance/versions"

cargo build -q -p sparkplane -p sparkplane-kube-double -p sparkplane-conformance
jobs=()
for v in "${versions[@]}"; do
  # Installs when missing (a no-op otherwise); sparkplane itself says where the release lives.
  "$bin/sparkplane" spark install "$v" >&2
  spark_home=$("$bin/sparkplane" spark home "$v")
  # A full recording replaces the version's directory; RECORD_CASES replaces only its cases.
  [[ -z "${RECORD_CASES:-}" ]] && rm -rf "${out:?}/$v"
  for c in "$root"/conformance/cases/*/; do
    c=$(basename "$c")
    if [[ -n "${RECORD_CASES:-}" ]]; then
      [[ " $RECORD_CASES " == *" $c "* ]] || continue
    fi
    jobs+=("$v $c $out $spark_home")
  done
done
# Two at a time: each spark-submit is a JVM that keeps a core busy for a few seconds.
printf '%s\n' "${jobs[@]}" | xargs -P "${RECORD_JOBS:-2}" -L 1 "$0" --one
echo "recorded ${#jobs[@]} submissions into $out"

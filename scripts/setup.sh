#!/usr/bin/env bash
# Installs what sparkplane's build, examples and tests need on a fresh Debian machine that has
# only the Rust toolchain: a JDK 17 (Spark runs on it; `jar` packs the Scala examples),
# python3 (PySpark drivers and workers) with venv (the tests install kubernetes-validate from
# PyPI into one). Idempotent; only installs what is missing.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v jar >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "error: missing ${need[*]}; install them (apt-get install ${need[*]}) and rerun" >&2
    exit 1
  fi
  echo "installing ${need[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
java -version 2>&1 | head -1

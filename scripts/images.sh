#!/usr/bin/env bash
# sparkplane's container images, built without a registry and without a Docker daemon.
#
#   scripts/images.sh build [--spark-version V]... [--operator] [--pause] --out DIR
#                           [--binary PATH | --cargo-profile P]
#       Builds each image from deploy/images/*/Dockerfile (and test/kube-lab/pause/Dockerfile)
#       and writes one docker-archive per image into DIR, which `ctr -n k8s.io images import`
#       takes; prints `IMAGE <name:tag> <archive>` per image.
#   scripts/images.sh test [same options]
#       Builds as above, then checks every image by running it with runc (no Kubernetes).
#   scripts/images.sh context --spark-version V --out DIR [--binary PATH | --cargo-profile P]
#       Stages the Spark image's build context in DIR, for `docker build` (docs/images.md).
#
# How: the base file systems come from mmdebstrap (Debian bookworm, minbase, the Debian
# sources this machine's apt uses) and are imported into a private buildah storage; then
# `buildah bud` builds the same Dockerfiles a Docker user builds, with that base as BASE and no
# network. Bases, example jars and finished archives are cached under
# $SPARKPLANE_KUBE_LAB_CACHE (default /var/cache/sparkplane-kube-lab), each keyed by a hash of
# its inputs, so a run whose inputs did not change only links the cached archives into DIR.
# Needs root; installs the Debian packages it needs when they are missing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${SPARKPLANE_KUBE_LAB_CACHE:-/var/cache/sparkplane-kube-lab}
cache=$cache_root/images
# overlay: measured faster than vfs here (docs/images.md); vfs works where overlay mounts fail.
storage_driver=${SPARKPLANE_IMAGES_STORAGE_DRIVER:-overlay}
B=(buildah --root "$cache_root/buildah/$storage_driver/root"
  --runroot "$cache_root/buildah/$storage_driver/runroot" --storage-driver "$storage_driver")
suite=bookworm

die() {
  echo "error: $*" >&2
  exit 1
}
log() { echo "images: $*" >&2; }

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# Options

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
spark_versions=()
want_operator=0
want_pause=0
out=
binary=
cargo_profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --spark-version) spark_versions+=("${2:?--spark-version needs a version}"); shift 2 ;;
    --operator) want_operator=1; shift ;;
    --pause) want_pause=1; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --cargo-profile) cargo_profile=${2:?--cargo-profile needs a profile}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown option $1 (see scripts/images.sh --help)" ;;
  esac
done
case "$cmd" in
  build | test | context) ;;
  -h | --help) usage ;;
  *) die "unknown command '$cmd': expected build, test or context" ;;
esac
[ -n "$out" ] || die "--out DIR is required"
for v in "${spark_versions[@]}"; do
  [[ $v =~ ^(3\.5|4\.[0-3])\.[0-9]+$ ]] || die "--spark-version $v: expected X.Y.Z of Spark 3.5 or 4.0-4.3"
done
if [ "$cmd" = context ]; then
  [ ${#spark_versions[@]} = 1 ] && [ $want_operator = 0 ] && [ $want_pause = 0 ] \
    || die "context stages one Spark image: context --spark-version V --out DIR"
fi
((${#spark_versions[@]} + want_operator + want_pause > 0)) \
  || die "nothing to build: give --spark-version V, --operator and/or --pause"
if [ "$cmd" != context ]; then
  [ "$(id -u)" = 0 ] || die "run as root: mmdebstrap, buildah's storage under $cache_root and runc need it"
fi

# ---------------------------------------------------------------------------------------------
# Tools

# Installs the Debian packages whose probe fails; apt-get runs only when something is missing.
ensure_packages() {
  local need=() pkg probe
  while [ $# -gt 0 ]; do
    pkg=$1 probe=$2
    shift 2
    bash -c "$probe" >/dev/null 2>&1 || need+=("$pkg")
  done
  ((${#need[@]})) || return 0
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}: install them (apt-get install ${need[*]}) and rerun"
  log "installing ${need[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

pkgs=()
if [ "$cmd" != context ]; then
  pkgs+=(buildah 'command -v buildah' skopeo 'command -v skopeo' jq 'command -v jq')
fi
if [ "$cmd" != context ] && { ((${#spark_versions[@]})) || [ $want_operator = 1 ]; }; then
  pkgs+=(mmdebstrap 'command -v mmdebstrap')
fi
if ((${#spark_versions[@]})); then
  # `jar` packs the example jar (examples/scala/build.sh).
  pkgs+=(openjdk-17-jdk-headless 'command -v jar')
fi
if [ $want_pause = 1 ] || [ $want_operator = 1 ]; then
  pkgs+=(gcc 'command -v gcc' libc6-dev '[ -f /usr/include/stdio.h ]' binutils 'command -v strip')
fi
if [ "$cmd" = test ]; then
  pkgs+=(runc 'command -v runc' umoci 'command -v umoci')
fi
if ((${#pkgs[@]})); then
  ensure_packages "${pkgs[@]}"
fi

if [ "$cmd" = context ]; then
  # Staging a context for Docker needs none of the cache: the example jar is built in place.
  work=$(mktemp -d)
  examples_cache=$work
else
  mkdir -p "$cache"/{bases,examples,archives,tmp} "$cache_root/buildah"
  # One build at a time per machine: runs share the cache and buildah's storage.
  exec 9>"$cache/.lock"
  flock 9
  rm -rf "$cache"/tmp/run.* # left by a run that was killed
  work=$(mktemp -d "$cache/tmp/run.XXXXXX")
  examples_cache=$cache/examples
fi
runc_root=/run/sparkplane-images-test
R=(runc --root "$runc_root")
# On any exit: the test containers of this run (a failed check may leave one running) and
# the scratch directory go.
cleanup() {
  local id
  if [ -d "$runc_root" ]; then
    for id in $("${R[@]}" list -q 2>/dev/null | grep "^spimg-$$-"); do
      "${R[@]}" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

sp_bin=
hash_text() { sha256sum | cut -c1-16; }

# Hard link when possible (same file system), else copy.
link_or_copy() {
  rm -f "$2"
  ln "$1" "$2" 2>/dev/null || cp "$1" "$2"
}

# ---------------------------------------------------------------------------------------------
# The sparkplane binary (the operator image; `spark install` for the Spark images)

sparkplane_binary() {
  if [ -n "$sp_bin" ]; then
    echo "$sp_bin"
    return
  fi
  if [ -n "$binary" ]; then
    [ -x "$binary" ] || die "--binary $binary: not an executable file"
    realpath "$binary"
    return
  fi
  command -v cargo >/dev/null || die "cargo is not installed: install the Rust toolchain or pass --binary PATH"
  log "cargo build -j1 --profile $cargo_profile -p sparkplane"
  (cd "$repo" && cargo build -q -j1 --profile "$cargo_profile" -p sparkplane) >&2
  local dir=$cargo_profile
  [ "$dir" = dev ] && dir=debug
  realpath "$(cd "$repo" && realpath -m "${CARGO_TARGET_DIR:-target}")/$dir/sparkplane"
}

# ---------------------------------------------------------------------------------------------
# Base images: mmdebstrap root file systems, imported into buildah's storage

# The Debian sources this machine's apt uses, as one-line entries (from apt's own view, so
# deb822 and one-line files, mirrors and snapshots all count; other vendors' sources do not).
debian_sources() {
  apt-cache policy | awk -v suite="$suite" '
    $1 ~ /^[0-9]+$/ && $2 ~ /:\/\// && $NF == "Packages" { uri = $2; n = split($3, sc, "/"); pending = 1; next }
    pending && $1 == "release" {
      if ($0 ~ /[ ,]o=Debian,/ && (sc[1] == suite || index(sc[1], suite "-") == 1)) print "deb " uri " " sc[1] " " sc[2]
      pending = 0
    }' | sort -u
}

# The packages of each base (comma-separated, for mmdebstrap --include).
declare -A base_packages=(
  [spark]="openjdk-17-jre-headless,python3,tini,procps,bash,ca-certificates"
  [operator]="ca-certificates"
)

# base_recipe NAME: sets mm (the mmdebstrap command line), sources and base_ref (the buildah
# image name, keyed by both) for base NAME.
base_recipe() {
  local name=$1 key
  mapfile -t sources < <(debian_sources)
  # The merged-usr hook makes /usr merged the way debootstrap does, instead of installing the
  # usrmerge package, which would pull perl (50 MB) into every base.
  # shellcheck disable=SC2016 # "$1" is the chroot, expanded by mmdebstrap when it runs the hook
  mm=(mmdebstrap --quiet --variant=minbase --format=tar "--include=${base_packages[$name]}"
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Languages "none"'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --essential-hook='mkdir -p "$1/usr/share/man/man1"'
    "$suite")
  key=$(printf '%s\n' "${mm[@]}" "${sources[@]}" | hash_text)
  base_ref=localhost/sparkplane-lab/base-$name:$key
}

# The buildah image name of base NAME (nothing is built: a cached archive needs no base).
base_image() {
  base_recipe "$1"
  echo "$base_ref"
}

# Makes base NAME exist in buildah's storage: its root file system from mmdebstrap (cached
# as a tarball), imported as a one-layer image.
ensure_base() {
  local name=$1 tar
  base_recipe "$name"
  "${B[@]}" inspect --type image "$base_ref" >/dev/null 2>&1 && return 0
  tar=$cache/bases/$name-${base_ref##*:}.tar
  if [ ! -f "$tar" ]; then
    ((${#sources[@]})) || log "apt knows no Debian $suite sources (apt-get update?); mmdebstrap uses its default Debian mirror"
    log "mmdebstrap $name base (${base_packages[$name]}) ..."
    local t0=$SECONDS
    "${mm[@]}" "$tar.partial" "${sources[@]}" >"$work/mmdebstrap-$name.log" 2>&1 \
      || die "mmdebstrap of the $name base failed: $(tail -20 "$work/mmdebstrap-$name.log")"
    mv "$tar.partial" "$tar"
    log "mmdebstrap $name base: $((SECONDS - t0)) s, $(du -m "$tar" | cut -f1) MB"
  fi
  local c
  c=$("${B[@]}" from --pull=never scratch)
  "${B[@]}" add --quiet "$c" "$tar" / >/dev/null
  "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash --label "org.opencontainers.image.description=Debian $suite minbase + ${base_packages[$name]}" "$c"
  "${B[@]}" commit --quiet --rm --format docker "$c" "$base_ref" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Building one image from a Dockerfile and exporting it

# build_archive NAME:TAG CONTEXT KEY BASE [bud options...]: builds CONTEXT/Dockerfile on base
# BASE (a name in base_packages, or - for none) unless the archive for KEY is cached, and
# prints the cached archive's path.
build_archive() {
  local ref=$1 ctx=$2 key=$3 base=$4
  shift 4
  local archive
  archive=$cache/archives/$(echo "$ref" | tr '/:' '--')-$key.tar
  if [ ! -f "$archive" ]; then
    log "building $ref ..."
    local t0=$SECONDS tag=docker.io/$ref
    [ "$base" = - ] || ensure_base "$base"
    "${B[@]}" bud --quiet --pull-never --isolation chroot --format docker --layers=false \
      "$@" -t "$tag" -f "$ctx/Dockerfile" "$ctx" >/dev/null
    rm -f "$archive.partial"
    "${B[@]}" push --quiet "$tag" "docker-archive:$archive.partial:$tag"
    mv "$archive.partial" "$archive"
    # The archive is the cache: the image itself need not stay in buildah's storage.
    # Intermediate stages leave working containers behind; this storage is ours alone (and
    # locked), so everything but the bases goes.
    "${B[@]}" rm --all >/dev/null
    "${B[@]}" rmi "$tag" >/dev/null
    "${B[@]}" rmi --prune >/dev/null
    log "built $ref in $((SECONDS - t0)) s: $(du -m "$archive" | cut -f1) MB"
  fi
  echo "$archive"
}

# The part of an image's key that covers its whole build context and its build options: every
# file by path, size and mode (a Spark distribution is 400 MB of jars; hashing their content
# on every run would cost seconds, and path and size identify an official release). The
# builders add the content hashes of the files they own.
context_key() {
  local ctx=$1
  shift
  {
    (cd "$ctx" && find . -type f -printf '%P %s %m\n' | LC_ALL=C sort)
    printf '%s\n' "$@"
  } | hash_text
}

# ---------------------------------------------------------------------------------------------
# Spark

# The SPARK_HOME of Spark $1, installed with `sparkplane spark install` when missing.
spark_home() {
  local v=$1 sp home
  sp=$(sparkplane_binary)
  "$sp" spark install "$v" >&2
  home=$("$sp" spark home "$v") || die "sparkplane spark home $v failed"
  [ -x "$home/bin/spark-submit" ] || die "no bin/spark-submit in $home (the SPARK_HOME of $v)"
  echo "$home"
}

# Stages the Spark image's build context for version $1 in $2. The distribution is hard-linked
# when it shares the file system (nothing in the context is modified, only read).
stage_spark_context() {
  local v=$1 ctx=$2 home src_key jar
  home=$(spark_home "$v")
  mkdir -p "$ctx"
  cp "$repo/deploy/images/spark/"{Dockerfile,entrypoint.sh,decom.sh} "$ctx/"
  cp -al "$home" "$ctx/spark" 2>/dev/null || cp -a "$home" "$ctx/spark"
  # The example jar, compiled by the Scala compiler inside this Spark (cached per version and
  # sources).
  src_key=$(cat "$repo/examples/scala/build.sh" "$repo"/examples/scala/*.scala | hash_text)
  jar=$examples_cache/$v-$src_key.jar
  if [ ! -f "$jar" ]; then
    log "compiling the Scala examples for Spark $v ..."
    "$repo/examples/scala/build.sh" "$home" "$jar.partial" >&2
    mv "$jar.partial" "$jar"
  fi
  link_or_copy "$jar" "$ctx/sparkplane-examples.jar"
}

build_spark() {
  local v=$1 base ctx key
  base=$(base_image spark)
  ctx=$work/spark-$v
  stage_spark_context "$v" "$ctx"
  local args=(--build-arg "BASE=$base" --build-arg "SPARK_VERSION=$v")
  key=$(
    {
      context_key "$ctx" "${args[@]}"
      sha256sum "$ctx"/{Dockerfile,entrypoint.sh,decom.sh,sparkplane-examples.jar} | cut -c1-64
    } | hash_text
  )
  build_archive "sparkplane/spark:$v" "$ctx" "$key" spark "${args[@]}"
}

# ---------------------------------------------------------------------------------------------
# Operator and pause

workspace_version() {
  awk '/^\[workspace.package\]/ { p = 1; next } /^\[/ { p = 0 } p && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' \
    "$repo/Cargo.toml"
}

build_operator() {
  local version base ctx sp key
  version=$(workspace_version)
  [ -n "$version" ] || die "$repo/Cargo.toml: [workspace.package] version not found"
  base=$(base_image operator)
  sp=$(sparkplane_binary)
  ctx=$work/operator
  mkdir -p "$ctx"
  cp "$repo/deploy/images/operator/Dockerfile" "$ctx/"
  # Debug info stays on the host; the image gets the stripped binary.
  strip --strip-debug -o "$ctx/sparkplane" "$sp"
  local args=(--build-arg "BASE=$base" --build-arg BINARY_FROM=context)
  key=$(
    {
      context_key "$ctx" "${args[@]}"
      sha256sum "$ctx/Dockerfile" "$ctx/sparkplane" | cut -c1-64
    } | hash_text
  )
  build_archive "sparkplane/operator:$version" "$ctx" "$key" operator "${args[@]}"
}

build_pause() {
  local ctx=$work/pause key
  mkdir -p "$ctx"
  cp "$repo/test/kube-lab/pause/Dockerfile" "$ctx/"
  gcc -Os -Wall -Werror -static -s -o "$ctx/pause" "$repo/test/kube-lab/pause/pause.c"
  key=$(
    {
      sha256sum "$ctx/Dockerfile" "$repo/test/kube-lab/pause/pause.c" | cut -c1-64
      gcc --version | head -1
    } | hash_text
  )
  build_archive "sparkplane-lab/pause:1" "$ctx" "$key" -
}

# ---------------------------------------------------------------------------------------------
# Checks (scripts/images.sh test): each image runs with runc, as containerd would run it.

fail() {
  echo "FAIL $*" >&2
  exit 1
}
pass() { echo "ok   $*"; }

# The archive's image config (skopeo), checked against what the image must declare.
check_config() {
  local archive=$1 ref=$2 filter=$3 what=$4 tags
  tags=$(tar -xOf "$archive" manifest.json | jq -c '[.[].RepoTags[]]')
  [ "$tags" = "[\"docker.io/$ref\"]" ] || fail "$ref: archive tags are $tags, expected [\"docker.io/$ref\"]"
  skopeo inspect --config "docker-archive:$archive" | jq -e "$filter" >/dev/null \
    || fail "$ref: image config: expected $what; got $(skopeo inspect --config "docker-archive:$archive" | jq -c .config)"
  pass "$ref: skopeo reads the archive; tag docker.io/$ref; $what"
}

# Unpacks the archive into a runc bundle (skopeo → OCI layout → umoci) and prints its path.
unpack() {
  local archive=$1 name=$2 b=$work/bundle-$2
  skopeo copy --quiet "docker-archive:$archive" "oci:$work/oci-$name:img"
  umoci unpack --image "$work/oci-$name:img" "$b" >/dev/null
  rm -rf "$work/oci-$name"
  # As kubelet does for a pod: a host name that resolves (here to the container's loopback).
  jq '.hostname = "image-test"' "$b/config.json" >"$b/config.json.image"
  if [ -d "$b/rootfs/etc" ]; then
    printf '127.0.0.1\tlocalhost\n127.0.0.1\timage-test\n' >"$b/rootfs/etc/hosts"
  fi
  echo "$b"
}

# run_in BUNDLE ID ARGS...: runs ARGS as the image's process (user, cwd, env from the image;
# entrypoint not implied), in its own namespaces with only a loopback network, and prints the
# output. Extra environment comes from the array run_env; run_user (UID:GID) replaces the
# image's user.
run_env=()
run_user=
run_in() {
  local b=$1 id=$2
  shift 2
  jq --argjson args "$(json_array "$@")" --argjson env "$(json_array "${run_env[@]}")" \
    --arg user "$run_user" \
    '.process.terminal = false | .process.args = $args | .process.env += $env
     | if $user == "" then . else .process.user = {uid: ($user | split(":")[0] | tonumber),
                                                    gid: ($user | split(":")[1] | tonumber)} end' \
    <"$b/config.json.image" >"$b/config.json"
  "${R[@]}" run --bundle "$b" "$id" </dev/null 2>&1
}

# The arguments as a JSON array of strings.
json_array() {
  local a items=()
  for a in "$@"; do items+=("$(jq -n --arg a "$a" '$a')"); done
  (
    IFS=,
    echo "[${items[*]}]"
  )
}

# The body of URL $2, fetched inside container $1 (on its loopback).
fetch_in() {
  "${R[@]}" exec "$1" python3 -c \
    'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
    "$2" 2>/dev/null
}

# Waits until container $1 runs.
wait_running() {
  local _
  for _ in $(seq 1 100); do
    "${R[@]}" state "$1" 2>/dev/null | jq -e '.status == "running"' >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

check_spark() {
  local v=$1 archive=$2 ref=sparkplane/spark:$1 b out id=spimg-$$-${1//./-}
  check_config "$archive" "$ref" \
    '.config.User == "185" and .config.Entrypoint == ["/opt/entrypoint.sh"]
     and .config.WorkingDir == "/opt/spark/work-dir" and any(.config.Env[]; . == "SPARK_HOME=/opt/spark")
     and .os == "linux" and .architecture == "amd64"' \
    'user 185, entrypoint /opt/entrypoint.sh, workdir /opt/spark/work-dir, SPARK_HOME'
  b=$(unpack "$archive" "spark-$v")

  # Java, Python, user and versions, through the entrypoint's pass-through role.
  run_env=()
  out=$(run_in "$b" "$id-a" /opt/entrypoint.sh bash -c \
    'id -u; touch /opt/spark/work-dir/w && echo writable; java -version 2>&1 | head -1;
     python3 -c "import pyspark; print(\"pyspark\", pyspark.__version__)"; spark-submit --version 2>&1' ) \
    || fail "$ref: the version checks failed: $out"
  grep -qx 185 <<<"$out" || fail "$ref: not running as uid 185: $out"
  grep -qx writable <<<"$out" || fail "$ref: /opt/spark/work-dir is not writable: $out"
  grep -q 'version "17\.' <<<"$out" || fail "$ref: java -version does not say 17: $out"
  grep -qx "pyspark $v" <<<"$out" || fail "$ref: python3 cannot import pyspark $v: $out"
  grep -q "version $v\$" <<<"$out" || fail "$ref: spark-submit --version does not say $v: $out"
  pass "$ref: uid 185, work-dir writable, Java 17, import pyspark $v, spark-submit --version $v"

  # An arbitrary uid with gid 0 (as OpenShift runs pods) gets a passwd entry from the
  # entrypoint, and can write to the working directory.
  run_env=() run_user=1000770000:0
  # shellcheck disable=SC2016 # expanded in the container
  out=$(run_in "$b" "$id-u" /opt/entrypoint.sh bash -c 'getent passwd "$(id -u)"; touch "w-$(id -u)" && echo writable') \
    || fail "$ref: arbitrary uid: $out"
  run_user=
  grep -q '^1000770000:x:1000770000:0:anonymous uid:/opt/spark:/bin/false$' <<<"$out" \
    || fail "$ref: the entrypoint added no passwd entry for uid 1000770000: $out"
  grep -qx writable <<<"$out" || fail "$ref: uid 1000770000 (gid 0) cannot write to the working directory: $out"
  pass "$ref: an arbitrary uid (gid 0) gets a passwd entry and a writable working directory"

  # The driver role: spark-submit in client mode, here on a local master, running the
  # example jar's SparkPi (so the jar matches this Spark's Scala).
  run_env=(SPARK_DRIVER_BIND_ADDRESS=127.0.0.1)
  out=$(run_in "$b" "$id-d" /opt/entrypoint.sh driver --master 'local[1]' \
    --conf spark.ui.enabled=false --class org.sparkplane.examples.SparkPi \
    local:///opt/spark/examples/jars/sparkplane-examples.jar 2) \
    || fail "$ref: driver role: SparkPi failed: $(tail -20 <<<"$out")"
  grep -q 'Pi is roughly 3\.' <<<"$out" || fail "$ref: driver role: SparkPi printed no result: $(tail -20 <<<"$out")"
  pass "$ref: driver role runs SparkPi from sparkplane-examples.jar"

  # The executor role: KubernetesExecutorBackend must accept the arguments the entrypoint
  # gives it (a usage error would mean the contract is wrong for this version); with no
  # driver to talk to it then fails to connect.
  run_env=(SPARK_DRIVER_URL=spark://CoarseGrainedScheduler@127.0.0.1:1 SPARK_EXECUTOR_ID=1
    SPARK_EXECUTOR_CORES=1 SPARK_EXECUTOR_MEMORY=512m SPARK_APPLICATION_ID=spark-test
    SPARK_EXECUTOR_POD_IP=127.0.0.1 SPARK_RESOURCE_PROFILE_ID=0 SPARK_EXECUTOR_POD_NAME=test-exec-1
    'SPARK_JAVA_OPT_1=-Dsparkplane.test=with space' SPARK_JAVA_OPT_0=-Xss4m)
  out=$(run_in "$b" "$id-e" /opt/entrypoint.sh executor) && fail "$ref: executor role: exited 0 with no driver: $out"
  grep -q -i 'usage\|unrecognized\|unknown option' <<<"$out" && fail "$ref: executor role: arguments refused: $out"
  grep -q 'Connection refused\|Failed to connect' <<<"$out" \
    || fail "$ref: executor role: expected a failed connection to the driver: $(tail -20 <<<"$out")"
  pass "$ref: executor role: KubernetesExecutorBackend accepts the arguments, then tries the driver"

  # The standalone roles: a master (its UI on the container's loopback), a worker that
  # registers with it using the SPARK_WORKER_* settings, and a history server; then all stopped.
  run_env=(SPARK_MASTER_HOST=127.0.0.1 SPARK_MASTER_PORT=7077 SPARK_MASTER_WEBUI_PORT=8080)
  run_in "$b" "$id-m" /opt/entrypoint.sh master >"$work/master.log" &
  local master_pid=$! json='' history='' _
  wait_running "$id-m" || fail "$ref: master role: the container did not start: $(tail -20 "$work/master.log")"
  "${R[@]}" exec --detach --env SPARK_WORKER_CORES=1 --env SPARK_WORKER_MEMORY=600m \
    --env SPARK_WORKER_OPTS=-Dspark.decommission.enabled=true \
    "$id-m" /opt/entrypoint.sh worker spark://127.0.0.1:7077 >"$work/worker.log" 2>&1
  "${R[@]}" exec --detach --env SPARK_HISTORY_OPTS=-Dspark.history.fs.logDirectory=file:/opt/spark/work-dir/events \
    "$id-m" bash -c 'mkdir -p /opt/spark/work-dir/events && exec /opt/entrypoint.sh history-server' \
    >"$work/history.log" 2>&1
  for _ in $(seq 1 90); do
    json=$(fetch_in "$id-m" http://127.0.0.1:8080/json/) || json=''
    history=$(fetch_in "$id-m" http://127.0.0.1:18080/api/v1/applications) || history=''
    [ -n "$json" ] && [ -n "$history" ] \
      && jq -e '.status == "ALIVE" and (.workers | length) >= 1' <<<"$json" >/dev/null && break
    sleep 1
  done
  # A SparkCluster worker pod's preStop hook: the worker decommissions (the master marks it
  # DECOMMISSIONED) and, having no executor, the hook returns at once.
  local decom='' decom_json=''
  decom=$(timeout 60 "${R[@]}" exec "$id-m" /opt/decom.sh worker 2>&1) || decom="failed: $decom"
  for _ in $(seq 1 30); do
    decom_json=$(fetch_in "$id-m" http://127.0.0.1:8080/json/) || decom_json=''
    jq -e '[.workers[] | select(.state == "DECOMMISSIONED")] | length == 1' <<<"$decom_json" >/dev/null 2>&1 && break
    sleep 1
  done
  "${R[@]}" kill "$id-m" TERM 2>/dev/null || true
  wait "$master_pid" || true
  "${R[@]}" delete --force "$id-m" 2>/dev/null || true
  jq -e '.status == "ALIVE" and .url == "spark://127.0.0.1:7077"' <<<"$json" >/dev/null 2>&1 \
    || fail "$ref: master role: no ALIVE master at spark://127.0.0.1:7077 on :8080/json/: ${json:-no answer}; log: $(tail -20 "$work/master.log")"
  jq -e '[.workers[] | select(.state == "ALIVE" and .cores == 1 and .memory == 600)] | length == 1' <<<"$json" >/dev/null \
    || fail "$ref: worker role: no ALIVE worker with 1 core and 600 MB registered: $(jq -c .workers <<<"$json"); log: $(tail -20 "$work/worker.log")"
  jq -e 'type == "array"' <<<"$history" >/dev/null 2>&1 \
    || fail "$ref: history-server role: no application list on :18080/api/v1/applications: ${history:-no answer}; log: $(tail -20 "$work/history.log")"
  grep -q "worker JVM .* drained" <<<"$decom" \
    || fail "$ref: /opt/decom.sh worker did not report a drained worker: $decom"
  jq -e '[.workers[] | select(.state == "DECOMMISSIONED")] | length == 1' <<<"$decom_json" >/dev/null 2>&1 \
    || fail "$ref: after /opt/decom.sh worker the master shows no DECOMMISSIONED worker: $(jq -c .workers <<<"$decom_json" 2>/dev/null); log: $(tail -20 "$work/worker.log")"
  pass "$ref: master role serves its UI (ALIVE at spark://127.0.0.1:7077); a worker (1 core, 600m) registered; the history server answers; /opt/decom.sh worker decommissions the worker; stopped"
  rm -rf "$b"
}

check_operator() {
  local archive=$1 ref=$2 b out version
  version=${ref##*:}
  check_config "$archive" "$ref" \
    '.config.User == "65532:65532" and .config.Entrypoint == ["/usr/local/bin/sparkplane"]' \
    'user 65532:65532, entrypoint /usr/local/bin/sparkplane'
  b=$(unpack "$archive" operator)
  run_env=()
  out=$(run_in "$b" "spimg-$$-op" /usr/local/bin/sparkplane --version) || fail "$ref: sparkplane --version failed: $out"
  [ "$out" = "sparkplane $version" ] || fail "$ref: sparkplane --version says '$out', expected 'sparkplane $version'"
  out=$(run_in "$b" "spimg-$$-op" sh -c 'id -u') || fail "$ref: id -u failed: $out"
  [ "$out" = 65532 ] || fail "$ref: runs as uid $out, expected 65532"
  pass "$ref: sparkplane --version says $version, as uid 65532"
  rm -rf "$b"
}

check_pause() {
  local archive=$1 ref=$2 b id=spimg-$$-pause rc
  check_config "$archive" "$ref" '.config.Entrypoint == ["/pause"] and .config.User == "65535:65535"' \
    'entrypoint /pause, user 65535:65535'
  b=$(unpack "$archive" pause)
  run_env=()
  run_in "$b" "$id" /pause >/dev/null &
  local pid=$!
  wait_running "$id" || fail "$ref: /pause did not start"
  sleep 0.5
  wait_running "$id" || fail "$ref: /pause did not keep running"
  "${R[@]}" kill "$id" TERM
  rc=0
  wait "$pid" || rc=$?
  "${R[@]}" delete --force "$id" 2>/dev/null || true
  [ "$rc" = 0 ] || fail "$ref: /pause exited $rc on SIGTERM, expected 0"
  pass "$ref: /pause runs until SIGTERM, then exits 0"
  rm -rf "$b"
}

# ---------------------------------------------------------------------------------------------
# Main

if [ "$cmd" = context ]; then
  sp_bin=$(sparkplane_binary)
  mkdir -p "$out"
  stage_spark_context "${spark_versions[0]}" "$out"
  echo "docker build --build-arg SPARK_VERSION=${spark_versions[0]} -t sparkplane/spark:${spark_versions[0]} $out"
  exit 0
fi

mkdir -p "$out"
out=$(realpath "$out")
t_start=$SECONDS
# Built once here: the builders run in subshells.
if ((${#spark_versions[@]})) || [ $want_operator = 1 ]; then
  sp_bin=$(sparkplane_binary)
fi
images=()
for v in "${spark_versions[@]}"; do
  a=$(build_spark "$v")
  images+=("sparkplane/spark:$v $a")
done
if [ $want_operator = 1 ]; then
  a=$(build_operator)
  images+=("sparkplane/operator:$(workspace_version) $a")
fi
if [ $want_pause = 1 ]; then
  a=$(build_pause)
  images+=("sparkplane-lab/pause:1 $a")
fi

for entry in "${images[@]}"; do
  ref=${entry%% *} cached=${entry#* }
  dest=$out/$(echo "$ref" | tr '/:' '--').tar
  link_or_copy "$cached" "$dest"
  echo "IMAGE $ref $dest"
done
log "images ready in $((SECONDS - t_start)) s"

if [ "$cmd" = test ]; then
  mkdir -p "$runc_root"
  for entry in "${images[@]}"; do
    ref=${entry%% *}
    dest=$out/$(echo "$ref" | tr '/:' '--').tar
    case "$ref" in
      sparkplane/spark:*) check_spark "${ref##*:}" "$dest" ;;
      sparkplane/operator:*) check_operator "$dest" "$ref" ;;
      sparkplane-lab/pause:*) check_pause "$dest" "$ref" ;;
    esac
  done
  echo "all image checks passed"
fi

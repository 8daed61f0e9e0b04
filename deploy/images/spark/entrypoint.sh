#!/bin/bash
# Entrypoint of sparkplane's Spark image (deploy/images/spark). The first argument is the role:
#
#   driver ARGS...            Spark's Kubernetes driver pod: spark-submit in client mode, bound
#                             to the pod IP (SPARK_DRIVER_BIND_ADDRESS); ARGS are the pod's args
#                             after `driver` (--properties-file ... --class ... resource args).
#   executor                  Spark's Kubernetes executor pod: KubernetesExecutorBackend, from
#                             the env the driver sets on executor pods (SPARK_DRIVER_URL, ...).
#   master [OPTS...]          standalone master in the foreground (SPARK_MASTER_HOST/PORT/WEBUI_PORT).
#   worker [MASTER_URL] [OPTS...]
#                             standalone worker (SPARK_WORKER_PORT/WEBUI_PORT/CORES/MEMORY/DIR;
#                             the master URL may come from SPARK_MASTER_URL instead).
#   history-server [OPTS...]  the history server (settings in SPARK_HISTORY_OPTS or spark-defaults).
#   anything else             run as given.
#
# Every role runs under tini, which forwards signals and reaps zombies. docs/images.md lists
# every variable read here.
set -euo pipefail

die() {
  echo "entrypoint: $*" >&2
  exit 64
}

export SPARK_HOME=${SPARK_HOME:-/opt/spark}

# Spark (through Hadoop's login) needs a user name for the container's uid: add one when the
# uid has none (an arbitrary uid, as OpenShift assigns) and /etc/passwd is writable.
uid=$(id -u)
if ! getent passwd "$uid" >/dev/null; then
  if [ -w /etc/passwd ]; then
    echo "$uid:x:$uid:$(id -g):${SPARK_USER_NAME:-anonymous uid}:$SPARK_HOME:/bin/false" >>/etc/passwd
  else
    echo "entrypoint: uid $uid has no passwd entry and /etc/passwd is not writable" >&2
  fi
fi

if [ -z "${JAVA_HOME:-}" ]; then
  java_bin=$(command -v java) || die "java is not on PATH and JAVA_HOME is not set"
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java_bin")")")
  export JAVA_HOME
fi

# The executor JVM's options: SPARK_JAVA_OPT_0, _1, ... in numeric order (the driver puts
# spark.executor.extraJavaOptions and the executor's startup confs there, one option each).
executor_java_opts=()
while IFS= read -r name; do
  executor_java_opts+=("${!name}")
done < <(compgen -v SPARK_JAVA_OPT_ | grep -E '^SPARK_JAVA_OPT_[0-9]+$' | sort -t_ -k4,4n || true)

# The executor's class path, as Spark's images build it: the conf dir (the mounted ConfigMap),
# the Hadoop conf dir, SPARK_CLASSPATH (spark.executor.extraClassPath), Spark's jars,
# SPARK_EXTRA_CLASSPATH and the working directory (where files shipped with the job land).
classpath="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*"
if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then
  classpath="$classpath:$SPARK_EXTRA_CLASSPATH"
fi
if [ -n "${HADOOP_HOME:-}" ] && [ -z "${SPARK_DIST_CLASSPATH:-}" ]; then
  SPARK_DIST_CLASSPATH=$("$HADOOP_HOME/bin/hadoop" classpath)
  export SPARK_DIST_CLASSPATH
fi
if [ -n "${HADOOP_CONF_DIR+set}" ]; then
  classpath="$HADOOP_CONF_DIR:$classpath"
fi
classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$classpath:$PWD"

# The Python the driver and the executors' Python workers use, when the pod names one.
if [ -n "${PYSPARK_PYTHON+set}" ]; then export PYSPARK_PYTHON; fi
if [ -n "${PYSPARK_DRIVER_PYTHON+set}" ]; then export PYSPARK_DRIVER_PYTHON; fi

role=${1:-}
if [ $# -gt 0 ]; then shift; fi

case "$role" in
  driver)
    bind=${SPARK_DRIVER_BIND_ADDRESS:?driver: SPARK_DRIVER_BIND_ADDRESS (the pod IP) is not set}
    # The driver's own address also goes to the executors as SPARK_DRIVER_POD_IP.
    cmd=("$SPARK_HOME/bin/spark-submit"
      --conf "spark.driver.bindAddress=$bind"
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$bind"
      --deploy-mode client
      "$@")
    ;;
  executor)
    for v in SPARK_DRIVER_URL SPARK_EXECUTOR_ID SPARK_EXECUTOR_CORES SPARK_EXECUTOR_MEMORY \
      SPARK_APPLICATION_ID SPARK_EXECUTOR_POD_IP SPARK_RESOURCE_PROFILE_ID SPARK_EXECUTOR_POD_NAME; do
      [ -n "${!v:-}" ] || die "executor: $v is not set (the Spark driver sets it on executor pods)"
    done
    # Newer drivers (4.x; seen in 4.3.0) pass spark.executor.extraLibraryPath here; it means
    # what it means elsewhere in Spark: in front of the executor's native library path.
    if [ -n "${SPARK_EXECUTOR_LIBRARY_PATH:-}" ]; then
      export LD_LIBRARY_PATH="$SPARK_EXECUTOR_LIBRARY_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    cmd=("$JAVA_HOME/bin/java"
      "${executor_java_opts[@]}"
      "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY"
      -cp "$classpath:${SPARK_DIST_CLASSPATH:-}"
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
      --driver-url "$SPARK_DRIVER_URL"
      --executor-id "$SPARK_EXECUTOR_ID"
      --cores "$SPARK_EXECUTOR_CORES"
      --app-id "$SPARK_APPLICATION_ID"
      --hostname "$SPARK_EXECUTOR_POD_IP"
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID"
      --podName "$SPARK_EXECUTOR_POD_NAME")
    ;;
  master)
    # Spark's defaults, as start-master.sh passes them; the host only when set, else the
    # master binds to the pod's hostname.
    cmd=("$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master
      --port "${SPARK_MASTER_PORT:-7077}"
      --webui-port "${SPARK_MASTER_WEBUI_PORT:-8080}")
    if [ -n "${SPARK_MASTER_HOST:-}" ]; then cmd+=(--host "$SPARK_MASTER_HOST"); fi
    cmd+=("$@")
    ;;
  worker)
    master_url=${SPARK_MASTER_URL:-}
    if [ $# -gt 0 ] && [[ $1 == spark://* ]]; then
      master_url=$1
      shift
    fi
    [ -n "$master_url" ] || die "worker: give the master URL (worker spark://HOST:PORT) or set SPARK_MASTER_URL"
    cmd=("$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker
      --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}")
    if [ -n "${SPARK_WORKER_PORT:-}" ]; then cmd+=(--port "$SPARK_WORKER_PORT"); fi
    if [ -n "${SPARK_WORKER_CORES:-}" ]; then cmd+=(--cores "$SPARK_WORKER_CORES"); fi
    if [ -n "${SPARK_WORKER_MEMORY:-}" ]; then cmd+=(--memory "$SPARK_WORKER_MEMORY"); fi
    if [ -n "${SPARK_WORKER_DIR:-}" ]; then cmd+=(--work-dir "$SPARK_WORKER_DIR"); fi
    cmd+=("$@" "$master_url")
    ;;
  history-server)
    cmd=("$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.history.HistoryServer "$@")
    ;;
  "")
    die "no role given: driver, executor, master, worker, history-server, or a command to run"
    ;;
  *)
    cmd=("$role" "$@")
    ;;
esac

exec /usr/bin/tini -s -- "${cmd[@]}"

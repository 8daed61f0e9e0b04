#!/bin/bash
# preStop hook that decommissions a Spark daemon before Kubernetes stops its pod. The pod's
# terminationGracePeriodSeconds bounds the wait.
#
#   /opt/decom.sh          executor pods, when spark.decommission.enabled is set (the driver puts
#                          `/opt/decom.sh` there): asks the executor JVM to decommission (SIGPWR,
#                          Spark's signal for it) and returns once it has exited, so its blocks
#                          and shuffle files can migrate first.
#   /opt/decom.sh worker   standalone worker pods (a SparkCluster's StatefulSet scaling down):
#                          asks the Worker JVM to decommission (SIGPWR: the master stops giving
#                          it executors and tells the applications), then returns once the
#                          worker's own /json/ shows no executor and no core in use, as the
#                          local runtime's supervisor does.
set -uo pipefail

# Sends SIGPWR to the newest $1 JVM whose command line matches $2 and prints its pid; fails
# when none runs or it is gone.
decommission() {
  local what=$1 pattern=$2 pid
  pid=$(pgrep -n -f "$pattern")
  if [ -z "$pid" ]; then
    echo "decom: no $what JVM is running" >&2
    return 1
  fi
  echo "decom: asking $what JVM $pid to decommission" >&2
  kill -s PWR "$pid" || return 1
  echo "$pid"
}

if [ "${1:-}" = worker ]; then
  pid=$(decommission worker 'org\.apache\.spark\.deploy\.worker\.Worker') || exit 0
  url=http://127.0.0.1:${SPARK_WORKER_WEBUI_PORT:-8081}/json/
  while kill -0 "$pid" 2>/dev/null; do
    # Drained: no executor left and no core in use. An unanswered request is not drained.
    if python3 - "$url" <<'EOF' 2>/dev/null; then
import json, sys, urllib.request
w = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
sys.exit(0 if w.get("coresused", 1) == 0 and not w.get("executors") else 1)
EOF
      echo "decom: worker JVM $pid drained" >&2
      exit 0
    fi
    sleep 2
  done
  echo "decom: worker JVM $pid exited" >&2
  exit 0
fi

pid=$(decommission executor 'org\.apache\.spark\.scheduler\.cluster\.k8s\.KubernetesExecutorBackend') \
  || exit 0
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
done
echo "decom: executor JVM $pid exited" >&2

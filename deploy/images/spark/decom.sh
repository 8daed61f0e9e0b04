#!/bin/bash
# preStop hook of executor pods when spark.decommission.enabled is set (the driver puts
# `/opt/decom.sh` there): asks the executor JVM to decommission (SIGPWR, Spark's signal for it)
# and returns once it has exited, so its blocks and shuffle files can migrate first. The pod's
# terminationGracePeriodSeconds bounds the wait.
set -uo pipefail
pid=$(pgrep -n -f 'org\.apache\.spark\.scheduler\.cluster\.k8s\.KubernetesExecutorBackend')
if [ -z "$pid" ]; then
  echo "decom: no executor JVM is running" >&2
  exit 0
fi
echo "decom: asking executor JVM $pid to decommission" >&2
kill -s PWR "$pid" || exit 0
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
done
echo "decom: executor JVM $pid exited" >&2

#!/usr/bin/env bash
# topsongs/kafka, single node: one combined KRaft broker + controller set up from the environment.
# Every KAFKA_<NAME> variable (KAFKA_HEAP_OPTS aside) becomes the property <name> with `_` read as
# `.` (KAFKA_LOG_DIRS -> log.dirs), the convention of Apache Kafka's own image, so compose.yaml's
# settings read the same with either image. CLUSTER_ID formats empty storage on the first start.
set -euo pipefail
: "${CLUSTER_ID:?CLUSTER_ID is required (KAFKA_CLUSTER_ID in .env)}"
props=/etc/kafka/server.properties
umask 077
: >"$props"
while IFS= read -r name; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS) ;;
    KAFKA_*)
      key="${name#KAFKA_}"
      key="${key,,}"
      printf '%s=%s\n' "${key//_/.}" "${!name}" >>"$props"
      ;;
  esac
done < <(compgen -e)
data="$(sed -n 's/^log\.dirs=//p' "$props")"
if [ ! -f "${data:-/var/lib/kafka/data}/meta.properties" ]; then
  java -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$props"
fi
exec bash /opt/kafka/start.sh "$props"

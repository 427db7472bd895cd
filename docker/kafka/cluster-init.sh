#!/usr/bin/env bash
# compose.yaml, profile cluster: the one-shot cluster-kafka-init, run as the admin once the three nodes
# answer. Creates the product's topics (replication 3, min ISR 2) and the per-service ACLs of
# docs/cluster.md (the table topsongs_devstack.cluster.kafka.service_acls applies for `make cluster-up`).
# Adding a topic or a rule again is a no-op, so every `up` reapplies them.
# Environment: BOOTSTRAP, ADMIN_PASSWORD, PLAYS_TOPIC, DLQ_TOPIC, LIVE_TOPIC, HOURS_TOPIC,
# PARTITIONS, STREAMS_APP_ID.
set -euo pipefail
: "${BOOTSTRAP:?}" "${PLAYS_TOPIC:?}" "${DLQ_TOPIC:?}" "${LIVE_TOPIC:?}" "${HOURS_TOPIC:?}"
: "${PARTITIONS:?}" "${STREAMS_APP_ID:?}"
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  echo "[cluster-kafka-init] CLUSTER_KAFKA_ADMIN_PASSWORD is empty: set it in .env (see .env.example)" >&2
  exit 1
fi
umask 077
admin=/tmp/admin.properties
cat >"$admin" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/ca/ca.pem
PROPS
bin=/opt/kafka/bin
topic() {
  "$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin" --create --if-not-exists \
    --replication-factor 3 --config min.insync.replicas=2 --topic "$@"
}
allow() {
  local user="$1"
  shift
  "$bin/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin" --add \
    --allow-principal "User:$user" "$@" >/dev/null
}

topic "$PLAYS_TOPIC" --partitions "$PARTITIONS"
topic "$DLQ_TOPIC" --partitions 1
topic "$LIVE_TOPIC" --partitions 1
topic "$HOURS_TOPIC" --partitions 1 --config cleanup.policy=compact

allow ingest --operation Write --operation Describe --topic "$PLAYS_TOPIC"
allow streams --operation Read --operation Write --operation Describe --topic "$PLAYS_TOPIC"
allow streams --operation Write --operation Describe --topic "$DLQ_TOPIC"
allow streams --operation Read --operation Write --operation Create --operation Describe \
  --operation DescribeConfigs --topic "$LIVE_TOPIC" --topic "$HOURS_TOPIC"
allow streams --operation All --resource-pattern-type prefixed --topic "$STREAMS_APP_ID"
allow streams --operation Read --operation Describe --resource-pattern-type prefixed --group "$STREAMS_APP_ID"
allow streams --operation Write --operation Describe --resource-pattern-type prefixed \
  --transactional-id "$STREAMS_APP_ID"
allow dashboard --operation Read --operation Describe --topic "$LIVE_TOPIC" --topic "$HOURS_TOPIC"
allow lake --operation Read --operation Describe --topic "$PLAYS_TOPIC"
allow lake --operation Read --operation Describe --resource-pattern-type prefixed --group spark-kafka-source

"$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin" --describe --topic "$PLAYS_TOPIC"

#!/usr/bin/env bash
# compose.yaml, profile cluster: one combined KRaft broker + controller of three (the topsongs/kafka image),
# set up as devstack's cluster profile sets up its nodes (topsongs_devstack/cluster/kafka.py):
#   - clients and inter-broker traffic: SASL_SSL with SCRAM-SHA-512 on :9094, no plaintext listener;
#   - controllers: SSL on :9095 with client certificates required (a KRaft controller cannot check
#     SCRAM, whose credentials live in the log it serves), the nodes' certificates are super users;
#   - StandardAuthorizer, nothing allowed without an ACL (cluster-init.sh adds them);
#   - replication 3 and min ISR 2 for every topic, internal ones too; no auto-created topics.
# The quorum is static (controller.quorum.voters). The SCRAM users are added when the storage is
# formatted, from a 0600 java argument file, so no password is on a command line.
# Environment: NODE_ID (1..3), NODES (the nodes' names in node-id order), CLUSTER_ID, PARTITIONS,
# and the SCRAM passwords ADMIN_PASSWORD, INGEST_PASSWORD, STREAMS_PASSWORD, DASHBOARD_PASSWORD,
# LAKE_PASSWORD, MONITOR_PASSWORD.
set -euo pipefail
: "${NODE_ID:?}" "${NODES:?}" "${CLUSTER_ID:?}" "${PARTITIONS:?}"
users=(admin ingest streams dashboard lake monitor)
for user in "${users[@]}"; do
  var="${user^^}_PASSWORD"
  if [ -z "${!var:-}" ]; then
    echo "[cluster-kafka] CLUSTER_KAFKA_${user^^}_PASSWORD is empty: set it in .env (see .env.example)" >&2
    exit 1
  fi
done
read -r -a nodes <<<"$NODES"
host="${nodes[NODE_ID - 1]}"
voters="" supers="User:admin"
for i in "${!nodes[@]}"; do
  voters+="${voters:+,}$((i + 1))@${nodes[i]}:9095"
  supers+=";User:CN=${nodes[i]}"
done
count="${#nodes[@]}"
scram() { printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' "$1" "$2"; }

umask 077
props=/tmp/server.properties
cat >"$props" <<PROPS
node.id=$NODE_ID
process.roles=broker,controller
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=SASL_SSL://:9094,CONTROLLER://:9095
advertised.listeners=SASL_SSL://$host:9094
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL
listener.name.controller.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$(scram admin "$ADMIN_PASSWORD")
ssl.keystore.type=PEM
ssl.keystore.location=/secrets/$host-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=/secrets/ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$supers
log.dirs=/var/lib/kafka/data
num.partitions=$PARTITIONS
auto.create.topics.enable=false
default.replication.factor=$count
min.insync.replicas=2
offsets.topic.replication.factor=$count
transaction.state.log.replication.factor=$count
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=$count
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
message.max.bytes=4194304
PROPS
# The admin's client settings, for the healthcheck (kafka-broker-api-versions.sh --command-config).
cat >/tmp/admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(scram admin "$ADMIN_PASSWORD")
ssl.truststore.type=PEM
ssl.truststore.location=/secrets/ca.pem
PROPS

if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  argfile=/tmp/format.args
  {
    printf '%s\n' -cp '"/opt/kafka/libs/*"' kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$props"
    for user in "${users[@]}"; do
      var="${user^^}_PASSWORD"
      printf -- '--add-scram\n"SCRAM-SHA-512=[name=%s,password=%s]"\n' "$user" "${!var}"
    done
  } >"$argfile"
  java "@$argfile"
  rm -f "$argfile"
fi
exec bash /opt/kafka/start.sh "$props"

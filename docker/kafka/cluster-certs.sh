#!/usr/bin/env bash
# compose.yaml, profile cluster: the one-shot cluster-kafka-certs. A local CA and one certificate per
# Kafka node (CN and subjectAltName = the node's service name), made with openssl once and kept in
# the volume (as devstack's topsongs_devstack.certificates does for `make cluster-up`).
#   /secrets (the nodes only): ca.pem, ca.key, <node>-keystore.pem (PKCS#8 key, then its certificate:
#            Kafka's PEM key store); owned by the Kafka image's user (uid 10001), folder 0700,
#            files 0600.
#   /ca      (every client): ca.pem alone, world-readable (KAFKA_SSL_CAFILE).
# NODES: the nodes' names, space-separated. Runs as root (it hands the files to uid 10001).
set -euo pipefail
: "${NODES:?NODES must name the Kafka nodes}"
days="${CERT_DAYS:-825}"
umask 077
cd /secrets
if [ ! -s ca.pem ] || [ ! -s ca.key ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
    -subj /CN=topsongs-cluster-ca 2>/dev/null
fi
for node in $NODES; do
  [ -s "$node-keystore.pem" ] && continue
  openssl req -newkey rsa:2048 -nodes -keyout "$node.key" -out "$node.csr" -subj "/CN=$node" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$node" >"$node.ext"
  openssl x509 -req -in "$node.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$node.pem" \
    -days "$days" -extfile "$node.ext" 2>/dev/null
  cat "$node.key" "$node.pem" >"$node-keystore.pem"
  rm -f "$node.key" "$node.csr" "$node.ext"
  echo "[cluster-kafka-certs] certificate for $node"
done
chown -R 10001:10001 /secrets
chmod 0700 /secrets
chmod 0600 /secrets/*
install -m 0644 ca.pem /ca/ca.pem

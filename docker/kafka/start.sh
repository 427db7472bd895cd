#!/usr/bin/env bash
# topsongs/kafka: run the broker of the properties file $1 (the jars devstack's Maven pom resolves).
set -euo pipefail
# word splitting of KAFKA_HEAP_OPTS and KAFKA_OPTS is wanted: they hold several JVM options
# (KAFKA_OPTS: e.g. compose's -javaagent of the JMX exporter)
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} ${KAFKA_OPTS:-} -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties -cp '/opt/kafka/libs/*' kafka.Kafka "$1"

#!/usr/bin/env bash
# topsongs/kafka: run the broker of the properties file $1 (the jars devstack's Maven pom resolves).
set -euo pipefail
cat >/etc/kafka/log4j2.properties <<'LOG4J'
status = warn
shutdownHook = disable
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
LOG4J
# word splitting of KAFKA_HEAP_OPTS is wanted: it holds several JVM options
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/etc/kafka/log4j2.properties -cp '/opt/kafka/libs/*' kafka.Kafka "$1"

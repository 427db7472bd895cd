#!/usr/bin/env bash
# Builds every image of docker/Dockerfile under the names compose.yaml runs (topsongs/<target>:TAG),
# reusing the builder's layer and cache mounts when warm. The host's CA bundles reach the RUN steps
# that download as build secrets only (never a layer), for machines whose TLS needs them.
# Environment: TOPSONGS_DEBIAN_IMAGE (the base; scripts/setup-docker.sh prints one),
# TOPSONGS_IMAGE_TAG (default: the VERSION file), and the targets as arguments (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/docker
exec 9>.cache/docker/build.lock
flock 9  # one build at a time: `make test` starts one in the background, the tests wait for it
tag="${TOPSONGS_IMAGE_TAG:-$(cat VERSION)}"
base="${TOPSONGS_DEBIAN_IMAGE:-debian:bookworm-slim}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(kafka postgres s3 prometheus ingest streams spark dashboard-api airflow simulator)
secrets=()
[ -f /etc/ssl/certs/ca-certificates.crt ] && secrets+=(--secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt)
[ -f /etc/ssl/certs/java/cacerts ] && secrets+=(--secret id=java-cacerts,src=/etc/ssl/certs/java/cacerts)
[ -f ui/dist/index.html ] || { echo "[docker] ui/dist is missing: run make setup-ui first" >&2; exit 1; }
for target in "${targets[@]}"; do
  start=$SECONDS
  docker buildx build --progress "${DOCKER_BUILD_PROGRESS:-quiet}" --load -f docker/Dockerfile \
    --target "$target" "${secrets[@]}" \
    --build-arg "DEBIAN_IMAGE=$base" \
    --build-arg "KAFKA_VERSION=${DEVSTACK_KAFKA_VERSION:-4.4.0}" \
    --build-arg "VERSITYGW_VERSION=${DEVSTACK_VERSITYGW_VERSION:-v1.8.0}" \
    --build-arg "STATSD_EXPORTER_VERSION=${DEVSTACK_STATSD_EXPORTER_VERSION:-v0.31.0}" \
    -t "topsongs/$target:$tag" . >/dev/null
  size="$(docker image inspect -f '{{.Size}}' "topsongs/$target:$tag")"
  printf '[docker] built topsongs/%s:%s in %d s (%d MB)\n' "$target" "$tag" $((SECONDS - start)) $((size / 1000000))
done

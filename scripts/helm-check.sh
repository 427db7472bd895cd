#!/usr/bin/env bash
# The Helm chart's offline checks (docs/kubernetes.md): helm lint --strict, helm template with the
# default values and with managed engines (deploy/helm/topsongs/ci/external-engines-values.yaml), and
# kubeconform -strict on what they render, against JSON schemas made from Kubernetes' own OpenAPI
# document. No cluster is involved. The tools are built from Go modules once into .cache/bin, the
# schemas written once into .cache/k8s-schemas; later runs reuse them.
# The rendered manifests land in $HELM_CHECK_OUT (default .cache/helm-check).
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v4.3.2
KUBECONFORM_VERSION=v0.8.0
# the Kubernetes release whose API the manifests are checked against (helm 4.3's client-go is 1.37)
KUBERNETES_VERSION=v1.37.2

CHART=deploy/helm/topsongs
EXTERNAL_VALUES=$CHART/ci/external-engines-values.yaml
BIN=$PWD/.cache/bin
SCHEMAS=$PWD/.cache/k8s-schemas/$KUBERNETES_VERSION
OUT=${HELM_CHECK_OUT:-$PWD/.cache/helm-check}
export HELM_CACHE_HOME=$PWD/.cache/helm/cache HELM_CONFIG_HOME=$PWD/.cache/helm/config HELM_DATA_HOME=$PWD/.cache/helm/data
export PATH=$PATH:/usr/local/go/bin
export GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0
PYTHON=python3
[ -x .venv/bin/python ] && PYTHON=.venv/bin/python

mkdir -p "$BIN" "$OUT"
exec 9>"$BIN/.helm-check-tools.lock"
flock 9  # one build of the tools at a time (`make test` starts one in the background)
if [ "$("$BIN/helm" version --template '{{.Version}}' 2>/dev/null || true)" != "$HELM_VERSION" ]; then
  echo "[helm-check] building helm $HELM_VERSION (Go module helm.sh/helm/v4)"
  GOBIN=$BIN go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
fi
if [ "$("$BIN/kubeconform" -v 2>/dev/null || true)" != "$KUBECONFORM_VERSION" ]; then
  echo "[helm-check] building kubeconform $KUBECONFORM_VERSION (Go module github.com/yannh/kubeconform)"
  GOBIN=$BIN go install -trimpath -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi
if [ ! -f "$SCHEMAS/.complete" ]; then
  echo "[helm-check] writing Kubernetes $KUBERNETES_VERSION schemas (api/openapi-spec of Go module k8s.io/kubernetes)"
  module_dir=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$SCHEMAS"
  "$PYTHON" tools/k8s-schemas "$module_dir/api/openapi-spec/swagger.json" "$SCHEMAS"
  touch "$SCHEMAS/.complete"
fi
flock -u 9
[ "${1:-}" = "--tools" ] && exit 0

kube=${KUBERNETES_VERSION#v}
echo "[helm-check] helm lint --strict"
"$BIN/helm" lint --strict --kube-version "$kube" "$CHART"
"$BIN/helm" lint --strict --kube-version "$kube" -f "$EXTERNAL_VALUES" "$CHART"

echo "[helm-check] helm template: default values, managed engines"
"$BIN/helm" template topsongs "$CHART" --namespace topsongs --kube-version "$kube" >"$OUT/default.yaml"
"$BIN/helm" template topsongs "$CHART" --namespace topsongs --kube-version "$kube" -f "$EXTERNAL_VALUES" \
  >"$OUT/external-engines.yaml"

echo "[helm-check] kubeconform -strict (Kubernetes $KUBERNETES_VERSION schemas, offline)"
"$BIN/kubeconform" -strict -summary -kubernetes-version "$kube" \
  -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "$OUT/default.yaml" "$OUT/external-engines.yaml"

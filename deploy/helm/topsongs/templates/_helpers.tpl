{{/* ---- names and labels ---------------------------------------------------------------- */}}

{{- define "topsongs.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* topsongs.labels: (dict "root" $ "component" "ingest") */}}
{{- define "topsongs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/part-of: topsongs
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "topsongs.selectorLabels" . }}
{{- end -}}

{{- define "topsongs.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* topsongs.image: (dict "root" $ "name" "ingest") -> [<registry>/]topsongs/<name>:<tag> */}}
{{- define "topsongs.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- $repo := printf "topsongs/%s" .name -}}
{{- with .root.Values.image.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}{{ end -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "topsongs.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "topsongs.fullname" .) -}}
{{- end -}}

{{/* ---- required values: every template includes this, so helm template fails early ----- */}}

{{- define "topsongs.validate" -}}
{{- if not .Values.kafka.enabled -}}
{{- $_ := required "kafka.bootstrapServers is required when kafka.enabled=false: the managed brokers to use" .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- if not .Values.postgres.enabled -}}
{{- $_ := required "postgres.host is required when postgres.enabled=false: the managed PostgreSQL server" .Values.postgres.host -}}
{{- $_ := required "secrets.existingSecret is required when postgres.enabled=false: the chart cannot generate the passwords (PG_PASSWORD, PG_PASSWORD_URLENCODED, PG_READER_PASSWORD) of a managed PostgreSQL" .Values.secrets.existingSecret -}}
{{- end -}}
{{- if not .Values.s3.enabled -}}
{{- $_ := required "s3.endpointUrl is required when s3.enabled=false: the S3 endpoint, e.g. the regional endpoint of AWS S3" .Values.s3.endpointUrl -}}
{{- if ne (index .Values.s3.env "S3_CREDENTIALS") "default-chain" -}}
{{- $_ := required "secrets.existingSecret is required when s3.enabled=false with S3_CREDENTIALS=keys: the chart cannot generate a managed S3 store's keys (S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY)" .Values.secrets.existingSecret -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ---- secrets ----------------------------------------------------------------------------- */}}

{{- define "topsongs.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "topsongs.fullname" .)) -}}
{{- end -}}

{{/* topsongs.secretEnv: (dict "root" $ "name" "PG_PASSWORD" ["key" "<key, default name>"] ["optional" true]) */}}
{{- define "topsongs.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "topsongs.secretName" .root }}
      key: {{ .key | default .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* ---- environment: compose's x-*-env blocks, under the same names ------------------------ */}}

{{/* topsongs.envMap: a map of variables -> an env list (YAML) */}}
{{- define "topsongs.envMap" -}}
{{- $env := list -}}
{{- range $name, $value := . -}}
{{- $env = append $env (dict "name" $name "value" (toString $value)) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
topsongs.env: the container's env, from compose's x-*-env blocks under the same names.
(dict "root" $ "parts" (list "kafka" "contract") "extra" <map>); each part is a topsongs.env.<part>,
or "secret:<KEY>" for one key of the Secret.
*/}}
{{- define "topsongs.env" -}}
{{- $all := list -}}
{{- range .parts -}}
{{- if hasPrefix "secret:" . -}}
{{- $all = concat $all (include "topsongs.secretEnv" (dict "root" $.root "name" (trimPrefix "secret:" .)) | fromYamlArray) -}}
{{- else -}}
{{- $all = concat $all (include (printf "topsongs.env.%s" .) $.root | fromYamlArray) -}}
{{- end -}}
{{- end -}}
{{- with .extra -}}
{{- $all = concat $all (include "topsongs.envMap" . | fromYamlArray) -}}
{{- end -}}
env:
  {{- toYaml $all | nindent 2 }}
{{- end -}}

{{- define "topsongs.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s-kafka:9092" (include "topsongs.fullname" .) -}}
{{- else -}}
{{- .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{- define "topsongs.env.kafka" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "topsongs.kafkaBootstrap" . | quote }}
{{ include "topsongs.envMap" .Values.kafka.env }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "KAFKA_SASL_PASSWORD" "optional" true) }}
{{- end -}}

{{- define "topsongs.env.postgres" -}}
- name: PG_HOST
  value: {{ ternary (printf "%s-postgres" (include "topsongs.fullname" .)) .Values.postgres.host .Values.postgres.enabled | quote }}
- name: PG_PORT
  value: {{ ternary "5432" (toString .Values.postgres.port) .Values.postgres.enabled | quote }}
{{ include "topsongs.envMap" .Values.postgres.env }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "PG_PASSWORD") }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "PG_READER_PASSWORD") }}
{{- end -}}

{{- define "topsongs.env.s3" -}}
- name: S3_ENDPOINT_URL
  value: {{ ternary (printf "http://%s-s3:7070" (include "topsongs.fullname" .)) .Values.s3.endpointUrl .Values.s3.enabled | quote }}
{{ include "topsongs.envMap" .Values.s3.env }}
{{- $optional := eq (index .Values.s3.env "S3_CREDENTIALS") "default-chain" }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "S3_ACCESS_KEY_ID" "optional" $optional) }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "S3_SECRET_ACCESS_KEY" "optional" $optional) }}
{{- end -}}

{{- define "topsongs.env.contract" -}}
{{ include "topsongs.envMap" .Values.contractEnv }}
{{- end -}}

{{- define "topsongs.env.live" -}}
{{ include "topsongs.envMap" .Values.liveEnv }}
{{- end -}}

{{- define "topsongs.env.lake" -}}
{{ include "topsongs.envMap" .Values.lakeEnv }}
{{- end -}}

{{/*
compose's x-airflow environment, plus Kafka (the lake checks read its end offsets). The Airflow
secrets come from the Secret and reach AIRFLOW__* through Kubernetes' $(VAR) expansion, as does
PG_PASSWORD_URLENCODED in the database URL; the api-server fetches a running task's log from the scheduler by
its pod IP (HOSTNAME_CALLABLE).
*/}}
{{- define "topsongs.env.airflow" -}}
{{ include "topsongs.env.postgres" . }}
{{ include "topsongs.env.s3" . }}
{{ include "topsongs.env.contract" . }}
{{ include "topsongs.env.lake" . }}
{{ include "topsongs.env.kafka" . }}
{{- $defaults := dict
      "AIRFLOW__CORE__EXECUTOR" "LocalExecutor"
      "AIRFLOW__CORE__LOAD_EXAMPLES" "False"
      "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION" "False"
      "AIRFLOW__CORE__DAGS_FOLDER" "/opt/topsongs/airflow/dags"
      "AIRFLOW__CORE__AUTH_MANAGER" "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
      "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS" "admin:admin"
      "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" "/opt/airflow/passwords.json"
      "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" (printf "http://%s-airflow-api-server:%v/execution/" (include "topsongs.fullname" .) .Values.airflow.apiServer.service.port)
      "AIRFLOW__CORE__HOSTNAME_CALLABLE" "airflow.utils.net.get_host_ip_address"
      "AIRFLOW__API__WORKERS" "1"
      "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK" "True"
      "AIRFLOW__CORE__PLUGINS_FOLDER" "/opt/topsongs/airflow/plugins"
      "AIRFLOW__METRICS__STATSD_ON" (ternary "True" "False" (not (empty .Values.airflow.statsd.host)))
      "AIRFLOW__METRICS__STATSD_HOST" .Values.airflow.statsd.host
      "AIRFLOW__METRICS__STATSD_PORT" (toString .Values.airflow.statsd.port)
      "AIRFLOW__METRICS__STATSD_CUSTOM_CLIENT_PATH" "connected_statsd.ConnectedStatsClient"
      "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED" "True"
      "AIRFLOW__METRICS__LEGACY_NAMES_ON" "False" }}
{{ include "topsongs.envMap" (merge (deepCopy .Values.airflow.env) $defaults) }}
{{ include "topsongs.secretEnv" (dict "root" . "name" "AIRFLOW_FERNET_KEY") }}
- name: AIRFLOW__CORE__FERNET_KEY
  value: $(AIRFLOW_FERNET_KEY)
{{ include "topsongs.secretEnv" (dict "root" . "name" "AIRFLOW_API_SECRET_KEY") }}
- name: AIRFLOW__API__SECRET_KEY
  value: $(AIRFLOW_API_SECRET_KEY)
{{ include "topsongs.secretEnv" (dict "root" . "name" "AIRFLOW_JWT_SECRET") }}
- name: AIRFLOW__API_AUTH__JWT_SECRET
  value: $(AIRFLOW_JWT_SECRET)
{{ include "topsongs.secretEnv" (dict "root" . "name" "PG_PASSWORD_URLENCODED") }}
- name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  value: {{ printf "postgresql+psycopg2://$(PG_USER):$(PG_PASSWORD_URLENCODED)@$(PG_HOST):$(PG_PORT)/%s" .Values.postgres.airflowDatabase | quote }}
{{- end -}}

{{/* ---- pods ------------------------------------------------------------------------------- */}}

{{/* topsongs.podCommon: what every pod of the release shares */}}
{{- define "topsongs.podCommon" -}}
serviceAccountName: {{ include "topsongs.serviceAccountName" . }}
automountServiceAccountToken: false
# no <SERVICE>_PORT variables: the Kafka image reads every KAFKA_* variable as a broker setting
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* topsongs.podSecurity: (dict "root" $ "override" .Values.kafka.node.podSecurityContext) */}}
{{- define "topsongs.podSecurity" -}}
securityContext:
  {{- toYaml (merge (deepCopy (.override | default dict)) .root.Values.podSecurityContext) | nindent 2 }}
{{- end -}}

{{- define "topsongs.containerSecurity" -}}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{/*
topsongs.probes: compose's healthcheck as a startup, liveness and readiness probe.
(dict "root" $ "check" <handler> "live" <handler, default check> "timeout" 5 "startPeriod" 30)
*/}}
{{- define "topsongs.probes" -}}
{{- $p := .root.Values.probes -}}
{{- $timeout := .timeout | default $p.timeoutSeconds -}}
{{- $start := .startPeriod | default 30 -}}
startupProbe:
  {{- toYaml .check | nindent 2 }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $timeout }}
  failureThreshold: {{ add (div $start $p.periodSeconds) $p.retries }}
livenessProbe:
  {{- toYaml (.live | default .check) | nindent 2 }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $timeout }}
  failureThreshold: {{ $p.retries }}
readinessProbe:
  {{- toYaml .check | nindent 2 }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $timeout }}
  failureThreshold: {{ $p.retries }}
{{- end -}}

{{- define "topsongs.httpCheck" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{- end -}}

{{/* X-API-Key auth only when the Secret holds INGEST_API_KEY */}}
{{- define "topsongs.env.ingestApiKey" -}}
{{ include "topsongs.secretEnv" (dict "root" . "name" "INGEST_API_KEY" "optional" true) }}
{{- end -}}

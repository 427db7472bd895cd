{{/*
topsongs.airflowPod: one Airflow component's pod template (compose's x-airflow plus its command):
(dict "root" $ "component" "airflow-scheduler" "command" <list> "ports" <list> "probes" <dict> "resources" <map>
      ["secretEnv" <keys of the Secret only this component reads>])
Waits for `airflow db migrate` (the Job) before starting: Kubernetes has no depends_on.
*/}}
{{- define "topsongs.airflowPod" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "topsongs.labels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  {{- include "topsongs.podCommon" $root | nindent 2 }}
  {{- include "topsongs.podSecurity" (dict "root" $root) | nindent 2 }}
  initContainers:
    - name: wait-for-migrations
      image: {{ include "topsongs.image" (dict "root" $root "name" "airflow") }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      {{- include "topsongs.containerSecurity" $root | nindent 6 }}
      command: ["airflow", "db", "check-migrations", "--migration-wait-timeout", "600"]
      {{- include "topsongs.env" (dict "root" $root "parts" (list "airflow")) | nindent 6 }}
      resources:
        {{- toYaml $root.Values.jobs.resources | nindent 8 }}
  containers:
    - name: {{ .component }}
      image: {{ include "topsongs.image" (dict "root" $root "name" "airflow") }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      {{- include "topsongs.containerSecurity" $root | nindent 6 }}
      command:
        {{- toYaml .command | nindent 8 }}
      {{- $parts := list "airflow" }}
      {{- range .secretEnv }}{{ $parts = append $parts (printf "secret:%s" .) }}{{ end }}
      {{- include "topsongs.env" (dict "root" $root "parts" $parts) | nindent 6 }}
      {{- with .ports }}
      ports:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "topsongs.probes" (merge (dict "root" $root) .probes) | nindent 6 }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      volumeMounts:
        - {name: logs, mountPath: /opt/airflow/logs}
  volumes:
    # task logs: the scheduler runs the tasks (LocalExecutor) and serves their logs on 8793
    - name: logs
      emptyDir: {}
{{- end -}}

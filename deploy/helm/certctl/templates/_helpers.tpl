{{/* Go template built-ins only (no Sprig, no include/toYaml): the chart renders the same under
helm and under the plain text/template engine the repository's test uses. */}}
{{- define "certctl.fullname" -}}{{ .Release.Name }}-certctl{{- end -}}
{{- define "certctl.serverUrl" -}}
{{- if .Values.agent.serverUrl -}}{{ .Values.agent.serverUrl }}{{- else -}}https://{{ .Release.Name }}-certctl-server.{{ .Release.Namespace }}.svc:{{ .Values.server.service.httpsPort }}{{- end -}}
{{- end -}}

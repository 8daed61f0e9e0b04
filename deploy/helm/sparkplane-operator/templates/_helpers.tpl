{{- define "sparkplane.name" -}}sparkplane-operator{{- end -}}
{{- define "sparkplane.labels" -}}
app.kubernetes.io/name: sparkplane-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

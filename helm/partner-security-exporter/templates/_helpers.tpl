{{- define "pse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "pse.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "pse.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "pse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "pse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The `job` label prometheus-operator gives the series the ServiceMonitor scrapes: the value of the
Service label named by serviceMonitor.jobLabel, or the Service name when that is empty.
*/}}
{{- define "pse.jobName" -}}
{{- $labels := include "pse.labels" . | fromYaml }}
{{- $job := "" }}
{{- with .Values.serviceMonitor.jobLabel }}{{ $job = get $labels . }}{{ end }}
{{- default (include "pse.fullname" .) $job }}
{{- end }}

{{- define "pse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the Azure credential, chart-made or existing. */}}
{{- define "pse.credentialSecret" -}}
{{- if eq .Values.credentials.mode "existingSecret" }}{{ .Values.credentials.existingSecret }}{{ else }}{{ include "pse.fullname" . }}-credentials{{ end }}
{{- end }}

{{- define "pse.scheme" -}}
{{- if and .Values.webConfig.enabled .Values.webConfig.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}


{{- define "pse.validate" -}}
{{- $mode := .Values.credentials.mode }}
{{- if and (ne $mode "managedIdentity") (or (not .Values.azure.tenantId) (not .Values.azure.clientId)) }}
{{- fail "azure.tenantId and azure.clientId are required for this credentials.mode" }}
{{- end }}
{{- if and (eq $mode "existingSecret") (not .Values.credentials.existingSecret) }}
{{- fail "credentials.existingSecret is required with credentials.mode existingSecret" }}
{{- end }}
{{- if and (eq $mode "clientSecret") (not .Values.credentials.clientSecret) }}
{{- fail "credentials.clientSecret is required with credentials.mode clientSecret" }}
{{- end }}
{{- if and (eq $mode "clientCertificate") (not .Values.credentials.clientCertificate) }}
{{- fail "credentials.clientCertificate is required with credentials.mode clientCertificate" }}
{{- end }}
{{- if and .Values.webConfig.enabled .Values.webConfig.tls.enabled (not .Values.webConfig.tls.existingSecret) }}
{{- fail "webConfig.tls.existingSecret is required when webConfig.tls.enabled" }}
{{- end }}
{{- if and .Values.webConfig.enabled .Values.webConfig.basicAuth.enabled (not .Values.webConfig.basicAuth.password) }}
{{- fail "webConfig.basicAuth.password is required when webConfig.basicAuth.enabled" }}
{{- end }}
{{- end }}

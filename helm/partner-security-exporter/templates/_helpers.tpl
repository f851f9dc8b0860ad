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
{{- if not .Values.image.repository }}
{{- fail "image.repository is required: the registry and name you pushed the image to, e.g. myacr.azurecr.io/partner-security-exporter (README: Run the container)" }}
{{- end }}
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

{{/* The image of the exporter, for the Deployment and the backfill Job. */}}
{{- define "pse.image" -}}
"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
{{- end }}

{{/* Pod securityContext of the exporter's pods (Deployment and backfill Job). */}}
{{- define "pse.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container securityContext of the exporter's containers. */}}
{{- define "pse.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
{{- end }}

{{/*
The exporter's environment: every run setting and the credential, the same for the Deployment and
the backfill Job (which reads the same PSE_* and AZURE_* variables).
*/}}
{{- define "pse.env" -}}
{{- $mode := .Values.credentials.mode -}}
- name: PSE_LISTEN_ADDRESS
  value: "0.0.0.0:{{ .Values.exporter.port }}"
- name: PSE_METRICS_PATH
  value: {{ .Values.exporter.metricsPath | quote }}
- name: PSE_REFRESH_INTERVAL
  value: {{ .Values.exporter.refreshInterval | quote }}
- name: PSE_MAX_STALENESS
  value: {{ .Values.exporter.maxStaleness | quote }}
- name: PSE_GRAPH_BASE_URL
  value: {{ .Values.exporter.graphBaseUrl | quote }}
- name: PSE_REQUEST_TIMEOUT
  value: {{ .Values.exporter.requestTimeout | quote }}
- name: PSE_MAX_PAGES
  value: {{ .Values.exporter.maxPages | quote }}
- name: PSE_LOG_LEVEL
  value: {{ .Values.exporter.logLevel | quote }}
- name: PSE_LOG_FORMAT
  value: {{ .Values.exporter.logFormat | quote }}
- name: PSE_CUSTOMER_SERIES
  value: {{ .Values.exporter.customerSeries | quote }}
- name: PSE_CUSTOMER_NAMES
  value: {{ .Values.exporter.customerNames | quote }}
- name: PSE_GDAP_RELATIONSHIPS
  value: {{ .Values.exporter.gdapRelationships | toString | quote }}
- name: PSE_SECURITY_ALERTS
  value: {{ .Values.exporter.securityAlerts | toString | quote }}
- name: PSE_CREDENTIAL
  value: {{ get (dict "existingSecret" "client-secret" "clientSecret" "client-secret" "clientCertificate" "client-certificate" "workloadIdentity" "workload-identity" "managedIdentity" "managed-identity") $mode | quote }}
{{- if .Values.azure.tenantId }}
- name: AZURE_TENANT_ID
  value: {{ .Values.azure.tenantId | quote }}
{{- end }}
{{- if .Values.azure.clientId }}
- name: AZURE_CLIENT_ID
  value: {{ .Values.azure.clientId | quote }}
{{- end }}
{{- if .Values.azure.authorityHost }}
- name: AZURE_AUTHORITY_HOST
  value: {{ .Values.azure.authorityHost | quote }}
{{- end }}
{{- if or (eq $mode "existingSecret") (eq $mode "clientSecret") }}
- name: AZURE_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "pse.credentialSecret" . }}
      key: {{ if eq $mode "existingSecret" }}{{ .Values.credentials.existingSecretKey }}{{ else }}client-secret{{ end }}
{{- end }}
{{- if eq $mode "clientCertificate" }}
- name: AZURE_CLIENT_CERTIFICATE_PATH
  value: /etc/partner-security-exporter/credentials/client-certificate.pem
{{- if .Values.credentials.clientCertificatePassword }}
- name: AZURE_CLIENT_CERTIFICATE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "pse.credentialSecret" . }}
      key: client-certificate-password
{{- end }}
{{- end }}
{{- if .Values.webConfig.enabled }}
- name: PSE_WEB_CONFIG_FILE
  value: /etc/partner-security-exporter/web/web-config.yml
{{- end }}
{{- with .Values.exporter.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The exporter container's volumeMounts: /tmp, the credential and the web config. */}}
{{- define "pse.volumeMounts" -}}
{{- $mode := .Values.credentials.mode -}}
- name: tmp
  mountPath: /tmp
{{- if eq $mode "clientCertificate" }}
- name: credentials
  mountPath: /etc/partner-security-exporter/credentials
  readOnly: true
{{- end }}
{{- if .Values.webConfig.enabled }}
- name: web-config
  mountPath: /etc/partner-security-exporter/web
  readOnly: true
{{- if .Values.webConfig.tls.enabled }}
- name: tls
  mountPath: /etc/partner-security-exporter/tls
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* The volumes pse.volumeMounts mounts. */}}
{{- define "pse.volumes" -}}
{{- $mode := .Values.credentials.mode -}}
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
{{- if eq $mode "clientCertificate" }}
- name: credentials
  secret:
    secretName: {{ include "pse.credentialSecret" . }}
    items:
      - key: client-certificate.pem
        path: client-certificate.pem
{{- end }}
{{- if .Values.webConfig.enabled }}
- name: web-config
  secret:
    secretName: {{ include "pse.fullname" . }}-web-config
{{- if .Values.webConfig.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .Values.webConfig.tls.existingSecret }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The labels Prometheus stores on the series the chart's ServiceMonitor scrapes, as `--label name=value`
arguments of `backfill`: job (pse.jobName), namespace, service and instance=backfill, the Service
labels of serviceMonitor.targetLabels and the pod labels of podTargetLabels (sanitized as the operator
does), then backfill.labels (e.g. a label a relabeling adds).
*/}}
{{- define "pse.backfillLabelArgs" -}}
{{- $labels := dict "job" (include "pse.jobName" .) "namespace" .Release.Namespace "service" (include "pse.fullname" .) "instance" "backfill" }}
{{- $service := include "pse.labels" . | fromYaml }}
{{- range $name := .Values.serviceMonitor.targetLabels }}
{{- with get $service $name }}{{ $_ := set $labels (regexReplaceAll "[^a-zA-Z0-9_]" $name "_") (toString .) }}{{ end }}
{{- end }}
{{- $pod := merge (include "pse.selectorLabels" . | fromYaml) (deepCopy (.Values.podLabels | default dict)) }}
{{- range $name := .Values.serviceMonitor.podTargetLabels }}
{{- with get $pod $name }}{{ $_ := set $labels (regexReplaceAll "[^a-zA-Z0-9_]" $name "_") (toString .) }}{{ end }}
{{- end }}
{{- range $name, $value := .Values.backfill.labels }}{{ $_ := set $labels $name $value }}{{ end }}
{{- range $name := list "job" "namespace" "service" "instance" }}
- --label
- {{ printf "%s=%s" $name (get $labels $name) | quote }}
{{- end }}
{{- range $name, $value := $labels }}
{{- if not (has $name (list "job" "namespace" "service" "instance")) }}
- --label
- {{ printf "%s=%s" $name $value | quote }}
{{- end }}
{{- end }}
{{- end }}

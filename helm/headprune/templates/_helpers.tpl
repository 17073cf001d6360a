{{- define "headprune.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "headprune.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "headprune.secretName" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecret }}{{- else -}}{{ include "headprune.fullname" . }}-db{{- end -}}
{{- end -}}

{{- define "headprune.claimName" -}}
{{- if .Values.persistence.existingClaim -}}{{ .Values.persistence.existingClaim }}{{- else -}}{{ include "headprune.fullname" . }}-artifacts{{- end -}}
{{- end -}}

{{/* Environment every pod gets: database, data directory; the role is added per Deployment. */}}
{{- define "headprune.env" -}}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "headprune.secretName" . }}
      key: {{ .Values.database.existingSecretKey | default "password" }}
{{- with .Values.security.existingSecret }}
{{- range $key, $name := dict "admin-key" "HEADPRUNE_SECURITY_ADMIN_KEY" "key-encryption-key" "HEADPRUNE_SECURITY_KEY_ENCRYPTION_KEY" "oidc-issuer-uri" "HEADPRUNE_SECURITY_OIDC_ISSUER_URI" "oidc-jwk-set-uri" "HEADPRUNE_SECURITY_OIDC_JWK_SET_URI" "oidc-audience" "HEADPRUNE_SECURITY_OIDC_AUDIENCE" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.security.existingSecret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Probes on the actuator health groups, on the management port. */}}
{{- define "headprune.probes" -}}
startupProbe:
  httpGet: {path: /actuator/health/liveness, port: management}
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /actuator/health/liveness, port: management}
  periodSeconds: 15
readinessProbe:
  httpGet: {path: /actuator/health/readiness, port: management}
  periodSeconds: 10
{{- end -}}

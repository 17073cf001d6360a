{{- define "headprune.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "headprune.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "headprune.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The standard labels of every object. */}}
{{- define "headprune.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "headprune.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: headprune
{{- end -}}

{{- define "headprune.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "headprune.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Pod settings every Deployment shares: service account, pull secrets, pod security context. */}}
{{- define "headprune.podSpec" -}}
serviceAccountName: {{ include "headprune.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Pod annotations: a checksum of the configuration, so that a changed setting rolls the pods. */}}
{{- define "headprune.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
prometheus.io/scrape: "true"
prometheus.io/path: /actuator/prometheus
prometheus.io/port: {{ .Values.api.managementPort | quote }}
{{- end -}}

{{/* Writable scratch for a read-only root filesystem: /tmp and DJL's native-library cache. */}}
{{- define "headprune.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: djl-cache
  mountPath: /var/cache/djl
{{- if .Values.database.caSecret }}
- name: database-ca
  mountPath: /etc/headprune/database-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "headprune.scratchVolumes" -}}
- name: tmp
  emptyDir: {}
- name: djl-cache
  emptyDir: {}
{{- if .Values.database.caSecret }}
- name: database-ca
  secret:
    secretName: {{ .Values.database.caSecret }}
{{- end }}
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

{{/*
With a ReadWriteOnce volume every pod of the release must run on the node that mounts it: a
required affinity to the release's other pods (the first pod schedules anywhere, as it matches its
own term). Given an affinity of its own ($own), a pod keeps that instead.
*/}}
{{- define "headprune.affinity" -}}
{{- $root := index . 0 -}}
{{- $own := index . 1 -}}
{{- if $own }}
affinity:
  {{- toYaml $own | nindent 2 }}
{{- else if and $root.Values.persistence.enabled (ne $root.Values.persistence.accessMode "ReadWriteMany") }}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels:
            app.kubernetes.io/instance: {{ $root.Release.Name }}
            app.kubernetes.io/name: {{ include "headprune.name" $root }}
        topologyKey: kubernetes.io/hostname
{{- end }}
{{- end -}}

{{/* Names, labels and small helpers shared by every template. */}}

{{- define "kubechat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name when it already contains the chart name. */}}
{{- define "kubechat.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kubechat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubechat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubechat.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubechat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubechat
{{- end }}

{{- define "kubechat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubechat.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubechat.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* A TOML string: JSON string syntax is a subset of TOML basic strings. */}}
{{- define "kubechat.tomlString" -}}
{{- toJson (toString .) }}
{{- end }}

{{/* A TOML array of strings. */}}
{{- define "kubechat.tomlStrings" -}}
{{- $out := list }}
{{- range . }}{{ $out = append $out (toString .) }}{{ end }}
{{- toJson $out }}
{{- end }}

{{/* Path of a mounted secret file: (dict "root" $ "file" "slack-bot-token"). */}}
{{- define "kubechat.secretPath" -}}
{{- printf "%s/%s" (trimSuffix "/" .root.Values.secretsMountPath) .file }}
{{- end }}

{{/* A config::Secret read from a mounted file: { file = "…" }. */}}
{{- define "kubechat.secretFile" -}}
{ file = {{ include "kubechat.tomlString" (include "kubechat.secretPath" .) }} }
{{- end }}

{{/*
Every Secret the pod mounts, as a list of {name, key, file}: one place, so the config (which
points at the files) and the projected volume (which creates them) can never disagree.
*/}}
{{- define "kubechat.secretMounts" -}}
{{- $m := list }}
{{- $v := .Values }}
{{- if $v.slack.enabled }}
{{- $s := required "slack.existingSecret is required when slack.enabled (a Secret with the bot token…)" $v.slack.existingSecret }}
{{- $m = append $m (dict "name" $s "key" $v.slack.botTokenKey "file" "slack-bot-token") }}
{{- if eq $v.slack.mode "socket" }}
{{- $m = append $m (dict "name" $s "key" $v.slack.appTokenKey "file" "slack-app-token") }}
{{- else }}
{{- $m = append $m (dict "name" $s "key" $v.slack.signingSecretKey "file" "slack-signing-secret") }}
{{- end }}
{{- end }}
{{- if $v.matrix.enabled }}
{{- $s := required "matrix.existingSecret is required when matrix.enabled (a Secret with the access token or password)" $v.matrix.existingSecret }}
{{- if $v.matrix.passwordKey }}
{{- $m = append $m (dict "name" $s "key" $v.matrix.passwordKey "file" "matrix-password") }}
{{- else }}
{{- $m = append $m (dict "name" $s "key" $v.matrix.accessTokenKey "file" "matrix-access-token") }}
{{- end }}
{{- if $v.matrix.storePassphraseKey }}
{{- $m = append $m (dict "name" $s "key" $v.matrix.storePassphraseKey "file" "matrix-store-passphrase") }}
{{- end }}
{{- end }}
{{- range $i, $p := $v.llm.providers }}
{{- if and $p.apiKeySecret $p.apiKeySecret.name }}
{{- $m = append $m (dict "name" $p.apiKeySecret.name "key" $p.apiKeySecret.key "file" (printf "llm-%d-api-key" $i)) }}
{{- end }}
{{- end }}
{{- if $v.ledger.checkpoint.enabled }}
{{- $s := required "ledger.checkpoint.existingSecret is required when ledger.checkpoint.enabled (a Secret with the Ed25519 key)" $v.ledger.checkpoint.existingSecret }}
{{- $m = append $m (dict "name" $s "key" $v.ledger.checkpoint.key "file" "ledger-checkpoint-key") }}
{{- end }}
{{- range $v.config.clusters }}
{{- $m = append $m (dict "name" .kubeconfigSecret.name "key" .kubeconfigSecret.key "file" (printf "kubeconfig-%s" .name)) }}
{{- end }}
{{- toJson $m }}
{{- end }}

{{/* The data volume's claim name. */}}
{{- define "kubechat.claimName" -}}
{{- default (printf "%s-data" (include "kubechat.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

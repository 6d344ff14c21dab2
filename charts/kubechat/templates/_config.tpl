{{/*
The kubechat config file (config.example.toml documents every key). Rendered here so the
ConfigMap and the pod's checksum annotation use the same text.
Sections marked "(needs …)" belong to features that may be newer than your kubechat image:
they are only rendered when enabled in values.
*/}}
{{- define "kubechat.configToml" -}}
{{- $v := .Values -}}
{{- $c := $v.config -}}
# Rendered by the kubechat Helm chart from values; edit values, not this file.
# Check it with: kubectl exec deploy/{{ include "kubechat.fullname" . }} -- kubechat check-config

[server]
listen = {{ include "kubechat.tomlString" (printf "%s:%d" $c.server.listenAddress (int $v.containerPort)) }}
log_format = {{ include "kubechat.tomlString" $c.server.logFormat }}

[ledger]
{{- if eq $v.ledger.backend "sqlite" }}
url = {{ include "kubechat.tomlString" (printf "sqlite://%s/%s" (trimSuffix "/" $v.persistence.mountPath) $v.ledger.sqlite.file) }}
{{- else }}
# url: from the KUBECHAT_LEDGER_URL environment variable (Secret {{ $v.ledger.postgres.existingSecret }}, key {{ $v.ledger.postgres.urlKey }}).
{{- end }}
{{- if $v.ledger.checkpoint.enabled }}

# (needs ledger checkpoints, kubechat issue 4)
[ledger.checkpoint]
signing_key = {{ include "kubechat.secretFile" (dict "root" . "file" "ledger-checkpoint-key") }}
{{- with $v.ledger.checkpoint.publicKey }}
public_key = {{ include "kubechat.tomlString" . }}
{{- end }}
every_entries = {{ int $v.ledger.checkpoint.everyEntries }}
every_seconds = {{ int $v.ledger.checkpoint.everySeconds }}
{{- end }}

[defaults]
{{- with $c.defaults.cluster }}
cluster = {{ include "kubechat.tomlString" . }}
{{- end }}
{{- with $c.defaults.namespace }}
namespace = {{ include "kubechat.tomlString" . }}
{{- end }}
preview_ttl_minutes = {{ int $c.defaults.previewTtlMinutes }}
{{- if $c.policy }}

[policy]
file = "policy.toml"
{{- end }}
{{- if $c.inCluster.enabled }}

[[clusters]]
name = {{ include "kubechat.tomlString" $c.inCluster.name }}
in_cluster = true
default_namespace = {{ include "kubechat.tomlString" $c.inCluster.defaultNamespace }}
production = {{ $c.inCluster.production }}
production_namespaces = {{ include "kubechat.tomlStrings" $c.inCluster.productionNamespaces }}
{{- end }}
{{- range $c.clusters }}

[[clusters]]
name = {{ include "kubechat.tomlString" .name }}
kubeconfig = {{ include "kubechat.tomlString" (include "kubechat.secretPath" (dict "root" $ "file" (printf "kubeconfig-%s" .name))) }}
{{- with .context }}
context = {{ include "kubechat.tomlString" . }}
{{- end }}
default_namespace = {{ include "kubechat.tomlString" (default "default" .defaultNamespace) }}
production = {{ default false .production }}
production_namespaces = {{ include "kubechat.tomlStrings" (default list .productionNamespaces) }}
{{- end }}
{{- range $c.identities }}

[[identities]]
platform = {{ include "kubechat.tomlString" .platform }}
user = {{ include "kubechat.tomlString" .user }}
kube_user = {{ include "kubechat.tomlString" .kubeUser }}
groups = {{ include "kubechat.tomlStrings" (default list .groups) }}
{{- end }}
{{- range $c.channels }}

[[channels]]
platform = {{ include "kubechat.tomlString" .platform }}
channel = {{ include "kubechat.tomlString" .channel }}
{{- with .name }}
name = {{ include "kubechat.tomlString" . }}
{{- end }}
cluster = {{ include "kubechat.tomlString" .cluster }}
namespace = {{ include "kubechat.tomlString" .namespace }}
{{- end }}
{{- if $v.slack.enabled }}

# (needs the Slack adapter, kubechat issue 6)
[slack]
mode = {{ include "kubechat.tomlString" $v.slack.mode }}
bot_token = {{ include "kubechat.secretFile" (dict "root" . "file" "slack-bot-token") }}
{{- if eq $v.slack.mode "socket" }}
app_token = {{ include "kubechat.secretFile" (dict "root" . "file" "slack-app-token") }}
{{- else }}
signing_secret = {{ include "kubechat.secretFile" (dict "root" . "file" "slack-signing-secret") }}
{{- end }}
allow_email_mapping = {{ $v.slack.allowEmailMapping }}
{{- with $v.slack.apiUrl }}
api_url = {{ include "kubechat.tomlString" . }}
{{- end }}
{{- end }}
{{- if $v.matrix.enabled }}

# (needs the Matrix adapter, kubechat issue 7)
[matrix]
homeserver = {{ include "kubechat.tomlString" (required "matrix.homeserver is required when matrix.enabled" $v.matrix.homeserver) }}
user_id = {{ include "kubechat.tomlString" (required "matrix.userId is required when matrix.enabled" $v.matrix.userId) }}
{{- if $v.matrix.passwordKey }}
password = {{ include "kubechat.secretFile" (dict "root" . "file" "matrix-password") }}
{{- else }}
access_token = {{ include "kubechat.secretFile" (dict "root" . "file" "matrix-access-token") }}
{{- end }}
store_path = {{ include "kubechat.tomlString" (printf "%s/%s" (trimSuffix "/" $v.persistence.mountPath) $v.matrix.storeDir) }}
{{- if $v.matrix.storePassphraseKey }}
store_passphrase = {{ include "kubechat.secretFile" (dict "root" . "file" "matrix-store-passphrase") }}
{{- end }}
prefix = {{ include "kubechat.tomlString" $v.matrix.prefix }}
allowed_inviters = {{ include "kubechat.tomlStrings" $v.matrix.allowedInviters }}
allowed_servers = {{ include "kubechat.tomlStrings" $v.matrix.allowedServers }}
{{- end }}
{{- range $i, $p := $v.llm.providers }}

# (needs the LLM planner, kubechat issue 8)
[[llm.providers]]
{{- with $p.name }}
name = {{ include "kubechat.tomlString" . }}
{{- end }}
kind = {{ include "kubechat.tomlString" $p.kind }}
url = {{ include "kubechat.tomlString" $p.url }}
model = {{ include "kubechat.tomlString" $p.model }}
timeout_seconds = {{ int (default 30 $p.timeoutSeconds) }}
allow_remote = {{ default false $p.allowRemote }}
{{- if and $p.apiKeySecret $p.apiKeySecret.name }}
api_key = {{ include "kubechat.secretFile" (dict "root" $ "file" (printf "llm-%d-api-key" $i)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name, at most 63 characters (a DNS label). */}}
{{- define "rvw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name. */}}
{{- define "rvw.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "rvw.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "rvw.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels that select the webhook's pods; never change them after a release. */}}
{{- define "rvw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rvw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels on every object. */}}
{{- define "rvw.labels" -}}
{{ include "rvw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/part-of: rasa-vault-webhook
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "rvw.serviceAccountName" -}}
{{- default (include "rvw.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* Name of the Secret holding tls.crt and tls.key, in every certificate mode. */}}
{{- define "rvw.tlsSecretName" -}}
{{- if eq .Values.tls.mode "existingSecret" }}
{{- required "tls.existingSecret.name is required when tls.mode is existingSecret" .Values.tls.existingSecret.name }}
{{- else }}
{{- printf "%s-tls" (include "rvw.fullname" .) }}
{{- end }}
{{- end }}

{{/* DNS name of the Service, the name the serving certificate must carry. */}}
{{- define "rvw.serviceHost" -}}
{{- printf "%s.%s.svc" (include "rvw.fullname" .) .Release.Namespace }}
{{- end }}

{{/* An image reference from repository, tag and digest; the digest wins. */}}
{{- define "rvw.imageRef" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository .tag }}
{{- end }}
{{- end }}

{{- define "rvw.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- include "rvw.imageRef" (dict "repository" .Values.image.repository "tag" $tag "digest" .Values.image.digest) }}
{{- end }}

{{/*
The injected containers' image: the webhook's own, unless agent.image sets a part;
then its repository and tag fall back to the webhook's, and its digest is its own
(the webhook's digest pins the webhook image only).
*/}}
{{- define "rvw.agentImage" -}}
{{- $a := .Values.agent.image }}
{{- if or $a.repository $a.tag $a.digest }}
{{- $repo := default .Values.image.repository $a.repository }}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) $a.tag }}
{{- include "rvw.imageRef" (dict "repository" $repo "tag" $tag "digest" $a.digest) }}
{{- else }}
{{- include "rvw.image" . }}
{{- end }}
{{- end }}

{{/*
rvw.selfSignedTLS returns the self-signed mode's PEMs as YAML (ca.crt, tls.crt, tls.key).
It reuses the Secret already in the cluster, so upgrades keep the CA and every replica
serves the same one; otherwise it generates them once per render and caches them on the
root context, so the Secret and the caBundle always come from the same CA.
*/}}
{{- define "rvw.selfSignedTLS" -}}
{{- if not (hasKey .Release "rvwTLS") }}
{{- $name := include "rvw.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name }}
{{- $data := dict }}
{{- if and $existing $existing.data }}
{{- $d := $existing.data }}
{{- if and (index $d "ca.crt") (index $d "tls.crt") (index $d "tls.key") }}
{{- $data = dict "ca.crt" (index $d "ca.crt" | b64dec) "tls.crt" (index $d "tls.crt" | b64dec) "tls.key" (index $d "tls.key" | b64dec) }}
{{- end }}
{{- end }}
{{- if not $data }}
{{- $days := int .Values.tls.selfSigned.validityDays }}
{{- $svc := include "rvw.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- $ca := genCA (printf "%s-ca" $svc) $days }}
{{- $cert := genSignedCert (include "rvw.serviceHost" .) nil $dns $days $ca }}
{{- $data = dict "ca.crt" $ca.Cert "tls.crt" $cert.Cert "tls.key" $cert.Key }}
{{- end }}
{{- $_ := set .Release "rvwTLS" $data }}
{{- end }}
{{- toYaml (get .Release "rvwTLS") }}
{{- end }}

{{/* The caBundle (base64 PEM) of the self-signed and existing-Secret modes. */}}
{{- define "rvw.caBundle" -}}
{{- if eq .Values.tls.mode "selfSigned" }}
{{- index (include "rvw.selfSignedTLS" . | fromYaml) "ca.crt" | b64enc }}
{{- else if eq .Values.tls.mode "existingSecret" }}
{{- required "tls.existingSecret.caBundle (PEM) is required when tls.mode is existingSecret" .Values.tls.existingSecret.caBundle | b64enc }}
{{- end }}
{{- end }}

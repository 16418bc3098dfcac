{{/*
Expand the name of the chart.
*/}}
{{- define "paywave.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "paywave.fullname" -}}
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

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "paywave.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "paywave.labels" -}}
helm.sh/chart: {{ include "paywave.chart" . }}
{{ include "paywave.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: paywave
{{- end }}

{{/*
Selector labels
*/}}
{{- define "paywave.selectorLabels" -}}
app.kubernetes.io/name: {{ include "paywave.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "paywave.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "paywave.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* ------------------------------------------------------------------ components */}}

{{/*
Selector labels of the ingress (API) pods. The component label keeps them apart from the workers'.
*/}}
{{- define "paywave.ingress.selectorLabels" -}}
{{ include "paywave.selectorLabels" . }}
app.kubernetes.io/component: ingress
{{- end }}

{{/*
Selector labels of all worker pods (any pool): used by the metrics Service and NetworkPolicy.
*/}}
{{- define "paywave.workers.selectorLabels" -}}
{{ include "paywave.selectorLabels" . }}
app.kubernetes.io/component: worker
{{- end }}

{{/*
Selector labels of one pool's pods. Context: dict "root" $ "name" <pool name>.
*/}}
{{- define "paywave.worker.selectorLabels" -}}
{{ include "paywave.workers.selectorLabels" .root }}
paywave.io/pool: {{ .name }}
{{- end }}

{{/*
Name of one pool's Deployment (and ScaledObject). Context: dict "root" $ "name" <pool name>.
*/}}
{{- define "paywave.worker.fullname" -}}
{{- printf "%s-worker-%s" (include "paywave.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
One pool's settings: `workerDefaults` overlaid with `workers.<name>`, written into .out.
Maps listed below merge key by key (so `minReplicas: 0` or `enabled: false` survive, which sprig's
merge/mergeOverwrite would drop as "empty"); any other key replaces the default whole.
Context: dict "root" $ "name" <pool name> "spec" <workers.<name>> "out" (dict).
*/}}
{{- define "paywave.worker.resolve" -}}
{{- $name := .name }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) }}
{{- fail (printf "workers.%s: a pool name must be a DNS label (lowercase letters, digits, '-')" $name) }}
{{- end }}
{{- if not (kindIs "map" .spec) }}
{{- fail (printf "workers.%s must be a map with at least `queue`" $name) }}
{{- end }}
{{- $out := .out }}
{{- range $k, $v := deepCopy (.root.Values.workerDefaults | default dict) }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- $mergeable := list "autoscaling" "podDisruptionBudget" "podAnnotations" "podLabels" "extraEnv" }}
{{- range $k, $v := .spec }}
{{- if and (has $k $mergeable) (kindIs "map" $v) (kindIs "map" (get $out $k)) }}
{{- $merged := deepCopy (get $out $k) }}
{{- range $nk, $nv := $v }}
{{- $_ := set $merged $nk $nv }}
{{- end }}
{{- $_ := set $out $k $merged }}
{{- else }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- if not (or $out.queue $out.queues) }}
{{- fail (printf "workers.%s: set `queue` (the RabbitMQ queue this pool consumes)" $name) }}
{{- end }}
{{- $_ := set $out "queueNames" ($out.queues | default (list $out.queue)) }}
{{- end }}

{{/* ------------------------------------------------------------------ images */}}

{{- define "paywave.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
Context: dict "root" $ "pool" <resolved pool>.
*/}}
{{- define "paywave.worker.image" -}}
{{- $image := .pool.image | default .root.Values.workerImage }}
{{- printf "%s:%s" $image.repository ($image.tag | default .root.Chart.AppVersion | toString) }}
{{- end }}

{{/* ------------------------------------------------------------------ configuration */}}

{{- define "paywave.configMapName" -}}
{{- printf "%s-config" (include "paywave.fullname" .) }}
{{- end }}

{{- define "paywave.secretName" -}}
{{- default (printf "%s-secrets" (include "paywave.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/*
The ConfigMap's data (non-secret PAYWAVE_* settings), as YAML. The migration Job renders the
same map as plain env vars because, as a pre-install hook, it runs before the ConfigMap exists.
*/}}
{{- define "paywave.configData" -}}
{{- $c := .Values.config -}}
PAYWAVE_ENV: {{ $c.env | quote }}
PAYWAVE_LOG_LEVEL: {{ $c.logLevel | quote }}
PAYWAVE_ROUTE: {{ $c.route | quote }}
PAYWAVE_QUEUE_PREFIX: {{ $c.queuePrefix | default "" | quote }}
PAYWAVE_QUORUM_QUEUES: {{ $c.quorumQueues | toString | quote }}
PAYWAVE_PUBLIC_URL: {{ $c.publicUrl | quote }}
PAYWAVE_STRIPE_API_BASE: {{ $c.stripeApiBase | quote }}
PAYWAVE_PAYPAL_API_BASE: {{ $c.paypalApiBase | quote }}
{{- with $c.jwtIssuer }}
PAYWAVE_JWT_ISSUER: {{ . | quote }}
{{- end }}
{{- with $c.jwtAudience }}
PAYWAVE_JWT_AUDIENCE: {{ . | quote }}
{{- end }}
{{- with $c.jwtAlgorithms }}
PAYWAVE_JWT_ALGORITHMS: {{ . | quote }}
{{- end }}
PAYWAVE_WEBHOOK_ALLOW_HTTP: {{ $c.webhookAllowHttp | toString | quote }}
{{- with $c.webhookAllowedHosts }}
PAYWAVE_WEBHOOK_ALLOWED_HOSTS: {{ . | quote }}
{{- end }}
PAYWAVE_METRICS_PORT: {{ $c.metricsPort | toString | quote }}
PAYWAVE_INGRESS_METRICS_PORT: {{ $c.ingressMetricsPort | toString | quote }}
PAYWAVE_HEARTBEAT_FILE: {{ $c.heartbeatFile | quote }}
{{- range $k, $v := $c.extraEnv }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/*
envFrom of every long-running PayWave container: the ConfigMap (secrets come from paywave.secretEnv).
*/}}
{{- define "paywave.envFrom" -}}
- configMapRef:
    name: {{ include "paywave.configMapName" . }}
{{- end }}

{{/*
The secret env vars of one role: each key of `secrets.roles.<role>` (and `common`) from the Secret;
every other key any role gets is set empty, so no development default can stand in for it (and
production refuses those). Context: dict "root" $ "role" <ingress | migrate | pool name>.
*/}}
{{- define "paywave.secretEnv" -}}
{{- $roles := .root.Values.secrets.roles }}
{{- $held := concat ($roles.common | default list) (get $roles .role | default list) }}
{{- $all := list }}
{{- range $roles }}{{ $all = concat $all (. | default list) }}{{- end }}
{{- range ($all | uniq | sortAlpha) }}
- name: {{ . }}
{{- if has . $held }}
  valueFrom:
    secretKeyRef:
      name: {{ include "paywave.secretName" $.root }}
      key: {{ . }}
      optional: true
{{- else }}
  value: ""
{{- end }}
{{- end }}
{{- end }}

{{/*
OpenTelemetry for one process when `observability.otlp.endpoint` is set: where to send OTLP/HTTP and the
service name its spans carry. Context: dict "root" $ "service" <paywave-ingress | paywave-worker-<pool>>.
*/}}
{{- define "paywave.otelEnv" -}}
{{- with .root.Values.observability.otlp }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ $.service | quote }}
{{- range $k, $v := .env }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Pod annotations that roll the pods when the rendered configuration changes.
*/}}
{{- define "paywave.checksums" -}}
checksum/config: {{ include "paywave.configData" . | sha256sum }}
{{- if and (not .Values.secrets.existingSecret) .Values.secrets.values }}
checksum/secrets: {{ toJson .Values.secrets.values | sha256sum }}
{{- end }}
{{- end }}

{{/* ------------------------------------------------------------------ pod plumbing */}}

{{- define "paywave.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end }}

{{- define "paywave.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
The RabbitMQ management URL Secret the KEDA TriggerAuthentication reads.
*/}}
{{- define "paywave.keda.secretName" -}}
{{- default (printf "%s-keda" (include "paywave.fullname" .)) .Values.keda.rabbitmq.auth.existingSecret }}
{{- end }}

{{- define "paywave.keda.triggerAuthName" -}}
{{- printf "%s-rabbitmq" (include "paywave.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
True (non-empty) when at least one enabled pool autoscales with KEDA.
*/}}
{{- define "paywave.keda.anyScaledPool" -}}
{{- range $name, $spec := .Values.workers }}
{{- if $spec }}
{{- $pool := dict }}
{{- $_ := include "paywave.worker.resolve" (dict "root" $ "name" $name "spec" $spec "out" $pool) }}
{{- if and $pool.enabled $pool.autoscaling.enabled }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Egress rules when networkPolicy.egress.enabled: DNS, the database/cache/broker ports, for workers
(external: true) the gateways' and merchants' HTTPS, then any extra `egress.to` rules.
Context: dict "root" $ "external" <bool>.
*/}}
{{- define "paywave.networkPolicy.egress" -}}
{{- $eg := .root.Values.networkPolicy.egress -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
- ports:
    {{- range $eg.servicePorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $eg.servicesTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if .external }}
- ports:
    {{- range $eg.externalPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $eg.externalTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- with .root.Values.observability.otlp }}
{{- if .endpoint }}
- ports:
    - port: {{ .port }}
      protocol: TCP
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
{{- with $eg.to }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
topologySpreadConstraints with the component's selector filled in where a constraint has no
labelSelector. Context: dict "constraints" <list> "selector" <selector labels as YAML>.
*/}}
{{- define "paywave.topologySpread" -}}
{{- $selector := .selector | fromYaml }}
{{- $out := list }}
{{- range .constraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

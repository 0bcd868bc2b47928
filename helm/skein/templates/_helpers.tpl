{{/*
Names, labels and the catalogue. Every component comes from catalogue.yaml; nothing here names a service.
*/}}

{{- define "skein.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "skein.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "skein.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The catalogue of services (catalogue.yaml), parsed once per use. */}}
{{- define "skein.catalogue" -}}
{{- .Files.Get "catalogue.yaml" | fromYaml | toJson }}
{{- end }}

{{/*
A component's settings: values' componentDefaults with components.<key> merged over them, key by key
(maps merge, anything else is replaced), so a catalogue service without a components entry runs with
the defaults. (dict "root" $ "key" $key "out" (dict)) fills "out".
*/}}
{{- define "skein.component" -}}
{{- $known := (include "skein.catalogue" .root | fromJson).services }}
{{- range $name, $_ := .root.Values.components }}
{{- if not (hasKey $known $name) }}
{{- fail (printf "components.%s: no such service in catalogue.yaml (its services: %s)" $name (keys $known | sortAlpha | join ", ")) }}
{{- end }}
{{- end }}
{{- include "skein.mergeInto" (dict "dst" .out "src" (deepCopy .root.Values.componentDefaults)) }}
{{- include "skein.mergeInto" (dict "dst" .out "src" (get .root.Values.components .key | default dict)) }}
{{- end }}

{{/* Deep merge of src into dst (dst changes): (dict "dst" "src") */}}
{{- define "skein.mergeInto" -}}
{{- $dst := .dst }}
{{- range $k, $v := .src }}
{{- $d := get $dst $k }}
{{- if and (kindIs "map" $v) (kindIs "map" $d) }}
{{- include "skein.mergeInto" (dict "dst" $d "src" $v) }}
{{- else if kindIs "map" $v }}
{{- $_ := set $dst $k (deepCopy $v) }}
{{- else }}
{{- $_ := set $dst $k $v }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels every resource carries. */}}
{{- define "skein.labels" -}}
helm.sh/chart: {{ include "skein.chart" . }}
app.kubernetes.io/name: {{ include "skein.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: skein
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "key" $key) */}}
{{- define "skein.selectorLabels" -}}
app.kubernetes.io/name: {{ include "skein.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .key }}
{{- end }}

{{- define "skein.componentLabels" -}}
{{ include "skein.labels" .root }}
app.kubernetes.io/component: {{ .key }}
{{- end }}

{{/* Name of a component's resources: <fullname>-<key> */}}
{{- define "skein.componentName" -}}
{{- printf "%s-%s" (include "skein.fullname" .root) .key | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The DNS name of a component's Service inside the cluster. */}}
{{- define "skein.serviceHost" -}}
{{- printf "%s.%s.svc" (include "skein.componentName" .) .root.Release.Namespace }}
{{- end }}

{{- define "skein.serviceAccountName" -}}
{{- if .c.serviceAccount.create }}
{{- default (include "skein.componentName" .) .c.serviceAccount.name }}
{{- else }}
{{- default "default" .c.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image of a component: {registry}/{repository}/{module}:{tag} or @digest. */}}
{{- define "skein.image" -}}
{{- $img := .c.image | default dict }}
{{- $registry := default .root.Values.image.registry $img.registry }}
{{- $repository := default .root.Values.image.repository $img.repository }}
{{- $name := default .svc.module $img.name }}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) $img.tag }}
{{- $path := $name }}
{{- if $repository }}{{ $path = printf "%s/%s" $repository $name }}{{ end }}
{{- if $registry }}{{ $path = printf "%s/%s" $registry $path }}{{ end }}
{{- if $img.digest }}
{{- printf "%s@%s" $path $img.digest }}
{{- else }}
{{- printf "%s:%s" $path $tag }}
{{- end }}
{{- end }}

{{- define "skein.imagePullPolicy" -}}
{{- default .root.Values.image.pullPolicy (.c.image | default dict).pullPolicy }}
{{- end }}

{{/* Names of upper-cased env-var parts: non-alphanumerics become "_". */}}
{{- define "skein.envName" -}}
{{- regexReplaceAll "[^A-Z0-9]" (upper .) "_" }}
{{- end }}

{{/* The restricted securityContext of every pod and container (Pod Security Standard "restricted"). */}}
{{- define "skein.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 185
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "skein.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 185
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Whether a component has the Kafka/SASL/OIDC config file (non-empty when it has). */}}
{{- define "skein.configFile" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- if has "kafka" ($svc.needs | default list) }}
{{- $k := $root.Values.kafka }}
# Kafka clients (Quarkus gives every kafka.* property to all of them)
kafka.security.protocol={{ $k.securityProtocol }}
{{- if hasPrefix "SASL_" $k.securityProtocol }}
kafka.sasl.mechanism={{ $k.sasl.mechanism }}
{{- $module := ternary "org.apache.kafka.common.security.plain.PlainLoginModule" "org.apache.kafka.common.security.scram.ScramLoginModule" (eq $k.sasl.mechanism "PLAIN") }}
kafka.sasl.jaas.config={{ $module }} required username="${SKEIN_KAFKA_USERNAME}" password="${SKEIN_KAFKA_PASSWORD}";
{{- end }}
{{- if and (hasSuffix "SSL" $k.securityProtocol) $k.tls.caSecret.name }}
kafka.ssl.truststore.type=PEM
kafka.ssl.truststore.location=/etc/skein/kafka-tls/ca.crt
{{- end }}
{{- range $name, $value := $k.properties }}
{{- /* credentials come from Secrets (kafka.sasl.existingSecret), never from values written into a ConfigMap */ -}}
{{- if or (regexMatch "(?i)(password|secret|keystore\\.key)" $name) (and (regexMatch "(?i)jaas\\.config" $name) (regexMatch "(?i)password\\s*=" (toString $value))) }}
{{- fail (printf "kafka.properties.%s looks like a credential: the properties are written into a ConfigMap; give Kafka's credentials with kafka.sasl.existingSecret (and kafka.tls.caSecret), never as a value" $name) }}
{{- end }}
kafka.{{ $name }}={{ $value }}
{{- end }}
{{- end }}
{{- if has "oidc" ($svc.outbound | default list) }}
{{- range $name, $p := $root.Values.auth.oidc }}
# OIDC provider {{ $name }}
{{- $prefix := printf "skein.auth.oidc.%q" $name }}
{{- range $field := list "issuer" "jwksUrl" "audience" "usernameClaim" "groupsClaim" "usernamePrefix" "algorithms" "jwksCacheTtl" "clockSkew" "authorizationEndpoint" "tokenEndpoint" "clientId" "scopes" "displayName" }}
{{- $v := get $p $field }}
{{- if kindIs "slice" $v }}{{ $v = join "," $v }}{{ end }}
{{- if $v }}
{{ $prefix }}.{{ kebabcase $field }}={{ $v }}
{{- end }}
{{- end }}
{{- if and $p.clientSecret $p.clientSecret.existingSecret }}
{{ $prefix }}.client-secret=${SKEIN_OIDC_{{ include "skein.envName" $name }}_CLIENT_SECRET}
{{- end }}
{{- range $group, $g := $p.groups }}
{{- if hasKey $g "admin" }}
{{ $prefix }}.groups.{{ $group | quote }}.admin={{ $g.admin }}
{{- end }}
{{- if $g.defaultPermission }}
{{ $prefix }}.groups.{{ $group | quote }}.default-permission={{ $g.defaultPermission }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The LLM gateway's endpoints file (MLflow 2.x's gateway YAML) of a component whose catalogue outbound names
llm-providers: components.<key>.endpoints under `endpoints:` (`endpoints: []` without any). Provider keys
never go in it: each is `$ENV_VAR`, set from a Secret by components.<key>.providerKeys (or env).
(dict "root" "key" "svc" "c") -> the file; empty for any other component (which may not set endpoints).
*/}}
{{- define "skein.endpointsFile" -}}
{{- $c := .c }}
{{- $key := .key }}
{{- if has "llm-providers" (.svc.outbound | default list) }}
{{- $envs := list }}
{{- range $k := $c.providerKeys | default list }}{{ $envs = append $envs $k.env }}{{ end }}
{{- range $e := $c.env | default list }}{{ $envs = append $envs $e.name }}{{ end }}
{{- range $i, $e := $c.endpoints | default list }}
{{- $config := (($e.model | default dict).config | default dict) }}
{{- range $field, $value := $config }}
{{- if regexMatch "(?i)(key|secret|token|password)" $field }}
{{- $s := toString $value }}
{{- if not (regexMatch "^\\$[A-Za-z_][A-Za-z0-9_]*$" $s) }}
{{- fail (printf "components.%s.endpoints[%d].model.config.%s looks like a credential given as a value: the endpoints are written into a ConfigMap; write $SOME_ENV_VAR and set that variable from a Secret with components.%s.providerKeys" $key $i $field $key) }}
{{- end }}
{{- if not (has (trimPrefix "$" $s) $envs) }}
{{- fail (printf "components.%s.endpoints[%d].model.config.%s reads %s, which no components.%s.providerKeys entry (or env) sets: the service would refuse to start" $key $i $field $s $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
# MLflow 2.x's gateway endpoints (components.{{ $key }}.endpoints), read once at startup
{{ dict "endpoints" ($c.endpoints | default list) | toYaml }}
{{- else if or $c.endpoints $c.providerKeys }}
{{- fail (printf "components.%s.endpoints and providerKeys are for a service that calls LLM providers (catalogue outbound llm-providers); %s does not" $key $key) }}
{{- end }}
{{- end }}

{{/* A secretKeyRef env var: (list name secret key [optional]) */}}
{{- define "skein.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 | quote }}
      key: {{ index . 2 | quote }}
{{- if gt (len .) 3 }}
      optional: {{ index . 3 }}
{{- end }}
{{- end }}

{{/* The database settings of a component with a schema: (dict "root" "key" "c") -> dict */}}
{{- define "skein.database" -}}
{{- $pg := .root.Values.postgresql }}
{{- $db := .c.database | default dict }}
{{- $secret := default $pg.existingSecret $db.existingSecret }}
{{- $host := default $pg.host $db.host }}
{{- dict
    "host" (required "postgresql.host is required: the PostgreSQL that holds the services' schemas" $host)
    "name" (default $pg.database $db.name)
    "secret" (required (printf "postgresql.existingSecret (or components.%s.database.existingSecret) is required: the Secret with the database roles' credentials" .key) $secret)
    "userKey" (default (printf "%s-username" .key) $db.usernameKey)
    "passwordKey" (default (printf "%s-password" .key) $db.passwordKey)
  | toJson }}
{{- end }}

{{/*
The environment of a component's container: (dict "root" "key" "svc" "c" "migrate").
migrate=true: the migration Job's (owner credentials, migrate-at-start on, no config file).
*/}}
{{- define "skein.env" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $svc := .svc }}
{{- $c := .c }}
{{- $needs := $svc.needs | default list }}
{{- $outbound := $svc.outbound | default list }}
{{- if not .migrate }}
- name: QUARKUS_HTTP_HOST
  value: "0.0.0.0"
- name: QUARKUS_HTTP_PORT
  value: {{ $svc.port | quote }}
- name: QUARKUS_MANAGEMENT_HOST
  value: "0.0.0.0"
- name: QUARKUS_MANAGEMENT_PORT
  value: {{ $svc.managementPort | quote }}
{{- end }}
- name: QUARKUS_LOG_CONSOLE_JSON_ENABLED
  value: {{ $v.logging.json | quote }}
- name: QUARKUS_LOG_LEVEL
  value: {{ $v.logging.level | quote }}
{{- if not .migrate }}
- name: QUARKUS_SHUTDOWN_TIMEOUT
  value: {{ printf "%vs" $c.shutdown.timeoutSeconds | quote }}
{{- end }}
{{- if and $c.javaOptions (not .migrate) }}
- name: JAVA_TOOL_OPTIONS
  value: {{ $c.javaOptions | quote }}
{{- end }}
{{ include "skein.secretEnv" (list "SKEIN_INTERNAL_TOKEN" (required "internalToken.existingSecret is required: the Secret with the internal credential every service sends and checks" $v.internalToken.existingSecret) $v.internalToken.key) }}
{{- if $v.internalToken.acceptedTokensKey }}
{{ include "skein.secretEnv" (list "SKEIN_INTERNAL_ACCEPTED_TOKENS" $v.internalToken.existingSecret $v.internalToken.acceptedTokensKey "true") }}
{{- end }}
{{- range $up := ternary list ($svc.upstreams | default list) (eq .migrate true) }}
{{- $client := include "skein.envName" $up.client }}
{{- $host := include "skein.serviceHost" (dict "root" $root "key" $up.service) }}
{{- $port := (get (include "skein.catalogue" $root | fromJson).services $up.service).port }}
{{- if eq ($up.protocol | default "grpc") "http" }}
{{- /* plain HTTP (skein.upstreams.<client>.host/port), no gRPC client; the host is the upstream's headless Service */}}
- name: SKEIN_UPSTREAMS_{{ $client }}_HOST
  value: {{ $host | quote }}
- name: SKEIN_UPSTREAMS_{{ $client }}_PORT
  value: {{ $port | quote }}
{{- else }}
- name: QUARKUS_GRPC_CLIENTS_{{ $client }}_HOST
  value: {{ $host | quote }}
- name: QUARKUS_GRPC_CLIENTS_{{ $client }}_PORT
  value: {{ $port | quote }}
{{- /* the host is a headless Service: DNS gives every ready pod, and the client spreads calls over them */}}
- name: QUARKUS_GRPC_CLIENTS_{{ $client }}_LOAD_BALANCING_POLICY
  value: round_robin
{{- end }}
{{- end }}
{{- if $svc.schema }}
{{- $db := include "skein.database" (dict "root" $root "key" .key "c" $c) | fromJson }}
- name: SKEIN_DB_HOST
  value: {{ $db.host | quote }}
- name: SKEIN_DB_PORT
  value: {{ $v.postgresql.port | quote }}
- name: SKEIN_DB_NAME
  value: {{ $db.name | quote }}
{{ include "skein.secretEnv" (list "SKEIN_DB_USER" $db.secret $db.userKey) }}
{{ include "skein.secretEnv" (list "SKEIN_DB_PASSWORD" $db.secret $db.passwordKey) }}
{{- if .migrate }}
{{ include "skein.secretEnv" (list "SKEIN_DB_OWNER_USER" $db.secret $v.postgresql.ownerUsernameKey) }}
{{ include "skein.secretEnv" (list "SKEIN_DB_OWNER_PASSWORD" $db.secret $v.postgresql.ownerPasswordKey) }}
- name: QUARKUS_INIT_AND_EXIT
  value: "true"
- name: QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START
  value: "true"
{{- else }}
- name: QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START
  value: "false"
{{- end }}
{{- if $v.postgresql.sslMode }}
{{- if and (has $v.postgresql.sslMode (list "verify-ca" "verify-full")) (not $v.postgresql.caSecret.name) }}
{{- fail (printf "postgresql.sslMode %s needs postgresql.caSecret.name: the Secret with the CA certificate that signs PostgreSQL's server certificate (the services' reactive pool verifies against it and refuses the connection without it)" $v.postgresql.sslMode) }}
{{- end }}
- name: QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE
  value: {{ $v.postgresql.sslMode | quote }}
{{- $params := printf "sslmode=%s" $v.postgresql.sslMode }}
{{- if $v.postgresql.caSecret.name }}
{{- $params = printf "%s&sslrootcert=/etc/skein/postgresql-tls/ca.crt" $params }}
- name: QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM
  value: "true"
- name: QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS
  value: /etc/skein/postgresql-tls/ca.crt
{{- end }}
{{- if eq $v.postgresql.sslMode "verify-full" }}
- name: QUARKUS_DATASOURCE_REACTIVE_HOSTNAME_VERIFICATION_ALGORITHM
  value: HTTPS
{{- end }}
{{- $jdbcUrl := printf "jdbc:postgresql://%s:%v/%s?%s" $db.host $v.postgresql.port $db.name $params }}
- name: QUARKUS_DATASOURCE_MIGRATIONS_JDBC_URL
  value: {{ $jdbcUrl | quote }}
{{- /* the default datasource's JDBC URL too (tracking's and registry's blocking pool); ignored where it is off (quarkus.datasource.jdbc=false) */}}
- name: QUARKUS_DATASOURCE_JDBC_URL
  value: {{ $jdbcUrl | quote }}
{{- end }}
{{- end }}
{{- if has "kafka" $needs }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ required "kafka.bootstrapServers is required: the Kafka the services publish to and consume from" $v.kafka.bootstrapServers | quote }}
{{- if and (not .migrate) (hasPrefix "SASL_" $v.kafka.securityProtocol) }}
{{ include "skein.secretEnv" (list "SKEIN_KAFKA_USERNAME" (required "kafka.sasl.existingSecret is required with a SASL security protocol" $v.kafka.sasl.existingSecret) $v.kafka.sasl.usernameKey) }}
{{ include "skein.secretEnv" (list "SKEIN_KAFKA_PASSWORD" $v.kafka.sasl.existingSecret $v.kafka.sasl.passwordKey) }}
{{- end }}
{{- end }}
{{- if and (has "s3" $needs) (not .migrate) }}
{{- $s3 := $v.s3 }}
- name: SKEIN_ARTIFACTS_S3_ENDPOINT
  value: {{ required "s3.endpoint is required: the S3 API endpoint of the artifacts' bucket" $s3.endpoint | quote }}
{{- if $s3.publicEndpoint }}
- name: SKEIN_ARTIFACTS_S3_PUBLIC_ENDPOINT
  value: {{ $s3.publicEndpoint | quote }}
{{- end }}
{{- if $s3.region }}
- name: SKEIN_ARTIFACTS_S3_REGION
  value: {{ $s3.region | quote }}
{{- end }}
{{- if ne (toString $s3.pathStyle) "" }}
- name: SKEIN_ARTIFACTS_S3_PATH_STYLE
  value: {{ $s3.pathStyle | toString | quote }}
{{- end }}
- name: SKEIN_ARTIFACTS_S3_BUCKET
  value: {{ required "s3.bucket is required" $s3.bucket | quote }}
{{- if not (kindIs "invalid" $s3.prefix) }}
- name: SKEIN_ARTIFACTS_S3_PREFIX
  value: {{ $s3.prefix | quote }}
{{- end }}
- name: SKEIN_ARTIFACTS_S3_CREATE_BUCKET
  value: {{ $s3.createBucket | quote }}
{{- if $s3.extraRoots }}
- name: SKEIN_ARTIFACTS_EXTRA_ROOTS
  value: {{ join "," $s3.extraRoots | quote }}
{{- end }}
{{- if $s3.existingSecret }}
{{ include "skein.secretEnv" (list "SKEIN_ARTIFACTS_S3_ACCESS_KEY" $s3.existingSecret $s3.accessKeyKey) }}
{{ include "skein.secretEnv" (list "SKEIN_ARTIFACTS_S3_SECRET_KEY" $s3.existingSecret $s3.secretKeyKey) }}
{{- end }}
{{- end }}
{{- /* the migration Jobs get only the database, the owner and the internal token: the webhook keys and the
first administrator are used by the running service (at its StartupEvent, which QUARKUS_INIT_AND_EXIT never reaches) */}}
{{- if and (has "webhooks" $outbound) (not .migrate) }}
{{ include "skein.secretEnv" (list "SKEIN_REGISTRY_WEBHOOKS_SECRET_KEYS" (required "registry.webhooks.existingSecret is required: the Secret with the keys that encrypt webhook secrets" $v.registry.webhooks.existingSecret) $v.registry.webhooks.key) }}
{{- end }}
{{- if and $svc.public (not .migrate) }}
{{- $auth := $v.auth }}
- name: SKEIN_AUTH_ENABLED
  value: {{ $auth.enabled | quote }}
{{- if $auth.enabled }}
{{ include "skein.secretEnv" (list "SKEIN_AUTH_ADMIN_USERNAME" (required "auth.admin.existingSecret is required when auth.enabled: the Secret with the first administrator's user name and password" $auth.admin.existingSecret) $auth.admin.usernameKey) }}
{{ include "skein.secretEnv" (list "SKEIN_AUTH_ADMIN_PASSWORD" $auth.admin.existingSecret $auth.admin.passwordKey) }}
{{- end }}
{{- if $auth.publicUrl }}
- name: SKEIN_AUTH_PUBLIC_URL
  value: {{ $auth.publicUrl | quote }}
{{- end }}
{{- $locations := list (printf "s3://%s/" $v.s3.bucket) }}
{{- range $r := $v.s3.extraRoots }}{{ $locations = append $locations $r }}{{ end }}
- name: SKEIN_AUTH_PROTECTED_LOCATIONS
  value: {{ join "," $locations | quote }}
{{- if $auth.defaultPermission }}
- name: SKEIN_AUTH_DEFAULT_PERMISSION
  value: {{ $auth.defaultPermission | quote }}
{{- end }}
{{- if $auth.adminToken.existingSecret }}
{{ include "skein.secretEnv" (list "SKEIN_GATEWAY_ADMIN_TOKEN" $auth.adminToken.existingSecret $auth.adminToken.key) }}
{{- end }}
{{- end }}
{{- if and (has "oidc" $outbound) (not .migrate) }}
{{- range $name, $p := $v.auth.oidc }}
{{- if and $p.clientSecret $p.clientSecret.existingSecret }}
{{ include "skein.secretEnv" (list (printf "SKEIN_OIDC_%s_CLIENT_SECRET" (include "skein.envName" $name)) $p.clientSecret.existingSecret (default "client-secret" $p.clientSecret.key)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (not .migrate) (trim (include "skein.configFile" .)) }}
- name: QUARKUS_CONFIG_LOCATIONS
  value: file:/etc/skein/config/skein.properties
{{- end }}
{{- if and (has "llm-providers" $outbound) (not .migrate) }}
- name: SKEIN_LLM_GATEWAY_CONFIG_FILE
  value: /etc/skein/llm-gateway/config.yaml
{{- range $k := $c.providerKeys | default list }}
{{ include "skein.secretEnv" (list $k.env $k.existingSecret $k.key) }}
{{- end }}
{{- end }}
{{- range $e := $c.env | default list }}
{{- if and (hasKey $e "value") (regexMatch "(PASSWORD|TOKEN|SECRET|KEY)" (upper $e.name)) }}
{{- fail (printf "components.%s.env: %s looks like a credential; give it with valueFrom.secretKeyRef, never as a value" $.key $e.name) }}
{{- end }}
- {{ toJson $e }}
{{- end }}
{{- end }}

{{/* Volumes and mounts of a component's pod: (dict "root" "svc" "migrate") */}}
{{- define "skein.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .c.tmpSizeLimit | default "1Gi" }}
{{- if and (not .migrate) (trim (include "skein.configFile" .)) }}
- name: config
  configMap:
    name: {{ include "skein.componentName" . }}-config
{{- end }}
{{- if and (not .migrate) (has "kafka" (.svc.needs | default list)) (hasSuffix "SSL" .root.Values.kafka.securityProtocol) .root.Values.kafka.tls.caSecret.name }}
- name: kafka-tls
  secret:
    secretName: {{ .root.Values.kafka.tls.caSecret.name | quote }}
    items:
      - key: {{ .root.Values.kafka.tls.caSecret.key | quote }}
        path: ca.crt
{{- end }}
{{- if and (not .migrate) (has "llm-providers" (.svc.outbound | default list)) }}
- name: llm-gateway
  configMap:
    name: {{ include "skein.componentName" . }}-endpoints
    items:
      - key: config.yaml
        path: config.yaml
{{- end }}
{{- if and .svc.schema .root.Values.postgresql.sslMode .root.Values.postgresql.caSecret.name }}
- name: postgresql-tls
  secret:
    secretName: {{ .root.Values.postgresql.caSecret.name | quote }}
    items:
      - key: {{ .root.Values.postgresql.caSecret.key | quote }}
        path: ca.crt
{{- end }}
{{- end }}

{{- define "skein.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (not .migrate) (trim (include "skein.configFile" .)) }}
- name: config
  mountPath: /etc/skein/config
  readOnly: true
{{- end }}
{{- if and (not .migrate) (has "kafka" (.svc.needs | default list)) (hasSuffix "SSL" .root.Values.kafka.securityProtocol) .root.Values.kafka.tls.caSecret.name }}
- name: kafka-tls
  mountPath: /etc/skein/kafka-tls
  readOnly: true
{{- end }}
{{- if and (not .migrate) (has "llm-providers" (.svc.outbound | default list)) }}
- name: llm-gateway
  mountPath: /etc/skein/llm-gateway
  readOnly: true
{{- end }}
{{- if and .svc.schema .root.Values.postgresql.sslMode .root.Values.postgresql.caSecret.name }}
- name: postgresql-tls
  mountPath: /etc/skein/postgresql-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* Whether a component is autoscaled (HPA or KEDA). */}}
{{- define "skein.autoscaled" -}}
{{- if and .c.autoscaling .c.autoscaling.enabled }}true{{ end }}
{{- end }}

{{/* The most replicas that may be down: PDB only when more than one runs. */}}
{{- define "skein.minReplicas" -}}
{{- if include "skein.autoscaled" . }}{{ .c.autoscaling.minReplicas }}{{ else }}{{ .c.replicas }}{{ end }}
{{- end }}

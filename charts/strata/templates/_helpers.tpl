{{- define "strata.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "strata.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "strata.labels" -}}
app.kubernetes.io/name: strata
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* The storage nodes as insert and select find them: the headless Service, re-resolved. */}}
{{- define "strata.storageNodes" -}}
dns+{{ include "strata.fullname" . }}-storage.{{ .Release.Namespace }}.svc:8400
{{- end -}}

{{/*
A stateless front end (insert or select): Deployment, Service, optional HPA, PDB.
Call with (dict "root" $ "component" "insert" "port" 8480 "values" .Values.insert "args" (list ...)).
*/}}
{{- define "strata.frontend" -}}
{{- $root := .root -}}
{{- $name := printf "%s-%s" (include "strata.fullname" $root) .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels: {{- include "strata.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  selector:
    app.kubernetes.io/instance: {{ $root.Release.Name }}
    app.kubernetes.io/component: {{ .component }}
  ports:
    - {name: http, port: {{ .port }}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels: {{- include "strata.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if not .values.autoscaling.enabled }}
  replicas: {{ .values.replicas }}
  {{- end }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      labels: {{- include "strata.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      containers:
        - name: {{ .component }}
          image: {{ include "strata.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - /usr/bin/strata-{{ .component }}
            - --http-listen=:{{ .port }}
            - --storage-nodes={{ include "strata.storageNodes" $root }}
            - --replication-factor={{ $root.Values.replicationFactor }}
            {{- range .args }}
            - {{ . }}
            {{- end }}
            {{- range .values.extraArgs }}
            - {{ . }}
            {{- end }}
          ports:
            - {name: http, containerPort: {{ .port }}}
          livenessProbe:
            httpGet: {path: /health, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: http}
          resources: {{- toYaml .values.resources | nindent 12 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
spec:
  minAvailable: {{ .values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
{{- if .values.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ $name }}}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: {{ .values.autoscaling.targetCPUUtilizationPercentage }}}
{{- end }}
{{- end -}}

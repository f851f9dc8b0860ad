import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IService } from "kubernetes-models/v1/Service";
import type { TargetGroup } from "../e2e/prometheus-harness.js";

/*
 * What prometheus-operator makes of a ServiceMonitor, for a real Prometheus without a cluster: the
 * scrape job its config generator writes for one endpoint (pkg/prometheus/promcfg.go,
 * generateServiceMonitorConfig), fed by file_sd target groups that carry the meta labels
 * Kubernetes endpoints discovery would give one pod behind the Service.
 */

type Endpoint = NonNullable<IServiceMonitor["spec"]["endpoints"]>[number];
type RelabelConfig = NonNullable<Endpoint["relabelings"]>[number];

/** Prometheus' spelling of a label name from a Kubernetes one (`app.kubernetes.io/name` → `app_kubernetes_io_name`). */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_");
}

/**
 * The `job` of every series the ServiceMonitor scrapes: the value of the Service label
 * `spec.jobLabel` names; the Service's name when jobLabel is empty or the label missing or empty.
 */
export function operatorJob(monitor: IServiceMonitor, service: IService): string {
  const jobLabel = monitor.spec.jobLabel;
  const value = jobLabel ? service.metadata?.labels?.[jobLabel] : undefined;
  return value || (service.metadata?.name ?? "");
}

/** A ServiceMonitor relabeling (camelCase, as in the CRD) in Prometheus' config spelling. */
function relabelConfig(config: RelabelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.sourceLabels) out.source_labels = config.sourceLabels;
  if (config.separator !== undefined) out.separator = config.separator;
  if (config.targetLabel !== undefined) out.target_label = config.targetLabel;
  if (config.regex !== undefined) out.regex = config.regex;
  if (config.modulus !== undefined) out.modulus = config.modulus;
  if (config.replacement !== undefined) out.replacement = config.replacement;
  if (config.action !== undefined) out.action = config.action.toLowerCase();
  return out;
}

/**
 * The scrape job for endpoint `index` of `monitor`, as prometheus-operator generates it, with a
 * file_sd config in place of kubernetes_sd_configs (TLS and auth left out).
 */
export function operatorScrapeJob(monitor: IServiceMonitor, index: number, namespace: string, sdFile: string): Record<string, unknown> {
  const { spec } = monitor;
  const endpoint = spec.endpoints[index];
  if (!endpoint) throw new Error(`the ServiceMonitor has no endpoint ${index}`);
  const relabelings: Array<Record<string, unknown>> = [{ source_labels: ["job"], target_label: "__tmp_prometheus_job_name" }];
  for (const [key, value] of Object.entries(spec.selector.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    relabelings.push({ action: "keep", source_labels: [`__meta_kubernetes_service_label_${sanitize(key)}`, `__meta_kubernetes_service_labelpresent_${sanitize(key)}`], regex: `(${value});true` });
  }
  if (endpoint.port) relabelings.push({ action: "keep", source_labels: ["__meta_kubernetes_endpoint_port_name"], regex: endpoint.port });
  const kinds = ["__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"];
  relabelings.push(
    { source_labels: kinds, separator: ";", regex: "Node;(.*)", replacement: "${1}", target_label: "node" },
    { source_labels: kinds, separator: ";", regex: "Pod;(.*)", replacement: "${1}", target_label: "pod" },
    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
    { source_labels: ["__meta_kubernetes_service_name"], target_label: "service" },
    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
    { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "(Failed|Succeeded)" },
  );
  for (const label of spec.targetLabels ?? []) {
    relabelings.push({ source_labels: [`__meta_kubernetes_service_label_${sanitize(label)}`], target_label: sanitize(label), regex: "(.+)", replacement: "${1}" });
  }
  for (const label of spec.podTargetLabels ?? []) {
    relabelings.push({ source_labels: [`__meta_kubernetes_pod_label_${sanitize(label)}`], target_label: sanitize(label), regex: "(.+)", replacement: "${1}" });
  }
  // The Service name first, overridden by the jobLabel's value when the Service has one.
  relabelings.push({ source_labels: ["__meta_kubernetes_service_name"], target_label: "job", replacement: "${1}" });
  if (spec.jobLabel) {
    relabelings.push({ source_labels: [`__meta_kubernetes_service_label_${sanitize(spec.jobLabel)}`], target_label: "job", regex: "(.+)", replacement: "${1}" });
  }
  if (endpoint.port) relabelings.push({ target_label: "endpoint", replacement: endpoint.port });
  relabelings.push(...(endpoint.relabelings ?? []).map(relabelConfig));
  return {
    job_name: `serviceMonitor/${namespace}/${monitor.metadata?.name ?? ""}/${index}`,
    honor_labels: endpoint.honorLabels ?? false,
    file_sd_configs: [{ files: [sdFile] }],
    ...(endpoint.interval ? { scrape_interval: endpoint.interval } : {}),
    ...(endpoint.scrapeTimeout ? { scrape_timeout: endpoint.scrapeTimeout } : {}),
    ...(endpoint.path ? { metrics_path: endpoint.path } : {}),
    ...(endpoint.scheme ? { scheme: endpoint.scheme } : {}),
    relabel_configs: relabelings,
    ...(spec.sampleLimit ? { sample_limit: spec.sampleLimit } : {}),
    ...(endpoint.metricRelabelings ? { metric_relabel_configs: endpoint.metricRelabelings.map(relabelConfig) } : {}),
  };
}

export interface Pod {
  readonly name: string;
  /** host:port the pod serves on (the pod IP and container port in a cluster). */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly container: string;
}

/** The target group endpoints discovery makes for one running pod behind `service`, on the Service port `portName`. */
export function endpointTarget(service: IService, namespace: string, portName: string, pod: Pod): TargetGroup {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: namespace,
    __meta_kubernetes_service_name: service.metadata?.name ?? "",
    __meta_kubernetes_endpoint_port_name: portName,
    __meta_kubernetes_endpoint_ready: "true",
    __meta_kubernetes_endpoint_address_target_kind: "Pod",
    __meta_kubernetes_endpoint_address_target_name: pod.name,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_container_name: pod.container,
    __meta_kubernetes_pod_phase: "Running",
  };
  for (const [key, value] of Object.entries(service.metadata?.labels ?? {})) {
    labels[`__meta_kubernetes_service_label_${sanitize(key)}`] = value;
    labels[`__meta_kubernetes_service_labelpresent_${sanitize(key)}`] = "true";
  }
  for (const [key, value] of Object.entries(pod.labels)) {
    labels[`__meta_kubernetes_pod_label_${sanitize(key)}`] = value;
    labels[`__meta_kubernetes_pod_labelpresent_${sanitize(key)}`] = "true";
  }
  return { targets: [pod.address], labels };
}

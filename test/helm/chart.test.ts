import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { IService } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.js";
import { CHART, chartCopies, chartReadme, documentedValues } from "../../tools/chart.js";
import { hasTool } from "../helpers.js";
import { operatorJob, operatorScrapeJob } from "./operator.js";

const VALUE_FILES = readdirSync(join(CHART, "ci")).filter((file) => file.endsWith(".yaml")).sort();
const enabled = hasTool("helm");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

function helm(args: string[]) {
  const result = spawnSync("helm", args, { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(valuesFile: string, extra: string[] = []): K8sObject[] {
  const result = helm(["template", "pse", CHART, "--namespace", "monitoring", "--kube-version", "1.30.0", "-f", join(CHART, "ci", valuesFile), ...extra]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  Job,
  Service,
  ServiceAccount,
  Secret,
  ConfigMap,
  NetworkPolicy,
  ServiceMonitor,
  PrometheusRule,
};

interface Container {
  image: string;
  env: Array<{ name: string; value?: string }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; scheme: string } };
  readinessProbe: { httpGet: { path: string; scheme: string } };
  volumeMounts: Array<{ mountPath: string; subPath?: string }>;
}
interface PodSpec {
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
}

function deploymentOf(objects: K8sObject[]): { pod: PodSpec; labels: Record<string, string> } {
  const deployment = objects.find((object) => object.kind === "Deployment") as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
  return { pod: deployment.spec.template.spec, labels: deployment.spec.template.metadata.labels };
}

describe("the chart's single sources of truth", () => {
  it.each(chartCopies().map(([source, copy]) => [copy.slice(CHART.length), source, copy]))("%s is the repository's file, byte for byte", (_name, source, copy) => {
    expect(readFileSync(copy, "utf8"), "run npm run chart").toBe(readFileSync(source, "utf8"));
  });

  it("README.md is what npm run chart generates", () => {
    expect(readFileSync(join(CHART, "README.md"), "utf8"), "run npm run chart").toBe(chartReadme());
  });

  it("documents every value in values.yaml", () => {
    const documented = new Set(documentedValues(readFileSync(join(CHART, "values.yaml"), "utf8")).map((doc) => doc.key));
    const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
    const leaves = (value: unknown, path: string[]): string[] =>
      value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0 && !documented.has(path.join("."))
        ? Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]))
        : [path.join(".")];
    expect(leaves(values, []).filter((key) => !documented.has(key))).toEqual([]);
  });

  it("values.schema.json knows every top-level value and rejects others", () => {
    const schema = JSON.parse(readFileSync(join(CHART, "values.schema.json"), "utf8")) as { additionalProperties: boolean; properties: Record<string, unknown> };
    const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(values).sort());
  });
});

describe.skipIf(!enabled)("the chart, rendered by the real helm", () => {
  it("passes helm lint --strict with every values file", () => {
    for (const file of VALUE_FILES) {
      const result = helm(["lint", "--strict", CHART, "--kube-version", "1.30.0", "-f", join(CHART, "ci", file)]);
      expect(result.stdout + result.stderr, file).toContain("0 chart(s) failed");
      expect(result.status, file).toBe(0);
    }
  });

  it.each(VALUE_FILES)("%s renders objects that validate against the Kubernetes and prometheus-operator schemas", (file) => {
    const objects = render(file);
    expect(objects.length).toBeGreaterThan(2);
    for (const object of objects) {
      const Model = MODELS[object.kind];
      expect(Model, `no model for ${object.kind}`).toBeDefined();
      if (Model) expect(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it.each(VALUE_FILES)("%s runs a hardened pod with probes and a valid exporter config", (file) => {
    const { pod } = deploymentOf(render(file));
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const [container] = pod.containers;
    expect(container?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container?.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container?.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container?.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/tmp" }));
    // The environment the chart sets is a configuration the exporter accepts.
    // (The web config file lives in a Secret; its content is checked in the web-config test below.)
    const env: Record<string, string> = Object.fromEntries(
      (container?.env ?? []).flatMap((variable) => (variable.value === undefined || variable.name === "PSE_WEB_CONFIG_FILE" ? [] : [[variable.name, variable.value]])),
    );
    const fromSecrets = { AZURE_CLIENT_SECRET: "from-secret", AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token" };
    expect(() => loadConfig({}, { ...env, ...fromSecrets })).not.toThrow();
  });

  it.each([
    ["defaults-values.yaml", [], "all"],
    ["defaults-values.yaml", ["--set", "exporter.customerSeries=none"], "none"],
    ["all-on-values.yaml", [], "noncompliant"],
  ])("passes customerSeries of %s %j to the exporter as PSE_CUSTOMER_SERIES=%s", (file, args, mode) => {
    const { pod } = deploymentOf(render(file, args));
    expect(pod.containers[0]?.env).toContainEqual({ name: "PSE_CUSTOMER_SERIES", value: mode });
  });

  it.each([
    ["defaults-values.yaml", [], { PSE_CUSTOMER_NAMES: "none", PSE_GDAP_RELATIONSHIPS: "auto", PSE_SECURITY_ALERTS: "true" }, { customerNames: "none", gdapRelationships: false, securityAlerts: true }],
    ["defaults-values.yaml", ["--set", "exporter.customerNames=gdap"], { PSE_CUSTOMER_NAMES: "gdap", PSE_GDAP_RELATIONSHIPS: "auto", PSE_SECURITY_ALERTS: "true" }, { customerNames: "gdap", gdapRelationships: true, securityAlerts: true }],
    ["all-on-values.yaml", [], { PSE_CUSTOMER_NAMES: "contracts", PSE_GDAP_RELATIONSHIPS: "true", PSE_SECURITY_ALERTS: "false" }, { customerNames: "contracts", gdapRelationships: true, securityAlerts: false }],
  ])("passes the optional sources of %s %j to the exporter as %j, which it reads as %j", (file, args, variables, sources) => {
    const { pod } = deploymentOf(render(file, args));
    const env = Object.fromEntries((pod.containers[0]?.env ?? []).flatMap((variable) => (variable.value === undefined ? [] : [[variable.name, variable.value]])));
    for (const [name, value] of Object.entries(variables)) expect(env[name], name).toBe(value);
    const credentials = { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" };
    expect(loadConfig({}, { ...credentials, ...pickSources(env) }).sources).toEqual(sources);
  });

  it("sets up workload identity: service-account annotation and pod label", () => {
    const objects = render("workload-identity-values.yaml");
    const account = objects.find((object) => object.kind === "ServiceAccount");
    expect(account?.metadata.annotations?.["azure.workload.identity/client-id"]).toBe("00000000-0000-0000-0000-000000000002");
    const { pod, labels } = deploymentOf(objects);
    expect(labels["azure.workload.identity/use"]).toBe("true");
    expect(pod.containers[0]?.env).toContainEqual({ name: "PSE_CREDENTIAL", value: "workload-identity" });
  });

  it("with the web config on, serves HTTPS to probes and the ServiceMonitor, with a web config the exporter accepts", () => {
    const objects = render("web-config-values.yaml");
    const { pod } = deploymentOf(objects);
    expect(pod.containers[0]?.livenessProbe.httpGet.scheme).toBe("HTTPS");
    const monitor = objects.find((object) => object.kind === "ServiceMonitor") as unknown as { spec: { endpoints: Array<Record<string, unknown>> } };
    expect(monitor.spec.endpoints[0]).toMatchObject({ scheme: "https", tlsConfig: { ca: { secret: { key: "ca.crt" } } }, basicAuth: { password: { key: "password" } }, interval: "60s", scrapeTimeout: "10s" });
    const secret = objects.find((object) => object.metadata.name.endsWith("-web-config")) as unknown as { stringData: Record<string, string> };
    const webConfig = parse(secret.stringData["web-config.yml"] ?? "") as { basic_auth_users: Record<string, string>; tls_server_config: Record<string, string> };
    expect(bcrypt.compareSync("not-a-real-password", webConfig.basic_auth_users.prometheus ?? "")).toBe(true);
    expect(webConfig.tls_server_config.cert_file).toBe("/etc/partner-security-exporter/tls/tls.crt");
    // Whole-volume mounts, so a Secret updated in place (new password, renewed certificate) reaches the running exporter.
    const mounts = pod.containers[0]?.volumeMounts.filter((mount) => /\/(web|tls)$/.test(mount.mountPath)) ?? [];
    expect(mounts).toHaveLength(2);
    for (const mount of mounts) expect(mount.subPath).toBeUndefined();
  });

  it("renders the same web config every time when given the password's bcrypt hash, and refuses a malformed one", () => {
    const hash = bcrypt.hashSync("not-a-real-password", 4);
    const webConfigOf = () => {
      const objects = render("web-config-values.yaml", ["--set", `webConfig.basicAuth.passwordHash=${hash}`]);
      const secret = objects.find((object) => object.metadata.name.endsWith("-web-config")) as unknown as { stringData: Record<string, string> };
      return secret.stringData["web-config.yml"] ?? "";
    };
    const first = webConfigOf();
    expect(webConfigOf()).toBe(first);
    expect((parse(first) as { basic_auth_users: Record<string, string> }).basic_auth_users.prometheus).toBe(hash);
    const refused = helm(["template", "pse", CHART, "--kube-version", "1.30.0", "-f", join(CHART, "ci", "web-config-values.yaml"), "--set", "webConfig.basicAuth.passwordHash=not-a-hash"]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("passwordHash");
  });

  it("ships the rules of prometheus/alerts.yml (given its selector) and the dashboards from the repository", () => {
    // Default values, the chart's template and the generator's defaults: the same rules, one source.
    const rule = render("defaults-values.yaml", ["--set", "prometheusRule.enabled=true", "--set-string", 'prometheusRule.selector=job="partner-security-exporter"']).find(
      (object) => object.kind === "PrometheusRule",
    ) as unknown as { spec: unknown };
    expect(rule.spec).toEqual(parse(readFileSync(join(CHART, "../../prometheus/alerts.yml"), "utf8")));
    const objects = render("all-on-values.yaml");
    const maps = objects.filter((object) => object.kind === "ConfigMap") as unknown as Array<{ metadata: K8sObject["metadata"]; data: Record<string, string> }>;
    expect(maps).toHaveLength(3);
    for (const map of maps) {
      expect(map.metadata.labels?.grafana_dashboard).toBe("1");
      expect(map.metadata.annotations?.grafana_folder).toBe("Security");
      const [file, json] = Object.entries(map.data)[0] ?? [];
      expect(json).toBe(readFileSync(join(CHART, "../../grafana/dashboards", file ?? ""), "utf8").replace(/\n$/, ""));
    }
  });

  it.each([
    ["no image.repository (no public image exists)", 'image:\n  repository: ""\n', "image.repository is required"],
    ["a string for replicaCount", 'replicaCount: "two"\n', "replicaCount"],
    ["an unknown top-level key", "replicas: 2\n", "replicas"],
    ["an unknown credentials mode", "credentials:\n  mode: password\n", "/credentials/mode"],
    ["clientSecret mode without a secret", "credentials:\n  mode: clientSecret\n", "credentials.clientSecret is required"],
    ["an unknown customerSeries mode", "exporter:\n  customerSeries: some\n", "/exporter/customerSeries"],
    ["an unknown customer name source", "exporter:\n  customerNames: partnerCenter\n", "/exporter/customerNames"],
    ["a securityAlerts that is no boolean", "exporter:\n  securityAlerts: \"yes\"\n", "/exporter/securityAlerts"],
  ])("refuses a values file with %s", (_name, yaml, message) => {
    const dir = mkdtempSync(join(tmpdir(), "pse-helm-bad-"));
    writeFileSync(join(dir, "bad-values.yaml"), yaml);
    const result = helm(["template", "pse", CHART, "--kube-version", "1.30.0", "-f", join(CHART, "ci", "defaults-values.yaml"), "-f", join(dir, "bad-values.yaml")]);
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe.skipIf(!enabled)("the ServiceMonitor", () => {
  function renderAs(release: string, namespace: string, args: string[] = []) {
    const result = helm(["template", release, CHART, "--namespace", namespace, "--kube-version", "1.30.0", "-f", join(CHART, "ci", "defaults-values.yaml"), "--set", "serviceMonitor.enabled=true", ...args]);
    if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
    const objects = parseAllDocuments(result.stdout).map((document) => document.toJS() as K8sObject | null);
    const monitor = objects.find((object) => object?.kind === "ServiceMonitor") as unknown as IServiceMonitor;
    const service = objects.find((object) => object?.kind === "Service") as unknown as IService;
    return { monitor, service };
  }

  it.each([
    ["pse", [], "partner-security-exporter"],
    ["acme", [], "partner-security-exporter"],
    ["partner-security-exporter", [], "partner-security-exporter"],
    ["acme", ["--set", "nameOverride=pse-exporter"], "pse-exporter"],
  ])("released as %s %j, names the job %s whatever the Service is called", (release, args, job) => {
    const { monitor, service } = renderAs(release, "security", args);
    expect(monitor.spec.jobLabel).toBe("app.kubernetes.io/name");
    expect(operatorJob(monitor, service)).toBe(job);
  });

  it("with jobLabel empty, leaves the job to the Service name, which changes with the release", () => {
    const { monitor, service } = renderAs("acme", "security", ["--set", "serviceMonitor.jobLabel="]);
    expect(monitor.spec.jobLabel).toBeUndefined();
    expect(operatorJob(monitor, service)).toBe("acme-partner-security-exporter");
  });

  it("selects the chart's own Service, by its labels, on its http port, in the release namespace, wherever the ServiceMonitor lives", () => {
    for (const args of [[], ["--set", "serviceMonitor.namespace=monitoring"]]) {
      const { monitor, service } = renderAs("acme", "security", args);
      expect(service.metadata?.labels).toMatchObject(monitor.spec.selector.matchLabels ?? {});
      expect(service.spec?.ports?.map((port) => port.name)).toContain(monitor.spec.endpoints[0]?.port);
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ["security"] });
    }
    expect(renderAs("acme", "security", ["--set", "serviceMonitor.namespace=monitoring"]).monitor.metadata?.namespace).toBe("monitoring");
    expect(renderAs("acme", "security").monitor.metadata?.namespace).toBeUndefined();
  });

  it("passes labels, relabelings, metricRelabelings, sampleLimit, targetLabels and podTargetLabels through, and the operator's scrape job carries them", () => {
    const objects = render("all-on-values.yaml");
    const monitor = objects.find((object) => object.kind === "ServiceMonitor") as unknown as IServiceMonitor;
    expect(monitor.metadata?.labels?.release).toBe("kube-prometheus-stack");
    expect(monitor.spec).toMatchObject({ jobLabel: "app.kubernetes.io/name", sampleLimit: 200000, targetLabels: ["app.kubernetes.io/instance"], podTargetLabels: ["team"] });
    expect(monitor.spec.endpoints[0]).toMatchObject({
      relabelings: [{ targetLabel: "cluster", replacement: "aks-weu-1" }],
      metricRelabelings: [{ sourceLabels: ["__name__"], regex: "partner_security_customer_mfa_compliant_non_admins", action: "drop" }],
    });
    const job = operatorScrapeJob(monitor, 0, "monitoring", "targets.json");
    expect(job).toMatchObject({ sample_limit: 200000, metric_relabel_configs: [{ source_labels: ["__name__"], action: "drop" }] });
    expect(job.relabel_configs).toContainEqual({ target_label: "cluster", replacement: "aks-weu-1" });
  });

  it("renders a large sampleLimit as an integer, not in exponent notation", () => {
    const { monitor } = renderAs("acme", "security", ["--set", "serviceMonitor.sampleLimit=5000000"]);
    expect(monitor.spec.sampleLimit).toBe(5000000);
  });

  it.each([
    ["a jobLabel the Service does not carry", ["--set", "serviceMonitor.jobLabel=app"], "/serviceMonitor/jobLabel"],
    // The chart's version label changes with every upgrade, and with it every alert's identity.
    ["a jobLabel that changes with an upgrade", ["--set", "serviceMonitor.jobLabel=app.kubernetes.io/version"], "/serviceMonitor/jobLabel"],
    ["another namespace with TLS or basic auth on /metrics", ["-f", join(CHART, "ci", "web-config-values.yaml"), "--set", "serviceMonitor.namespace=monitoring"], "serviceMonitor.namespace must be the release namespace"],
    ["a negative sampleLimit", ["--set", "serviceMonitor.sampleLimit=-1"], "sampleLimit"],
  ])("refuses %s", (_name, args, message) => {
    const result = helm(["template", "acme", CHART, "--namespace", "security", "--kube-version", "1.30.0", "-f", join(CHART, "ci", "defaults-values.yaml"), "--set", "serviceMonitor.enabled=true", ...args]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

function pickSources(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => ["PSE_CUSTOMER_NAMES", "PSE_GDAP_RELATIONSHIPS", "PSE_SECURITY_ALERTS"].includes(name)));
}

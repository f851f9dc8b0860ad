import { spawnSync } from "node:child_process";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IService } from "kubernetes-models/v1/Service";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { CHART } from "../../tools/chart.js";
import { startPrometheusWithFileSd } from "../e2e/prometheus-harness.js";
import type { FileSdPrometheus, PrometheusAlert } from "../e2e/prometheus-harness.js";
import { eventually, hasTool, sampleValue, startTestExporter, startTestSimulator } from "../helpers.js";
import { endpointTarget, operatorJob, operatorScrapeJob } from "./operator.js";
import type { Pod } from "./operator.js";

/*
 * The chart as a user installs it: a release name other than the chart's, serviceMonitor and
 * prometheusRule on. A real Prometheus loads the rendered PrometheusRule and scrapes real exporters
 * with the scrape job prometheus-operator would generate from the rendered ServiceMonitor, so the
 * series carry the labels they carry in a cluster (job, namespace, service, pod, container,
 * endpoint, instance).
 */

const RELEASE = "acme";
const NAMESPACE = "security";
const PARTNER_TENANT = "00000000-0000-0000-0000-000000000001";
const POSTURE_ALERT = "PartnerSecurityRequirementNoncompliant";
const enabled = hasTool("helm") && hasTool("prometheus");

interface Rendered {
  monitor: IServiceMonitor;
  service: IService;
  deployment: IDeployment;
  rules: string;
}

function renderChart(): Rendered {
  const result = spawnSync(
    "helm",
    [
      "template", RELEASE, CHART, "--namespace", NAMESPACE, "--kube-version", "1.30.0",
      "--set", `azure.tenantId=${PARTNER_TENANT}`, "--set", "azure.clientId=00000000-0000-0000-0000-000000000002",
      "--set", "image.repository=registry.example.test/partner-security-exporter",
      "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true",
      // Scrapes every second instead of every minute, as the harness' other Prometheus jobs do.
      "--set", "serviceMonitor.interval=1s", "--set", "serviceMonitor.scrapeTimeout=1s",
      // Seconds instead of an hour, so the posture alert fires within the test.
      "--set", `prometheusRule.alerts.${POSTURE_ALERT}.for=2s`,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  const objects = parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as { kind?: string } | null)
    .filter((object): object is { kind: string } => typeof object?.kind === "string");
  const one = <T,>(kind: string): T => {
    const found = objects.filter((object) => object.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
    return found[0] as T;
  };
  const rule = one<IPrometheusRule>("PrometheusRule");
  return { monitor: one("ServiceMonitor"), service: one("Service"), deployment: one("Deployment"), rules: stringify({ groups: rule.spec.groups }) };
}

let simulator: Simulator | undefined;
let chart: Rendered;
let contactRequirement = "";
const running: Array<{ stop(): Promise<void> }> = [];

afterEach(async () => {
  for (const thing of running.splice(0).reverse()) await thing.stop();
});

afterAll(async () => {
  await simulator?.close();
});

/** A real exporter reading the simulator, standing in for one pod of the Deployment. */
async function startPod(suffix: string): Promise<{ exporter: RunningExporter; pod: Pod }> {
  const sim = simulator;
  if (!sim) throw new Error("no simulator");
  const exporter = await startTestExporter(sim, { flags: { requestTimeout: "2s" }, client: { tenantId: PARTNER_TENANT }, retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 }, awaitFirstRefresh: false });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await exporter.close();
  };
  running.push({ stop });
  await exporter.poller.firstRefresh;
  const template = chart.deployment.spec?.template;
  const pod: Pod = {
    // As a ReplicaSet names its pods: <deployment>-<template hash>-<suffix>.
    name: `${chart.deployment.metadata?.name ?? ""}-5d8f7c9b4-${suffix}`,
    address: new URL(exporter.url).host,
    labels: template?.metadata?.labels ?? {},
    container: template?.spec?.containers[0]?.name ?? "",
  };
  return { exporter: { ...exporter, close: stop }, pod };
}

interface Monitoring {
  readonly prometheus: FileSdPrometheus;
  /** Sets the pods behind the Service, as the endpoints controller would. */
  readonly endpoints: (pods: Pod[]) => void;
}

async function startMonitoring(pods: Pod[]): Promise<Monitoring> {
  const port = chart.monitor.spec.endpoints[0]?.port ?? "";
  const targets = (list: Pod[]) => list.map((pod) => endpointTarget(chart.service, NAMESPACE, port, pod));
  const prometheus = await startPrometheusWithFileSd({
    rules: chart.rules,
    scrapeJob: (sdFile) => operatorScrapeJob(chart.monitor, 0, NAMESPACE, sdFile),
    targets: targets(pods),
  });
  running.push(prometheus);
  return { prometheus, endpoints: (list) => prometheus.setTargets(targets(list)) };
}

/** What makes an alert one alert to Alertmanager and to `for:`. */
function identity(alert: PrometheusAlert | undefined): Pick<PrometheusAlert, "labels" | "state" | "activeAt"> | undefined {
  return alert && { labels: alert.labels, state: alert.state, activeAt: alert.activeAt };
}

function named(alerts: PrometheusAlert[], alertname: string, labels: Record<string, string> = {}): PrometheusAlert[] {
  return alerts.filter((alert) => alert.labels.alertname === alertname && Object.entries(labels).every(([key, value]) => alert.labels[key] === value));
}

describe.skipIf(!enabled)(`the chart released as ${RELEASE} in ${NAMESPACE}, scraped as prometheus-operator would, with its own rules`, () => {
  beforeAll(async () => {
    chart = renderChart();
    simulator = await startTestSimulator({ tenants: 5, driftPeriodMs: 1e12 });
    // The security-contact requirement turns noncompliant before any exporter reads it.
    const probe = await startPod("probe");
    const exposition = await (await fetch(`${probe.exporter.url}/metrics`)).text();
    const line = exposition.split("\n").find((text) => text.startsWith("partner_security_requirement_score{") && text.includes('requirement_type="securityContactProvided"'));
    contactRequirement = /requirement_id="([^"]+)"/.exec(line ?? "")?.[1] ?? "";
    expect(contactRequirement).not.toBe("");
    expect(sampleValue(exposition, "partner_security_requirement_score", { requirement_id: contactRequirement })).toBe(10);
    const response = await fetch(`${simulator.url}_control/requirements/${encodeURIComponent(contactRequirement)}`, { method: "POST", body: JSON.stringify({ complianceStatus: "noncomplaint", score: 0 }) });
    expect(response.status).toBe(200);
    await probe.exporter.close();
  });

  it("names the job after the chart, whatever the release: the exporter-down alert goes pending when the exporter stops, the absent alert when its target goes", async () => {
    const job = operatorJob(chart.monitor, chart.service);
    expect(job).toBe("partner-security-exporter");
    const { exporter, pod } = await startPod("a1b2c");
    const { prometheus, endpoints } = await startMonitoring([pod]);
    const [up] = await eventually("the first scrape", async () => {
      const result = await prometheus.query("up == 1");
      return result.length > 0 ? result : undefined;
    }, 20_000);
    // The labels prometheus-operator gives a ServiceMonitor's series in a cluster.
    expect(up?.metric).toEqual({
      __name__: "up",
      job,
      namespace: NAMESPACE,
      service: `${RELEASE}-partner-security-exporter`,
      pod: pod.name,
      container: "exporter",
      endpoint: "http",
      instance: pod.address,
    });

    await exporter.close();
    const down = await eventually("PartnerSecurityExporterDown pending", async () => named(await prometheus.alerts(), "PartnerSecurityExporterDown")[0], 20_000);
    expect(down.state).toBe("pending");
    expect(down.labels).toMatchObject({ job, namespace: NAMESPACE, instance: pod.address });

    endpoints([]);
    const absent = await eventually("PartnerSecurityExporterAbsent pending", async () => named(await prometheus.alerts(), "PartnerSecurityExporterAbsent")[0], 20_000);
    expect(absent.state).toBe("pending");
  }, 60_000);

  it("keeps one identity for a posture alert when a rolling update replaces the pod with one at another instance", async () => {
    const old = await startPod("a1b2c");
    const next = await startPod("x9y8z");
    const { prometheus, endpoints } = await startMonitoring([old.pod]);
    const selector = { requirement_id: contactRequirement };
    const firing = await eventually(`${POSTURE_ALERT} firing`, async () => named(await prometheus.alerts(), POSTURE_ALERT, selector).find((alert) => alert.state === "firing"), 30_000);
    expect(firing.labels).toMatchObject({ job: "partner-security-exporter", namespace: NAMESPACE, partner_tenant_id: PARTNER_TENANT, requirement_type: "securityContactProvided" });
    for (const label of ["instance", "pod", "container", "endpoint", "action_url", "help_url"]) expect(firing.labels, label).not.toHaveProperty(label);

    // RollingUpdate with one replica: the new pod becomes ready, then the old one goes.
    endpoints([old.pod, next.pod]);
    await eventually("both pods scraped", async () => ((await prometheus.query("up == 1")).length === 2 ? true : undefined), 20_000);
    await evaluatedAfter(prometheus, Date.now());
    expect(named(await prometheus.alerts(), POSTURE_ALERT, selector).map(identity)).toEqual([identity(firing)]);

    endpoints([next.pod]);
    await eventually("the old pod's series gone", async () => ((await prometheus.query(`up{pod="${old.pod.name}"}`)).length === 0 ? true : undefined), 20_000);
    await old.exporter.close();
    await evaluatedAfter(prometheus, Date.now());
    // Same labels and the same activeAt: never resolved, never re-raised, `for:` not restarted.
    expect(named(await prometheus.alerts(), POSTURE_ALERT, selector).map(identity)).toEqual([identity(firing)]);
    expect((await prometheus.query(`up{pod="${next.pod.name}"} == 1`)).length).toBe(1);
  }, 60_000);
});

/** Waits until every rule group has been evaluated after `time` (ms). */
async function evaluatedAfter(prometheus: FileSdPrometheus, time: number): Promise<void> {
  await eventually("a rule evaluation", async () => {
    const response = await fetch(`${prometheus.url}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: Array<{ lastEvaluation: string }> } };
    return body.data.groups.every((group) => Date.parse(group.lastEvaluation) > time) ? true : undefined;
  }, 10_000);
}

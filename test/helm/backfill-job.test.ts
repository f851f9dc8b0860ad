import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IService } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseLabels } from "../../src/backfill/backfill.js";
import { CHART } from "../../tools/chart.js";
import { hasTool } from "../helpers.js";
import { operatorJob } from "./operator.js";

const VALUE_FILES = readdirSync(join(CHART, "ci")).filter((file) => file.endsWith(".yaml")).sort();
const enabled = hasTool("helm");

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: unknown[];
  securityContext: unknown;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  restartPolicy?: string;
  securityContext: unknown;
  initContainers?: Container[];
  containers: Container[];
  volumes: Array<{ name: string; [key: string]: unknown }>;
}
interface Workload {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { backoffLimit?: number; ttlSecondsAfterFinished?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

function render(release: string, namespace: string, valuesFile: string, extra: string[] = []): Workload[] {
  const result = spawnSync("helm", ["template", release, CHART, "--namespace", namespace, "--kube-version", "1.30.0", "-f", join(CHART, "ci", valuesFile), ...extra], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Workload | null)
    .filter((object): object is Workload => object !== null);
}

function workloads(objects: Workload[]) {
  const deployment = objects.find((object) => object.kind === "Deployment");
  const job = objects.find((object) => object.kind === "Job");
  if (!deployment) throw new Error("no Deployment");
  const exporter = deployment.spec.template.spec.containers[0];
  const backfill = job && [...(job.spec.template.spec.initContainers ?? []), ...job.spec.template.spec.containers].find((container) => container.name === "backfill");
  return { deployment, job, exporter, backfill };
}

/** The `--label` values of the backfill container, as the CLI reads them. */
function labelsOf(container: Container): Record<string, string> {
  const args = container.args ?? [];
  const given = args.flatMap((arg, index) => (arg === "--label" ? [args[index + 1] ?? ""] : []));
  return Object.fromEntries(parseLabels(given));
}

describe.skipIf(!enabled)("the backfill Job", () => {
  it.each(VALUE_FILES)("%s: renders only with backfill.enabled", (file) => {
    for (const on of [false, true]) {
      const { job } = workloads(render("pse", "monitoring", file, ["--set", `backfill.enabled=${on}`]));
      expect(job !== undefined, `backfill.enabled=${on}`).toBe(on);
    }
  });

  it("is off by default", () => {
    expect(workloads(render("pse", "monitoring", "defaults-values.yaml")).job).toBeUndefined();
  });

  it.each(VALUE_FILES)("%s: runs the Deployment's image, env, credential volumes, service account and securityContext", (file) => {
    const { deployment, job, exporter, backfill } = workloads(render("pse", "monitoring", file, ["--set", "backfill.enabled=true"]));
    if (!job || !backfill || !exporter) throw new Error("no backfill container");
    const pod = job.spec.template.spec;
    const live = deployment.spec.template.spec;
    expect(backfill.image).toBe(exporter.image);
    expect(backfill.env).toEqual(exporter.env);
    expect(backfill.securityContext).toEqual(exporter.securityContext);
    expect(pod.securityContext).toEqual(live.securityContext);
    expect(pod.serviceAccountName).toBe(live.serviceAccountName);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.restartPolicy).toBe("Never");
    expect(backfill.volumeMounts.filter((mount) => mount.name !== "backfill")).toEqual(exporter.volumeMounts);
    expect(pod.volumes.filter((volume) => volume.name !== "backfill")).toEqual(live.volumes);
    // Workload identity: the webhook injects the token into pods with this label only.
    const identity = deployment.spec.template.metadata.labels["azure.workload.identity/use"];
    expect(job.spec.template.metadata.labels["azure.workload.identity/use"]).toBe(identity);
    // Not selected by the Service, the Deployment or the NetworkPolicy.
    expect(job.spec.template.metadata.labels["app.kubernetes.io/name"]).not.toBe(deployment.spec.template.metadata.labels["app.kubernetes.io/name"]);
    expect(backfill.args?.slice(0, 3)).toEqual(["backfill", "--output", "/backfill/history.om"]);
    expect(backfill.volumeMounts).toContainEqual({ name: "backfill", mountPath: "/backfill" });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
  });

  it.each([
    ["pse", "monitoring", []],
    ["acme", "security", []],
    ["acme", "security", ["--set", "nameOverride=pse-exporter"]],
    ["acme", "security", ["--set", "serviceMonitor.jobLabel=app.kubernetes.io/instance"]],
    ["acme", "security", ["--set", "serviceMonitor.jobLabel="]],
    ["acme", "security", ["--set", "fullnameOverride=scores"]],
  ] as Array<[string, string, string[]]>)("released as %s in %s %j, labels the series with the job, namespace and service the ServiceMonitor gives the live ones", (release, namespace, args) => {
    const objects = render(release, namespace, "workload-identity-values.yaml", ["--set", "backfill.enabled=true", ...args]);
    const monitor = objects.find((object) => object.kind === "ServiceMonitor") as unknown as IServiceMonitor;
    const service = objects.find((object) => object.kind === "Service") as unknown as IService;
    const { backfill } = workloads(objects);
    if (!backfill) throw new Error("no backfill container");
    expect(labelsOf(backfill)).toEqual({ job: operatorJob(monitor, service), namespace, service: service.metadata?.name, instance: "backfill" });
    expect(monitor.spec.namespaceSelector?.matchNames).toEqual([namespace]);
  });

  it("adds the labels of targetLabels, podTargetLabels and backfill.labels, sanitized as the operator does", () => {
    const { backfill } = workloads(render("pse", "monitoring", "all-on-values.yaml"));
    if (!backfill) throw new Error("no backfill container");
    expect(labelsOf(backfill)).toEqual({
      job: "partner-security-exporter",
      namespace: "monitoring",
      service: "pse-partner-security-exporter",
      instance: "backfill",
      app_kubernetes_io_instance: "pse",
      team: "security",
      cluster: "aks-weu-1",
    });
  });

  it("passes backfill.until as --until, and nothing without it", () => {
    const withUntil = workloads(render("pse", "monitoring", "backfill-values.yaml")).backfill;
    expect(withUntil?.args?.slice(-2)).toEqual(["--until", "2025-06-01T00:00:00Z"]);
    const without = workloads(render("pse", "monitoring", "backfill-values.yaml", ["--set", "backfill.until="])).backfill;
    expect(without?.args).not.toContain("--until");
  });

  it("by default writes to an emptyDir and keeps the pod with a keep-alive container for kubectl cp", () => {
    const { job } = workloads(render("pse", "monitoring", "defaults-values.yaml", ["--set", "backfill.enabled=true", "--set", "backfill.keepAliveSeconds=900"]));
    const pod = job?.spec.template.spec;
    expect(pod?.initContainers?.map((container) => container.name)).toEqual(["backfill"]);
    expect(pod?.containers.map((container) => container.name)).toEqual(["keep-alive"]);
    expect(pod?.containers[0]?.command).toEqual(["sleep", "900"]);
    expect(pod?.containers[0]?.volumeMounts).toEqual([{ name: "backfill", mountPath: "/backfill", readOnly: true }]);
    expect(pod?.volumes.find((volume) => volume.name === "backfill")).toEqual({ name: "backfill", emptyDir: { sizeLimit: "64Mi" } });
  });

  it("with persistence.existingClaim writes to that PVC, with no keep-alive container", () => {
    const { job } = workloads(render("pse", "monitoring", "backfill-values.yaml"));
    const pod = job?.spec.template.spec;
    expect(pod?.initContainers).toBeUndefined();
    expect(pod?.containers.map((container) => container.name)).toEqual(["backfill"]);
    expect(pod?.volumes.find((volume) => volume.name === "backfill")).toEqual({ name: "backfill", persistentVolumeClaim: { claimName: "prometheus-backfill" } });
  });

  it.each([
    ["an until that is no RFC 3339 time", ["--set", "backfill.until=yesterday"], "/backfill/until"],
    ["a label the chart sets itself", ["--set", "backfill.labels.job=x"], "invalid propertyName 'job'"],
    ["a label name Prometheus refuses", ["--set", "backfill.labels.bad-name=x"], "invalid propertyName 'bad-name'"],
    ["an unknown backfill key", ["--set", "backfill.schedule=x"], "schedule"],
  ])("refuses %s", (_name, args, message) => {
    const result = spawnSync("helm", ["template", "pse", CHART, "--kube-version", "1.30.0", "-f", join(CHART, "ci", "defaults-values.yaml"), "--set", "backfill.enabled=true", ...args], { encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

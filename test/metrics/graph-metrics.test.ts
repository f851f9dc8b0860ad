import { describe, expect, it } from "vitest";
import { ALL_METRICS } from "../../src/metrics/all-metrics.js";
import type { MetricContract } from "../../src/metrics/contract.js";
import { createExpositionCache, expositionBody } from "../../src/metrics/exposition.js";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { renderSnapshot } from "../../src/metrics/render.js";
import { SELF_METRICS, SNAPSHOT_GENERATION } from "../../src/metrics/self-metric-table.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";
import { ALL_SOURCES, fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { seriesLines } from "../helpers.js";

const SELF_ROWS: readonly MetricContract[] = [SNAPSHOT_GENERATION, ...Object.values(SELF_METRICS)];

/** Label names of every sample line of one metric, in the order written. */
function labelKeysOf(exposition: string, name: string): string[][] {
  return exposition
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => [...(/\{(.*)\}/.exec(line)?.[1] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)].map((match) => match[1] ?? ""));
}

function exerciseSelfMetrics() {
  const self = createSelfMetrics({ version: "0", revision: "x" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all" });
  self.partnerTenant("partner");
  self.refreshFinished({ ok: false, reason: "throttled", seconds: 2, finishedAt: 1 });
  self.refreshFinished({ ok: true, seconds: 1, finishedAt: 2 });
  self.refreshSkipped();
  self.graphAttempt({ endpoint: "securityScore", code: "200", seconds: 0.1 });
  self.graphRetry({ endpoint: "customerInsights" });
  self.endpointsAvailable({ securityScore: true, requirements: true, history: false, customerInsights: true });
  self.validationWarnings(1);
  self.graphSeries(10);
  return self;
}

describe("the metric tables", () => {
  it.each(GRAPH_METRICS.map((row) => [row.name, row]))("%s follows the conventions", (_name, row) => {
    expect(row.name).toMatch(/^partner_security_[a-z0-9]+(_[a-z0-9]+)*$/);
    expect(row.name).not.toMatch(/^partner_security_exporter_/);
    expect(row.type).toBe("gauge");
  });

  it("has HELP texts that are one plain line: no backslash or newline the exposition would have to escape", () => {
    for (const row of ALL_METRICS) expect(row.help, row.name).not.toMatch(/[\\\n]/);
  });

  it.each(SELF_ROWS.map((row) => [row.name, row]))("%s follows the conventions", (_name, row) => {
    expect(row.name).toMatch(/^partner_security_exporter_[a-z0-9]+(_[a-z0-9]+)*$/);
  });

  it.each(ALL_METRICS.map((row) => [row.name, row]))("%s has HELP, a source, its unit and no label a target uses", (_name, row) => {
    expect(row.help.trim().length).toBeGreaterThan(10);
    expect(row.source.length).toBeGreaterThan(0);
    expect(row.name.endsWith("_total")).toBe(row.type === "counter");
    if (row.unit) expect(row.name.endsWith(`_${row.unit}`)).toBe(true);
    if (/timestamp|_time_|duration/.test(row.name)) expect(row.unit).toBe("seconds");
    if (row.name.endsWith("_info")) expect(row.help).toMatch(/Always 1\./);
    // Label names that Prometheus target labels use would be renamed on ingestion.
    for (const label of row.labelNames) expect(["job", "instance", "customer", "tenant", "le", "quantile"]).not.toContain(label);
  });

  it("has unique names across the Graph-derived metrics and the self-metrics", () => {
    expect(new Set(ALL_METRICS.map((row) => row.name)).size).toBe(ALL_METRICS.length);
  });
});

describe("the labels of every sample are its row's labelNames", () => {
  it("for every Graph-derived metric and the snapshot generation, each with samples from the fixtures", async () => {
    const rendered = await renderSnapshot(await fixtureSnapshot([], ALL_SOURCES), { customerSeries: "all", generation: 1 });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    for (const row of [SNAPSHOT_GENERATION, ...GRAPH_METRICS]) {
      const keys = labelKeysOf(text, row.name);
      expect(keys.length, `${row.name} has samples in the fixtures`).toBeGreaterThan(0);
      for (const sample of keys) expect(sample, row.name).toEqual(row.labelNames);
    }
  });

  it("for every self-metric, registered under its row's name and type", async () => {
    const self = exerciseSelfMetrics();
    const registered = new Map((await self.registries.text.getMetricsAsJSON()).map((metric) => [metric.name, metric]));
    for (const row of Object.values(SELF_METRICS)) {
      const metric = registered.get(row.name);
      expect(metric, row.name).toBeDefined();
      expect(String(metric?.type), row.name).toBe(row.type);
      expect(metric?.help).toBe(row.help);
      const allowed = row.type === "histogram" ? [...row.labelNames, "le"] : row.labelNames;
      const values = metric?.values ?? [];
      expect(values.length, `${row.name} has samples once exercised`).toBeGreaterThan(0);
      for (const value of values) for (const key of Object.keys(value.labels)) expect(allowed, `${row.name} ${key}`).toContain(key);
    }
  });
});

describe("ALL_METRICS, what docs/metrics.md and the contract tests are made from", () => {
  it("lists every metric a scrape serves (besides prom-client's process_ and nodejs_ ones) under the TYPE it is served with, and no other", async () => {
    const cache = createExpositionCache(exerciseSelfMetrics());
    cache.publish(await renderSnapshot(await fixtureSnapshot([], ALL_SOURCES), { customerSeries: "all", generation: 1 }));
    const text = expositionBody(await cache.expose("text", false)).toString("utf8");
    const served = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].filter((match) => !/^(process|nodejs)_/.test(match[1] ?? "")).map((match) => [match[1], match[2]]);
    expect(Object.fromEntries(ALL_METRICS.map((row) => [row.name, row.type]))).toEqual(Object.fromEntries(served));
  });
});

describe("the partner-tenant counts of the typed requirements", () => {
  const COUNTS = [
    "partner_security_admins",
    "partner_security_admins_mfa_enabled",
    "partner_security_admins_required_not_using_mfa",
    "partner_security_users",
    "partner_security_users_mfa_enabled",
    "partner_security_users_required_not_using_mfa",
    "partner_security_mfa_policy_enabled",
    "partner_security_customer_tenants",
    "partner_security_customer_tenants_mfa_compliant",
    "partner_security_spending_budget_customers",
    "partner_security_spending_budget_customers_with_budget",
    "partner_security_alert_average_response_time_seconds",
  ];

  async function textOf(snapshot: Awaited<ReturnType<typeof fixtureSnapshot>>): Promise<string> {
    return Buffer.concat((await renderSnapshot(snapshot, { customerSeries: "all" })).bodies.text.chunks).toString("utf8");
  }

  function linesOf(text: string, name: string): string[] {
    return seriesLines(text).filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
  }

  it("has none of their series, and the rest of the exposition, when Graph listed no requirement (a 404 on requirements)", async () => {
    const snapshot = await fixtureSnapshot();
    const rendering = textOf({ ...snapshot, requirements: [] });
    await expect(rendering, "the rendering").resolves.toMatch(/^partner_security_score 14\.29$/m);
    const text = await rendering;
    for (const name of COUNTS) expect(linesOf(text, name), name).toEqual([]);
  });

  it("has no average response time series when its requirement gives no average, rather than NaN", async () => {
    const snapshot = await fixtureSnapshot();
    const requirements = snapshot.requirements.map((requirement) =>
      requirement.details.kind === "responseTime" ? { ...requirement, details: { kind: "responseTime" as const, averageResponseTimeHours: undefined } } : requirement,
    );
    expect(linesOf(await textOf(snapshot), "partner_security_alert_average_response_time_seconds")).toEqual(["partner_security_alert_average_response_time_seconds 4320"]);
    expect(linesOf(await textOf({ ...snapshot, requirements }), "partner_security_alert_average_response_time_seconds")).toEqual([]);
  });
});

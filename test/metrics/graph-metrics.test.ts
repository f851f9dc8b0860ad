import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";

const DOCS = readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");

async function selfMetricNames(): Promise<string[]> {
  const self = createSelfMetrics({ version: "0", revision: "x" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all" });
  return (await self.registries.text.getMetricsAsJSON()).map((metric) => metric.name);
}

describe("the metric table", () => {
  it.each(GRAPH_METRICS.map((row) => [row.name, row]))("%s follows the conventions", (_name, row) => {
    expect(row.name).toMatch(/^partner_security_[a-z0-9]+(_[a-z0-9]+)*$/);
    expect(row.name).not.toMatch(/^partner_security_exporter_/);
    expect(row.name).not.toMatch(/_total$/);
    expect(row.help.trim().length).toBeGreaterThan(10);
    expect(row.source.length).toBeGreaterThan(0);
    if (row.unit) expect(row.name.endsWith(`_${row.unit}`)).toBe(true);
    if (/timestamp|time/.test(row.name)) expect(row.unit).toBe("seconds");
    // Label names that Prometheus target labels use would be renamed on ingestion.
    for (const label of row.labelNames) expect(["job", "instance", "customer", "tenant"]).not.toContain(label);
  });

  it("has unique names", () => {
    expect(new Set(GRAPH_METRICS.map((row) => row.name)).size).toBe(GRAPH_METRICS.length);
  });

  it("gives every exporter metric a HELP text and the prefix", async () => {
    const self = createSelfMetrics({ version: "0", revision: "x" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all" });
    for (const metric of await self.registries.text.getMetricsAsJSON()) {
      expect(metric.help.length, metric.name).toBeGreaterThan(5);
      expect(metric.name).toMatch(/^(partner_security_exporter_|process_|nodejs_)/);
      if (String(metric.type) !== "counter") expect(metric.name, metric.name).not.toMatch(/_total$/);
    }
  });
});

describe("docs/metrics.md", () => {
  it("lists every Graph-derived metric with its labels", () => {
    for (const row of GRAPH_METRICS) {
      expect(DOCS, row.name).toContain(`\`${row.name}\``);
      for (const label of row.labelNames) expect(DOCS, `${row.name} ${label}`).toContain(label);
    }
  });

  it("lists every exporter metric", async () => {
    for (const name of await selfMetricNames()) {
      if (/^(process_|nodejs_)/.test(name)) continue;
      expect(DOCS, name).toContain(`\`${name}\``);
    }
    expect(DOCS).toContain("`process_*`");
    expect(DOCS).toContain("`nodejs_*`");
  });
});

import { describe, expect, it } from "vitest";
import { ENDPOINTS, REFRESH_FAILURE_REASONS } from "../../src/graph/snapshot.js";
import type { Endpoint } from "../../src/graph/snapshot.js";
import type { ExpositionFormat } from "../../src/metrics/render.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";
import type { SelfMetrics } from "../../src/metrics/self-metrics.js";
import { sampleValue, seriesLines } from "../helpers.js";

const FORMATS: readonly ExpositionFormat[] = ["text", "openmetrics"];
const REFRESHES = "partner_security_exporter_refreshes_total";
const REASON = "partner_security_exporter_refresh_failure_reason";
const CONSECUTIVE = "partner_security_exporter_refresh_consecutive_failures";
const PARTNER = "partner_security_exporter_partner_info";
const REQUESTS = "partner_security_exporter_graph_requests_total";

function selfMetrics(endpoints?: readonly Endpoint[]): SelfMetrics {
  return createSelfMetrics({ version: "1", revision: "r" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all", ...(endpoints ? { endpoints } : {}) });
}

async function render(self: SelfMetrics, format: ExpositionFormat): Promise<string> {
  return self.registries[format].metrics();
}

/** The refresh_failure_reason series that are 1. */
function reasonsSet(text: string): string[] {
  return REFRESH_FAILURE_REASONS.filter((reason) => sampleValue(text, REASON, { reason }) === 1);
}

describe.each(FORMATS)("the exporter's refresh metrics (%s)", (format) => {
  it("has every result and failure reason at 0 before the first refresh, and the partner empty", async () => {
    const text = await render(selfMetrics(), format);
    expect(sampleValue(text, REFRESHES, { result: "success" })).toBe(0);
    for (const reason of REFRESH_FAILURE_REASONS) {
      expect(sampleValue(text, REFRESHES, { result: "failure", reason }), reason).toBe(0);
      expect(sampleValue(text, REASON, { reason }), reason).toBe(0);
    }
    // A success carries no reason label at all; a failure never lacks one.
    expect(text).toMatch(new RegExp(`^${REFRESHES}\\{result="success"\\} 0$`, "m"));
    expect(seriesLines(text).filter((line) => line.startsWith(`${REFRESHES}{result="failure"}`))).toEqual([]);
    expect(sampleValue(text, CONSECUTIVE)).toBe(0);
    expect(seriesLines(text).filter((line) => line.startsWith(`${PARTNER}{`))).toEqual([`${PARTNER}{partner_tenant_id=""} 1`]);
  });

  it("has a 429 series at 0 for every endpoint read before any request, so increase() counts the first throttled answer", async () => {
    const self = selfMetrics(ENDPOINTS);
    for (const endpoint of ENDPOINTS) expect(sampleValue(await render(self, format), REQUESTS, { endpoint, code: "429" }), endpoint).toBe(0);
    self.graphAttempt({ endpoint: "history", code: "429", seconds: 0.1 });
    const text = await render(self, format);
    expect(sampleValue(text, REQUESTS, { endpoint: "history", code: "429" })).toBe(1);
    expect(sampleValue(text, REQUESTS, { endpoint: "securityScore", code: "429" })).toBe(0);
  });

  it("has endpoint series only for the endpoints the configuration reads", async () => {
    const self = selfMetrics(["securityScore", "requirements", "history", "customerInsights", "securityAlerts"]);
    self.endpointsAvailable({ securityScore: true, requirements: true, history: true, customerInsights: true, securityAlerts: false });
    const text = await render(self, format);
    expect(sampleValue(text, REQUESTS, { endpoint: "securityAlerts", code: "429" })).toBe(0);
    expect(sampleValue(text, REQUESTS, { endpoint: "contracts", code: "429" })).toBeUndefined();
    expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "securityAlerts" })).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "contracts" })).toBeUndefined();
  });

  it("counts failures by reason, flags the last reason and counts failures since the last success", async () => {
    const self = selfMetrics();
    self.refreshFinished({ ok: false, reason: "forbidden", seconds: 1, finishedAt: 1000 });
    let text = await render(self, format);
    expect(sampleValue(text, REFRESHES, { result: "failure", reason: "forbidden" })).toBe(1);
    expect(reasonsSet(text)).toEqual(["forbidden"]);
    expect(sampleValue(text, CONSECUTIVE)).toBe(1);

    self.refreshFinished({ ok: false, reason: "throttled", seconds: 1, finishedAt: 2000 });
    text = await render(self, format);
    expect(sampleValue(text, REFRESHES, { result: "failure", reason: "forbidden" })).toBe(1);
    expect(sampleValue(text, REFRESHES, { result: "failure", reason: "throttled" })).toBe(1);
    expect(reasonsSet(text)).toEqual(["throttled"]);
    expect(sampleValue(text, CONSECUTIVE)).toBe(2);

    self.refreshFinished({ ok: true, seconds: 1, finishedAt: 3000 });
    text = await render(self, format);
    expect(sampleValue(text, REFRESHES, { result: "success" })).toBe(1);
    expect(reasonsSet(text)).toEqual([]);
    expect(sampleValue(text, CONSECUTIVE)).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_last_success_timestamp_seconds")).toBe(3);

    self.refreshFinished({ ok: false, reason: "token", seconds: 1, finishedAt: 4000 });
    text = await render(self, format);
    expect(sampleValue(text, CONSECUTIVE)).toBe(1);
    expect(reasonsSet(text)).toEqual(["token"]);
    expect(sampleValue(text, "partner_security_exporter_last_success_timestamp_seconds")).toBe(3);
  });

  it("replaces the empty partner tenant once it is known, keeping one series", async () => {
    const self = selfMetrics();
    const before = self.version();
    self.partnerTenant("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    expect(self.version()).toBeGreaterThan(before);
    const text = await render(self, format);
    expect(seriesLines(text).filter((line) => line.startsWith(`${PARTNER}{`))).toEqual([`${PARTNER}{partner_tenant_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"} 1`]);
    expect(text).toContain(`# HELP ${PARTNER} `);
    expect(text).toMatch(new RegExp(`^# TYPE ${PARTNER} (gauge|info)$`, "m"));
  });
});

describe("partnerTenant", () => {
  it("does not invalidate the cached rendering when the tenant does not change", () => {
    const self = selfMetrics();
    self.partnerTenant("t");
    const version = self.version();
    self.partnerTenant("t");
    expect(self.version()).toBe(version);
  });
});

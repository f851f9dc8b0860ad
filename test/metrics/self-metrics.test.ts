import { afterEach, describe, expect, it, vi } from "vitest";
import { ENDPOINTS, REFRESH_FAILURE_REASONS } from "../../src/graph/snapshot.js";
import type { Endpoint } from "../../src/graph/snapshot.js";
import { createExpositionCache, expositionBody } from "../../src/metrics/exposition.js";
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
const RETRIES = "partner_security_exporter_graph_retries_total";
const AVAILABLE = "partner_security_exporter_endpoint_available";

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

  it("does not invalidate the cached rendering when told the still unknown tenant", () => {
    const self = selfMetrics();
    const version = self.version();
    self.partnerTenant("");
    expect(self.version()).toBe(version);
  });
});

/** The `le` bounds of one histogram's buckets with their cumulative counts, in the order served. */
function buckets(text: string, name: string, labels = ""): Array<[string, number]> {
  return seriesLines(text)
    .filter((line) => line.startsWith(`${name}_bucket{`) && line.includes(labels))
    .map((line) => [/le="([^"]+)"/.exec(line)?.[1] ?? "", Number(line.split(" ").at(-1))]);
}

describe.each(FORMATS)("the exporter's Graph and process metrics (%s)", (format) => {
  it("buckets the refresh and request durations on the documented bounds", async () => {
    const self = selfMetrics();
    self.refreshFinished({ ok: true, seconds: 2, finishedAt: 1000 });
    self.graphAttempt({ endpoint: "history", code: "200", seconds: 0.3 });
    const text = await render(self, format);
    const refresh = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    expect(buckets(text, "partner_security_exporter_refresh_duration_seconds")).toEqual([...refresh.map((le) => [String(le), le >= 2 ? 1 : 0]), ["+Inf", 1]]);
    const request = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    expect(buckets(text, "partner_security_exporter_graph_request_duration_seconds", 'endpoint="history"')).toEqual([...request.map((le) => [String(le), le >= 0.3 ? 1 : 0]), ["+Inf", 1]]);
    expect(sampleValue(text, "partner_security_exporter_graph_request_duration_seconds_count", { endpoint: "history" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_graph_request_duration_seconds_sum", { endpoint: "history" })).toBe(0.3);
  });

  it("has a retries series at 0 for every endpoint read before any retry, and counts each retry on its endpoint", async () => {
    const self = selfMetrics();
    const before = await render(self, format);
    for (const endpoint of ["securityScore", "requirements", "history", "customerInsights"]) expect(sampleValue(before, RETRIES, { endpoint }), endpoint).toBe(0);
    self.graphRetry({ endpoint: "customerInsights" });
    self.graphRetry({ endpoint: "customerInsights" });
    const after = await render(self, format);
    expect(seriesLines(after).filter((line) => line.startsWith(RETRIES))).toEqual([
      `${RETRIES}{endpoint="securityScore"} 0`,
      `${RETRIES}{endpoint="requirements"} 0`,
      `${RETRIES}{endpoint="history"} 0`,
      `${RETRIES}{endpoint="customerInsights"} 2`,
    ]);
  });

  it("keeps an endpoint's availability when a refresh does not say, and has no series for one never said", async () => {
    const self = selfMetrics();
    self.endpointsAvailable({ securityScore: true, history: true });
    self.endpointsAvailable({ securityScore: false });
    const text = await render(self, format);
    expect(sampleValue(text, AVAILABLE, { endpoint: "securityScore" })).toBe(0);
    expect(sampleValue(text, AVAILABLE, { endpoint: "history" })).toBe(1);
    expect(sampleValue(text, AVAILABLE, { endpoint: "requirements" })).toBeUndefined();
  });

  it("serves prom-client's process and Node.js metrics, without the three gauges named like counters", async () => {
    const text = await render(selfMetrics(), format);
    expect(sampleValue(text, "process_start_time_seconds") ?? 0).toBeGreaterThan(0);
    expect(sampleValue(text, "nodejs_heap_size_used_bytes") ?? 0).toBeGreaterThan(0);
    for (const kind of ["handles", "requests", "resources"]) {
      expect(text, kind).toMatch(new RegExp(`^# TYPE nodejs_active_${kind} gauge$`, "m"));
      expect(text, kind).not.toContain(`nodejs_active_${kind}_total`);
    }
  });
});

describe("a scrape right after an update", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const UPDATES: ReadonlyArray<[string, (self: SelfMetrics) => void, string, Record<string, string>, number]> = [
    ["a successful refresh", (self) => self.refreshFinished({ ok: true, seconds: 1, finishedAt: 5000 }), "partner_security_exporter_last_success_timestamp_seconds", {}, 5],
    ["a skipped refresh", (self) => self.refreshSkipped(), "partner_security_exporter_refresh_skipped_total", {}, 1],
    ["a Graph request", (self) => self.graphAttempt({ endpoint: "history", code: "200", seconds: 0.2 }), REQUESTS, { endpoint: "history", code: "200" }, 1],
    ["a retry", (self) => self.graphRetry({ endpoint: "history" }), RETRIES, { endpoint: "history" }, 1],
    ["an endpoint's availability", (self) => self.endpointsAvailable({ history: false }), AVAILABLE, { endpoint: "history" }, 0],
    ["the validation warnings", (self) => self.validationWarnings(3), "partner_security_exporter_validation_warnings", {}, 3],
    ["the Graph series count", (self) => self.graphSeries(42), "partner_security_exporter_graph_series", {}, 42],
  ];

  it.each(UPDATES)("shows %s and the partner tenant learnt just before it, within the second the self-metrics are otherwise reused", async (_update, update, name, labels, value) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_800_000_000_000);
    const self = selfMetrics();
    const cache = createExpositionCache(self);
    await cache.expose("text", false);
    self.partnerTenant("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    update(self);
    const text = expositionBody(await cache.expose("text", false)).toString("utf8");
    expect(sampleValue(text, PARTNER, { partner_tenant_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" })).toBe(1);
    expect(sampleValue(text, name, labels)).toBe(value);
  });
});

import { crc32, gunzipSync, inflateRawSync } from "node:zlib";
import { Gauge } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createExpositionCache, expositionBody } from "../../src/metrics/exposition.js";
import { renderSnapshot } from "../../src/metrics/render.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";
import { fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { sampleValue } from "../helpers.js";

async function cacheWithSnapshot() {
  const self = createSelfMetrics({ version: "1.0.0", revision: "abc" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 86_400, customerSeries: "all" });
  const cache = createExpositionCache(self);
  cache.publish(await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all" }));
  return { self, cache };
}

describe("createExpositionCache", () => {
  it("serves the Graph part followed by the live exporter metrics", async () => {
    const { self, cache } = await cacheWithSnapshot();
    self.refreshFinished({ ok: false, reason: "forbidden", seconds: 1, finishedAt: 5000 });
    const text = expositionBody(await cache.expose("text", false)).toString("utf8");
    expect(sampleValue(text, "partner_security_score")).toBe(14.29);
    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_build_info", { version: "1.0.0", revision: "abc" })).toBe(1);
    self.refreshFinished({ ok: true, seconds: 1, finishedAt: 9000 });
    const later = expositionBody(await cache.expose("text", false)).toString("utf8");
    expect(sampleValue(later, "partner_security_exporter_refresh_success")).toBe(1);
    expect(sampleValue(later, "partner_security_exporter_last_success_timestamp_seconds")).toBe(9);
  });

  it.each(["text", "openmetrics"] as const)("gzips %s to one gzip member that decompresses to the plain body", async (format) => {
    const { cache } = await cacheWithSnapshot();
    const live = /^(process_|nodejs_).*\n/gm;
    const plain = expositionBody(await cache.expose(format, false)).toString("utf8").replace(live, "");
    const gzip = await cache.expose(format, true);
    expect(gzip.gzip).toBe(true);
    const zipped = expositionBody(gzip);
    expect(gunzipSync(zipped).toString("utf8").replace(live, "")).toBe(plain);
    // One member: the deflate data between the 10-byte header and the 8-byte trailer is all of it,
    // and the trailer's CRC and size describe the whole body (curl reads only the first member).
    const inflated = inflateRawSync(zipped.subarray(10, zipped.length - 8));
    expect(zipped.readUInt32LE(zipped.length - 8)).toBe(crc32(inflated));
    expect(zipped.readUInt32LE(zipped.length - 4)).toBe(inflated.length);
  });

  it("gzips the self-metrics alone when there is no snapshot yet", async () => {
    const self = createSelfMetrics({ version: "1", revision: "r" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all" });
    const gzip = expositionBody(await createExpositionCache(self).expose("text", true));
    expect(gunzipSync(gzip).toString("utf8")).toContain("partner_security_exporter_build_info");
  });

  it("ends OpenMetrics with exactly one # EOF and keeps _total on counters", async () => {
    const { cache } = await cacheWithSnapshot();
    const text = expositionBody(await cache.expose("openmetrics", false)).toString("utf8");
    expect(text.match(/^# EOF$/gm)).toHaveLength(1);
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(text).toMatch(/^partner_security_exporter_refreshes_total\{result="success"\} 0$/m);
    expect(text).toMatch(/^# TYPE partner_security_exporter_refreshes counter$/m);
    // Rendering OpenMetrics must not rename the text format's counters.
    expect(expositionBody(await cache.expose("text", false)).toString("utf8")).toMatch(/^# TYPE partner_security_exporter_refreshes_total counter$/m);
  });

  it("renders the self-metrics at most once a second, but at once after anything it records changes", async () => {
    const { self, cache } = await cacheWithSnapshot();
    let renders = 0;
    const render = self.registries.text.metrics.bind(self.registries.text);
    self.registries.text.metrics = () => {
      renders++;
      return render();
    };
    await Promise.all([cache.expose("text", false), cache.expose("text", false), cache.expose("text", true)]);
    expect(renders).toBe(1);
    self.refreshFinished({ ok: false, reason: "timeout", seconds: 1, finishedAt: 1000 });
    const after = expositionBody(await cache.expose("text", false)).toString("utf8");
    expect(renders).toBe(2);
    expect(sampleValue(after, "partner_security_exporter_refresh_success")).toBe(0);
  });

  it("sends a new refresh at once, even while the self-metrics are still cached", async () => {
    const { cache } = await cacheWithSnapshot();
    const first = await cache.expose("text", true);
    expect(await cache.expose("text", true)).toBe(first);
    const snapshot = await fixtureSnapshot();
    cache.publish(await renderSnapshot({ ...snapshot, score: { currentScore: 42, maxScore: 100, lastRefreshSeconds: undefined, updatedSeconds: undefined } }, { customerSeries: "all" }));
    const text = gunzipSync(expositionBody(await cache.expose("text", true))).toString("utf8");
    expect(sampleValue(text, "partner_security_score")).toBe(42);
  });

  it("drops the Graph-derived part and keeps the self-metrics", async () => {
    const { cache } = await cacheWithSnapshot();
    cache.drop();
    const text = expositionBody(await cache.expose("text", false)).toString("utf8");
    expect(text).not.toMatch(/^partner_security_score /m);
    expect(text).toMatch(/^partner_security_exporter_refresh_success /m);
  });
});

describe("createExpositionCache over time", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function freezeClock(): void {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_800_000_000_000);
  }

  it("serves self-metrics less than a second old: a figure that changes without an update (as process CPU does) shows a second later, not before", async () => {
    freezeClock();
    const { self, cache } = await cacheWithSnapshot();
    const series = self.registries.text.getSingleMetric("partner_security_exporter_graph_series");
    if (!(series instanceof Gauge)) throw new Error("partner_security_exporter_graph_series is not a gauge");
    const scrape = async () => sampleValue(expositionBody(await cache.expose("text", false)).toString("utf8"), "partner_security_exporter_graph_series");
    expect(await scrape()).toBe(0);
    series.set(7);
    vi.setSystemTime(Date.now() + 999);
    expect(await scrape()).toBe(0);
    vi.setSystemTime(Date.now() + 1);
    expect(await scrape()).toBe(7);
  });

  it("renders the self-metrics again on the next scrape after a rendering failed, not a second later", async () => {
    freezeClock();
    const { self, cache } = await cacheWithSnapshot();
    const render = self.registries.text.metrics.bind(self.registries.text);
    let failing = true;
    self.registries.text.metrics = () => (failing ? Promise.reject(new Error("collect failed")) : render());
    await expect(cache.expose("text", false)).rejects.toThrow("collect failed");
    failing = false;
    const text = await cache.expose("text", false).then(
      (exposition) => expositionBody(exposition).toString("utf8"),
      (error: unknown) => `the scrape failed too: ${String(error)}`,
    );
    expect(sampleValue(text, "partner_security_exporter_build_info", { version: "1.0.0", revision: "abc" }), text).toBe(1);
  });

  it("sends a refresh published while a scrape was under way on the very next scrape", async () => {
    freezeClock();
    const { cache } = await cacheWithSnapshot();
    const snapshot = await fixtureSnapshot();
    const next = await renderSnapshot({ ...snapshot, score: { currentScore: 42, maxScore: 100, lastRefreshSeconds: undefined, updatedSeconds: undefined } }, { customerSeries: "all" });
    const underWay = cache.expose("text", false);
    cache.publish(next);
    // The scrape under way sends the refresh it began with, whole.
    expect(sampleValue(expositionBody(await underWay).toString("utf8"), "partner_security_score")).toBe(14.29);
    expect(sampleValue(expositionBody(await cache.expose("text", false)).toString("utf8"), "partner_security_score")).toBe(42);
  });
});

describe("the published rendering", () => {
  it("is current from its publication until it is dropped", async () => {
    const self = createSelfMetrics({ version: "1", revision: "r" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: "all" });
    const cache = createExpositionCache(self);
    expect(cache.current()).toBeUndefined();
    const rendered = await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all" });
    cache.publish(rendered);
    expect(cache.current()).toBe(rendered);
    cache.drop();
    expect(cache.current()).toBeUndefined();
  });
});

describe("the body as sent", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([false, true])("gives the number of bytes it sends as its length, for Content-Length (gzip %s)", async (gzip) => {
    const { cache } = await cacheWithSnapshot();
    const exposition = await cache.expose("text", gzip);
    expect(exposition.length).toBe(expositionBody(exposition).length);
    expect(exposition.length).toBe(exposition.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  });

});

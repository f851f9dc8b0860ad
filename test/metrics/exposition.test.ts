import { crc32, gunzipSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createExpositionCache, expositionBody } from "../../src/metrics/exposition.js";
import { renderSnapshot } from "../../src/metrics/render.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";
import { fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { sampleValue } from "../helpers.js";

async function cacheWithSnapshot() {
  const self = createSelfMetrics({ version: "1.0.0", revision: "abc" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 86_400, customerSeries: "all" });
  const cache = createExpositionCache(self);
  cache.publish(await renderSnapshot(await fixtureSnapshot(), { refreshInterval: "15m", customerSeries: "all" }));
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
    cache.publish(await renderSnapshot({ ...snapshot, score: { currentScore: 42, maxScore: 100, lastRefreshSeconds: undefined, updatedSeconds: undefined } }, { refreshInterval: "15m", customerSeries: "all" }));
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

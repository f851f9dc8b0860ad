import { describe, expect, it } from "vitest";
import type { RenderedSnapshot } from "../../src/metrics/render.js";
import { createPublishingRefresh } from "../../src/refresh/publish.js";
import type { RefreshResult } from "../../src/refresh/refresh.js";

function result(warnings: string[], series = 7): RefreshResult {
  const rendered = { bodies: {}, renderedAt: 0, series } as unknown as RenderedSnapshot;
  return { rendered, available: { securityScore: true, requirements: true, history: false, customerInsights: true }, unavailable: [], warnings, customers: 3 };
}

function setup(results: Array<RefreshResult | Error>) {
  const published: RenderedSnapshot[] = [];
  const metrics: Array<[string, unknown]> = [];
  const logs: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const refresh = createPublishingRefresh({
    run: () => {
      const next = results.shift();
      return next instanceof Error || next === undefined ? Promise.reject(next ?? new Error("no result left")) : Promise.resolve(next);
    },
    cache: { publish: (rendered) => void published.push(rendered) },
    self: {
      endpointsAvailable: (available) => void metrics.push(["available", available]),
      validationWarnings: (count) => void metrics.push(["warnings", count]),
      graphSeries: (count) => void metrics.push(["series", count]),
    },
    logger: {
      info: ((fields: Record<string, unknown>, message: string) => void logs.push({ level: "info", fields, message })) as never,
      warn: ((fields: Record<string, unknown>, message: string) => void logs.push({ level: "warn", fields, message })) as never,
    },
  });
  return { refresh, published, metrics, logs };
}

describe("the publishing refresh", () => {
  it("publishes the rendering, sets the exporter's metrics from it and logs the unavailable endpoints", async () => {
    const first = result([]);
    const { refresh, published, metrics, logs } = setup([first]);
    await refresh(new AbortController().signal);
    expect(published).toEqual([first.rendered]);
    expect(metrics).toEqual([
      ["available", first.available],
      ["warnings", 0],
      ["series", 7],
    ]);
    expect(logs).toEqual([{ level: "info", fields: { series: 7, customers: 3, unavailable: ["history"] }, message: "refresh succeeded" }]);
  });

  it("counts every warning of every refresh but logs each message once in the process's life", async () => {
    const { refresh, metrics, logs } = setup([result(["a", "a", "b"]), result(["a", "c"])]);
    await refresh(new AbortController().signal);
    await refresh(new AbortController().signal);
    expect(metrics.filter(([name]) => name === "warnings").map(([, count]) => count)).toEqual([3, 2]);
    expect(logs.filter((log) => log.level === "warn").map((log) => log.fields.warning)).toEqual(["a", "b", "c"]);
  });

  it("logs an unavailable endpoint once per outage, however its line changes, and again after it healed", async () => {
    const kept = (minutes: number) => ({ endpoint: "securityAlerts" as const, reason: `securityAlerts: HTTP 503; kept ${minutes} min`, outage: "kept: securityAlerts: HTTP 503" });
    const outage = (...entries: Array<ReturnType<typeof kept>>) => ({ ...result([]), unavailable: entries });
    const { refresh, logs } = setup([outage(kept(0)), outage(kept(15)), outage(kept(30)), outage(), outage(kept(0))]);
    for (let index = 0; index < 5; index++) await refresh(new AbortController().signal);
    expect(logs.filter((log) => log.level === "warn").map((log) => log.message)).toEqual(["securityAlerts: HTTP 503; kept 0 min", "securityAlerts: HTTP 503; kept 0 min"]);
  });

  it("publishes nothing and rethrows when the refresh fails, so the last good data stays", async () => {
    const { refresh, published, metrics } = setup([new Error("HTTP 503")]);
    await expect(refresh(new AbortController().signal)).rejects.toThrow("HTTP 503");
    expect(published).toEqual([]);
    expect(metrics).toEqual([]);
  });
});

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Config } from "../../src/config.js";
import type { OptionalSources } from "../../src/graph/optional-sources.js";
import { REFRESH_FAILURE_REASONS, SCORE_ENDPOINTS } from "../../src/graph/snapshot.js";
import type { OptionalEndpoint, RefreshFailureReason } from "../../src/graph/snapshot.js";
import { startExporter } from "../../src/main.js";
import type { ExporterOptions, RunningExporter } from "../../src/main.js";
import { exporterEnvFor } from "../../src/simulator/exporter-env.js";
import { GRAPH_ENDPOINTS } from "../../src/simulator/endpoints.js";
import type { Fault, Simulator, SimulatorOptions } from "../../src/simulator/simulator.js";
import { captureLogs, eventually, graphPart, sampleValue, seriesLines, startTestSimulator } from "../helpers.js";

const TENANTS = 12;

interface Context {
  sim: Simulator;
  exporter: RunningExporter;
  logs: string[];
  scrape(): Promise<string>;
  refresh(): Promise<void>;
  inject(fault: Fault): void;
}

interface Row {
  fault: string;
  expected: string;
  simulator?: SimulatorOptions;
  config?: Partial<Config>;
  options?: Partial<ExporterOptions>;
  /** Faults present before the exporter's first refresh (default: the first refresh is good). */
  before?: Fault[];
  run(ctx: Context): Promise<void>;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setup(row: Row): Promise<Context> {
  const sim = await startTestSimulator({ tenants: TENANTS, pageSize: 5, driftPeriodMs: 1e12, ...row.simulator });
  cleanup.push(() => sim.close());
  for (const fault of row.before ?? []) sim.injectFault(fault);
  const { lines: logs, stream: sink } = captureLogs();
  const base = loadConfig(
    { listenAddress: "127.0.0.1:0", refreshInterval: "1h", requestTimeout: "2s", logLevel: "debug" },
    exporterEnvFor(sim, { tenantId: "t", clientId: "c", clientSecret: "s" }),
  );
  const exporter = await startExporter({
    config: { ...base, ...row.config },
    logger: pino({ level: "debug" }, sink),
    retry: { retries: 3, minTimeoutMs: 50, maxTimeoutMs: 200 },
    build: { version: "0.0.0", revision: "matrix" },
    ...row.options,
  });
  cleanup.push(() => exporter.close());
  await exporter.poller.firstRefresh;
  return {
    sim,
    exporter,
    logs,
    scrape: async () => (await fetch(`${exporter.url}/metrics`)).text(),
    refresh: () => exporter.poller.refreshNow(),
    inject: (fault) => sim.injectFault(fault),
  };
}

function statuses(ctx: Context, endpoint: string): number[] {
  return ctx.sim.requests().filter((request) => request.endpoint === endpoint).map((request) => request.status);
}

function tenantCount(exposition: string): number {
  return seriesLines(exposition).filter((line) => line.startsWith("partner_security_customer_users{")).length;
}

/**
 * What a scrape and the log say after `failures` refreshes in a row failed, the last for `reason`:
 * the reason counted, flagged alone, and named in the "refresh failed" log line.
 */
function expectFailureReason(ctx: Context, exposition: string, reason: RefreshFailureReason, failures = 1): void {
  expect(sampleValue(exposition, "partner_security_exporter_refresh_success")).toBe(0);
  expect(sampleValue(exposition, "partner_security_exporter_refreshes_total", { result: "failure", reason })).toBeGreaterThanOrEqual(1);
  const flagged = REFRESH_FAILURE_REASONS.filter((one) => sampleValue(exposition, "partner_security_exporter_refresh_failure_reason", { reason: one }) === 1);
  expect(flagged).toEqual([reason]);
  expect(sampleValue(exposition, "partner_security_exporter_refresh_consecutive_failures")).toBe(failures);
  const failed = ctx.logs.filter((line) => line.includes("refresh failed"));
  expect(failed.at(-1)).toContain(`"reason":"${reason}"`);
}

/** A refresh that fails must leave the published snapshot exactly as it was, and say why. */
async function expectFailedKeepingSnapshot(ctx: Context, fault: Fault | Fault[], logNeedle: string, reason: RefreshFailureReason): Promise<void> {
  const before = graphPart(await ctx.scrape());
  for (const one of Array.isArray(fault) ? fault : [fault]) ctx.inject(one);
  await ctx.refresh();
  const after = await ctx.scrape();
  expect(graphPart(after)).toEqual(before);
  expect(ctx.logs.join("")).toContain(logNeedle);
  expectFailureReason(ctx, after, reason);
}

function gc(): void {
  setFlagsFromString("--expose-gc");
  const collect = runInNewContext("gc") as () => void;
  collect();
}

/** Every optional source on, names from GDAP (contracts are read only instead of GDAP customers). */
const GDAP_SOURCES: OptionalSources = { customerNames: "gdap", gdapRelationships: true, securityAlerts: true };
const CONTRACT_SOURCES: OptionalSources = { customerNames: "contracts", gdapRelationships: true, securityAlerts: true };

function sourcesReading(endpoint: string): OptionalSources {
  return endpoint === "contracts" ? CONTRACT_SOURCES : GDAP_SOURCES;
}

/** The series an optional endpoint feeds, one of each, to tell whether its data is exported. */
const FED_BY: Record<OptionalEndpoint, string> = {
  delegatedAdminCustomers: "partner_security_customer_info",
  contracts: "partner_security_customer_info",
  delegatedAdminRelationships: "partner_security_gdap_relationships",
  securityAlerts: "partner_security_alerts",
};
const OPTIONAL: readonly OptionalEndpoint[] = ["delegatedAdminCustomers", "delegatedAdminRelationships", "contracts", "securityAlerts"];

function exported(text: string, metric: string): boolean {
  return seriesLines(text).some((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `));
}

/**
 * A 403 on an optional endpoint: the refresh succeeds with everything else, the endpoint shows as
 * unavailable, one log line names the permission (not repeated while the outage lasts), and its
 * series are back once the permission is.
 */
function forbiddenOptional(endpoint: OptionalEndpoint, permission: string): Row {
  return {
    fault: `403 on ${endpoint} (permission ${permission} missing)`,
    expected: "refresh succeeds, its series left out, endpoint_available 0, one log line naming the permission; back when granted",
    config: { sources: sourcesReading(endpoint) },
    async run(ctx) {
      expect(exported(await ctx.scrape(), FED_BY[endpoint])).toBe(true);
      ctx.inject({ endpoint, status: 403 });
      await ctx.refresh();
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_refresh_consecutive_failures")).toBe(0);
      expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint })).toBe(0);
      expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "customerInsights" })).toBe(1);
      expect(exported(text, FED_BY[endpoint])).toBe(false);
      expect(sampleValue(text, "partner_security_score")).toBeDefined();
      expect(tenantCount(text)).toBe(TENANTS);
      const said = ctx.logs.filter((line) => line.includes(`${endpoint}: access denied (HTTP 403`));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(permission);
      expect(said[0]).toContain('"level":40');
      ctx.sim.clearFaults();
      await ctx.refresh();
      const healed = await ctx.scrape();
      expect(sampleValue(healed, "partner_security_exporter_endpoint_available", { endpoint })).toBe(1);
      expect(exported(healed, FED_BY[endpoint])).toBe(true);
    },
  };
}

const rows: Row[] = [
  forbiddenOptional("delegatedAdminCustomers", "DelegatedAdminRelationship.Read.All"),
  forbiddenOptional("delegatedAdminRelationships", "DelegatedAdminRelationship.Read.All"),
  forbiddenOptional("contracts", "Directory.Read.All"),
  forbiddenOptional("securityAlerts", "PartnerSecurity.Read.All"),
  ...OPTIONAL.map(
    (endpoint): Row => ({
      fault: `503 until the retries run out on ${endpoint}`,
      expected: "the refresh succeeds; the source's last good series stay (alerts on them neither resolve nor refire); a warning names the endpoint",
      config: { sources: sourcesReading(endpoint) },
      async run(ctx) {
        const fed = (text: string) => seriesLines(text).filter((line) => line.startsWith(FED_BY[endpoint]));
        const before = fed(await ctx.scrape());
        ctx.inject({ endpoint, status: 503 });
        await ctx.refresh();
        const text = await ctx.scrape();
        expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
        expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint })).toBe(0);
        expect(fed(text)).toEqual(before);
        expect(tenantCount(text)).toBe(TENANTS);
        expect(statuses(ctx, endpoint).filter((status) => status === 503)).toHaveLength(4);
        expect(ctx.logs.join("")).toMatch(new RegExp(`${endpoint}: HTTP 503[^"]*; [^"]* keep the data read 0 min ago`));
      },
    }),
  ),
  {
    fault: "securityAlerts hangs past the optional sources' share of the refresh deadline",
    expected: "given up at 70% of the deadline: the refresh succeeds in time with the last good alerts, the score refreshed",
    config: { sources: GDAP_SOURCES },
    options: { deadlineMs: 3000 },
    async run(ctx) {
      const alerts = (text: string) => seriesLines(text).filter((line) => line.startsWith("partner_security_alerts"));
      const before = await ctx.scrape();
      ctx.inject({ endpoint: "securityAlerts", hang: true });
      const started = Date.now();
      await ctx.refresh();
      expect(Date.now() - started).toBeLessThan(3000);
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_snapshot_generation")).toBe((sampleValue(before, "partner_security_exporter_snapshot_generation") ?? 0) + 1);
      expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "securityAlerts" })).toBe(0);
      expect(alerts(text)).toEqual(alerts(before));
      expect(ctx.logs.join("")).toContain("securityAlerts: not read within 2s, its share of the refresh deadline; partner security alert series keep the data read 0 min ago");
    },
  },
  {
    fault: "securityAlerts paged, with a later page malformed",
    expected: "no partial alert list: the last good alerts stay, the score is exported, the refresh succeeds",
    config: { sources: GDAP_SOURCES },
    simulator: { pageSize: 2 },
    async run(ctx) {
      const alerts = (text: string) => seriesLines(text).filter((line) => line.startsWith("partner_security_alerts"));
      expect(statuses(ctx, "securityAlerts").length).toBeGreaterThan(1);
      const before = alerts(await ctx.scrape());
      ctx.inject({ endpoint: "securityAlerts", malformed: true, fromPage: 1 });
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "securityAlerts" })).toBe(0);
      expect(alerts(text)).toEqual(before);
      expect(sampleValue(text, "partner_security_score")).toBeDefined();
      expect(ctx.logs.join("")).toContain("securityAlerts: response is not valid JSON");
    },
  },
  ...GRAPH_ENDPOINTS.map(
    (endpoint): Row => ({
      fault: `429 with Retry-After: 1 on ${endpoint}`,
      config: { sources: sourcesReading(endpoint) },
      expected: "waits at least 1s, retries, succeeds; graph_retries_total grows",
      async run(ctx) {
        ctx.inject({ endpoint, status: 429, retryAfter: 1, times: 1 });
        await ctx.refresh();
        const text = await ctx.scrape();
        expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
        expect(sampleValue(text, "partner_security_exporter_graph_retries_total", { endpoint })).toBe(1);
        const requests = ctx.sim.requests().filter((request) => request.endpoint === endpoint);
        const throttled = requests.findIndex((request) => request.status === 429);
        const retried = requests[throttled + 1];
        expect(retried?.status).toBe(200);
        expect((retried?.at ?? 0) - (requests[throttled]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
      },
    }),
  ),
  {
    fault: "429 storm longer than the refresh deadline",
    expected: "refresh fails at the deadline, last good snapshot served unchanged, refresh_success 0",
    options: { deadlineMs: 1500 },
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "customerInsights", status: 429, retryAfter: 1 }, "refresh deadline", "timeout"),
  },
  {
    fault: "429 without Retry-After until the retries run out",
    expected: "refresh fails with reason throttled, last good snapshot kept",
    async run(ctx) {
      await expectFailedKeepingSnapshot(ctx, { endpoint: "history", status: 429 }, "history: HTTP 429", "throttled");
      // The first attempt and 3 retries, then the refresh gives up.
      expect(statuses(ctx, "history").filter((status) => status === 429)).toHaveLength(4);
      expect(statuses(ctx, "history").at(-1)).toBe(429);
    },
  },
  {
    fault: "503 until the retries run out",
    expected: "refresh fails with reason server_error, last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "requirements", status: 503 }, "requirements: HTTP 503", "server_error"),
  },
  {
    fault: "connection reset until the retries run out",
    expected: "refresh fails with reason network, last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "history", reset: true }, "history: request failed", "network"),
  },
  {
    fault: "500, 502, 503 and 504 once each, then success",
    expected: "each retried with backoff, the refresh succeeds",
    async run(ctx) {
      const codes = [500, 502, 503, 504];
      SCORE_ENDPOINTS.forEach((endpoint, index) => ctx.inject({ endpoint, status: codes[index], times: 1 }));
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "success" })).toBe(2);
      SCORE_ENDPOINTS.forEach((endpoint, index) => {
        const seen = statuses(ctx, endpoint);
        expect(seen).toContain(codes[index]);
        expect(seen.at(-1)).toBe(200);
        expect(sampleValue(text, "partner_security_exporter_graph_retries_total", { endpoint })).toBe(1);
      });
    },
  },
  {
    fault: "connection reset",
    expected: "retried, succeeds; counted as code network",
    async run(ctx) {
      ctx.inject({ endpoint: "requirements", reset: true, times: 1 });
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_graph_requests_total", { endpoint: "requirements", code: "network" })).toBe(1);
    },
  },
  {
    fault: "server hangs past PSE_REQUEST_TIMEOUT",
    expected: "aborted at the timeout, retried, succeeds; no leaked sockets or timers",
    config: { requestTimeoutMs: 1000 },
    async run(ctx) {
      const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
      const timersBefore = timers();
      const socketsBefore = ctx.sim.openConnections();
      ctx.inject({ endpoint: "history", hang: true, times: 1 });
      const started = Date.now();
      await ctx.refresh();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_graph_requests_total", { endpoint: "history", code: "timeout" })).toBe(1);
      // The abandoned connection is closed, and every timer of the refresh is gone again.
      await eventually("the hung connection closed", () => (ctx.sim.openConnections() <= socketsBefore ? true : undefined));
      await eventually("the refresh's timers cleared", () => (timers() <= timersBefore ? true : undefined));
    },
  },
  {
    fault: "malformed JSON",
    expected: "refresh fails with a clear log line, last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "history", malformed: true }, "history: response is not valid JSON", "invalid_response"),
  },
  {
    fault: "truncated body",
    expected: "retried as a network error, then fails; last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "requirements", truncated: true }, "requirements: request failed", "network"),
  },
  {
    fault: "HTML error page",
    expected: "refresh fails with a clear log line, last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "securityScore", body: "<html><body>Service Unavailable</body></html>", contentType: "text/html" }, 'securityScore: expected JSON but got content-type \\"text/html\\"', "invalid_response"),
  },
  {
    fault: "wrong content type",
    expected: "refresh fails with a clear log line, last good snapshot kept",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "customerInsights", body: '{"value":[]}', contentType: "text/plain" }, 'customerInsights: expected JSON but got content-type \\"text/plain\\"', "invalid_response"),
  },
  {
    fault: "valid JSON of the wrong shape: a collection without value",
    expected: "that endpoint's series dropped, the rest exported, a warning naming the field",
    async run(ctx) {
      ctx.inject({ endpoint: "requirements", body: '{"values":[]}' });
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(text).not.toMatch(/^partner_security_requirement_score\{/m);
      expect(sampleValue(text, "partner_security_score")).toBeDefined();
      expect(tenantCount(text)).toBe(TENANTS);
      expect(sampleValue(text, "partner_security_exporter_validation_warnings")).toBeGreaterThan(0);
      expect(ctx.logs.join("")).toContain("requirements: response is not an OData collection page (value:");
    },
  },
  {
    fault: "valid JSON of the wrong shape: strings where numbers belong, and nulls",
    expected: "those fields' series dropped, the rest exported, a warning naming each field",
    async run(ctx) {
      ctx.inject({ endpoint: "securityScore", body: JSON.stringify({ value: { currentScore: "high", maxScore: null, lastRefreshDateTime: "2026-01-01T00:00:00Z" } }) });
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_score")).toBeUndefined();
      expect(sampleValue(text, "partner_security_score_max")).toBeUndefined();
      expect(sampleValue(text, "partner_security_score_last_refresh_timestamp_seconds")).toBe(Date.parse("2026-01-01T00:00:00Z") / 1000);
      expect(tenantCount(text)).toBe(TENANTS);
      const output = ctx.logs.join("");
      expect(output).toContain('securityScore.currentScore: dropped, expected a number but got \\"high\\"');
      expect(output).toContain("securityScore.maxScore: dropped, expected a number but got null");
    },
  },
  {
    fault: "a nextLink that loops",
    expected: "stops with an error after one repeat, last good snapshot kept",
    async run(ctx) {
      await expectFailedKeepingSnapshot(ctx, { endpoint: "customerInsights", nextLinkLoop: true, fromPage: 1 }, "customerInsights: @odata.nextLink repeats an earlier page (loop)", "invalid_response");
      expect(statuses(ctx, "customerInsights").length).toBeLessThanOrEqual(3 + 2);
    },
  },
  {
    fault: "more pages than the configured page limit",
    expected: "stops with an error at the limit, last good snapshot kept",
    // Pages of 20: the 180 history entries fit the limit in 9 pages.
    simulator: { tenants: 160, pageSize: 20 },
    async run(ctx) {
      const pagesBefore = statuses(ctx, "customerInsights").length;
      ctx.sim.setTenants(240);
      // The first refresh read 8 pages; the limit of 9 pages stops the 12-page one.
      await expectFailedKeepingSnapshot(ctx, [], "customerInsights: more than 9 pages", "invalid_response");
      expect(statuses(ctx, "customerInsights").length - pagesBefore).toBe(9);
    },
    config: { maxPages: 9 },
  },
  {
    fault: "one page of customerInsights fails after earlier pages succeeded",
    expected: "no partial tenant list is published: the whole previous snapshot stays",
    run: (ctx) => expectFailedKeepingSnapshot(ctx, { endpoint: "customerInsights", status: 400, fromPage: 2 }, "customerInsights: HTTP 400", "invalid_response"),
  },
  {
    fault: "401 that persists",
    expected: "token re-acquired once, then a clear error (reason unauthorized) and no retry storm",
    async run(ctx) {
      const tokensBefore = ctx.sim.tokensIssued();
      await expectFailedKeepingSnapshot(ctx, { endpoint: "history", status: 401 }, "history: HTTP 401 InvalidAuthenticationToken", "unauthorized");
      const history = statuses(ctx, "history");
      expect(history.slice(-2)).toEqual([401, 401]);
      expect(history.filter((status) => status === 401)).toHaveLength(2);
      expect(ctx.sim.tokensIssued() - tokensBefore).toBe(1);
    },
  },
  {
    fault: "403 (consent missing)",
    expected: "not retried; reason forbidden; the log line names PartnerSecurity.Read.All",
    async run(ctx) {
      await expectFailedKeepingSnapshot(ctx, { endpoint: "securityScore", status: 403 }, "PartnerSecurity.Read.All", "forbidden");
      expect(statuses(ctx, "securityScore")).toEqual([200, 403]);
    },
  },
  {
    fault: "403 on two refreshes in a row, then consent granted",
    expected: "consecutive failures 1, 2, then 0 and no reason flagged after the success",
    async run(ctx) {
      ctx.inject({ endpoint: "requirements", status: 403 });
      await ctx.refresh();
      expectFailureReason(ctx, await ctx.scrape(), "forbidden", 1);
      await ctx.refresh();
      const twice = await ctx.scrape();
      expectFailureReason(ctx, twice, "forbidden", 2);
      expect(sampleValue(twice, "partner_security_exporter_refreshes_total", { result: "failure", reason: "forbidden" })).toBe(2);
      ctx.sim.clearFaults();
      await ctx.refresh();
      const healed = await ctx.scrape();
      expect(sampleValue(healed, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(healed, "partner_security_exporter_refresh_consecutive_failures")).toBe(0);
      for (const reason of REFRESH_FAILURE_REASONS) expect(sampleValue(healed, "partner_security_exporter_refresh_failure_reason", { reason }), reason).toBe(0);
      expect(sampleValue(healed, "partner_security_exporter_refreshes_total", { result: "failure", reason: "forbidden" })).toBe(2);
    },
  },
  {
    fault: "404 on /security/partner/securityScore itself",
    expected: "refresh fails with reason not_found (not retried), last good snapshot kept",
    async run(ctx) {
      await expectFailedKeepingSnapshot(ctx, { endpoint: "securityScore", status: 404 }, "securityScore: HTTP 404", "not_found");
      expect(statuses(ctx, "securityScore")).toEqual([200, 404]);
      // The last good data is still the one of the first refresh, score included.
      expect(sampleValue(await ctx.scrape(), "partner_security_score")).toBeDefined();
    },
  },
  {
    fault: "token endpoint answers 500",
    expected: "refresh fails cleanly naming the token; MSAL then holds token requests back for 60s, so no storm",
    before: [{ endpoint: "token", status: 500 }],
    async run(ctx) {
      const first = await ctx.scrape();
      expectFailureReason(ctx, first, "token");
      expect(ctx.logs.join("")).toContain("could not acquire a Graph token");
      const tokenRequests = ctx.sim.requests().filter((request) => request.endpoint === "token").length;
      await ctx.refresh();
      await ctx.refresh();
      expect(ctx.sim.requests().filter((request) => request.endpoint === "token").length).toBe(tokenRequests);
      expect(ctx.sim.requests().filter((request) => request.endpoint !== "token")).toEqual([]);
    },
  },
  ...[
    { name: "token endpoint down (connection reset)", fault: { endpoint: "token", reset: true } as Fault },
    { name: "token endpoint returns garbage", fault: { endpoint: "token", malformed: true } as Fault },
  ].map(
    ({ name, fault }): Row => ({
      fault: name,
      expected: "refresh fails cleanly, and the next refresh succeeds",
      before: [fault],
      async run(ctx) {
        const first = await ctx.scrape();
        expectFailureReason(ctx, first, "token");
        expect(graphPart(first)).toEqual([]);
        expect(ctx.logs.join("")).toContain("could not acquire a Graph token");
        expect(ctx.sim.requests().filter((request) => request.endpoint !== "token")).toEqual([]);
        ctx.sim.clearFaults();
        await ctx.refresh();
        const after = await ctx.scrape();
        expect(sampleValue(after, "partner_security_exporter_refresh_success")).toBe(1);
        expect(sampleValue(after, "partner_security_exporter_refresh_failure_reason", { reason: "token" })).toBe(0);
      },
    }),
  ),
  {
    fault: "404 on /history only",
    expected: "all other metrics exported, endpoint_available{endpoint=history} 0, the refresh a success",
    async run(ctx) {
      ctx.inject({ endpoint: "history", status: 404 });
      await ctx.refresh();
      const text = await ctx.scrape();
      expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
      expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "history" })).toBe(0);
      expect(sampleValue(text, "partner_security_history_score")).toBeUndefined();
      expect(sampleValue(text, "partner_security_score")).toBeDefined();
      expect(tenantCount(text)).toBe(TENANTS);
      expect(sampleValue(text, "partner_security_exporter_refresh_failure_reason", { reason: "not_found" })).toBe(0);
    },
  },
  ...(["requirements", "customerInsights"] as const).map(
    (endpoint): Row => ({
      fault: `404 on /${endpoint} only`,
      expected: `endpoint_available{endpoint=${endpoint}} 0, the score exported, the refresh a success`,
      async run(ctx) {
        ctx.inject({ endpoint, status: 404 });
        await ctx.refresh();
        const text = await ctx.scrape();
        expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
        expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint })).toBe(0);
        expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "securityScore" })).toBe(1);
        expect(sampleValue(text, "partner_security_score")).toBeDefined();
        expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "failure", reason: "not_found" })).toBe(0);
      },
    }),
  ),
  {
    fault: "Graph down longer than PSE_MAX_STALENESS",
    expected: "Graph-derived series disappear, the exporter's self-metrics remain",
    config: { maxStalenessMs: 1500 },
    async run(ctx) {
      for (const endpoint of GRAPH_ENDPOINTS) ctx.inject({ endpoint, status: 503 });
      await ctx.refresh();
      expect(graphPart(await ctx.scrape()).length).toBeGreaterThan(0);
      const text = await eventually("the Graph-derived series dropped", async () => {
        const current = await ctx.scrape();
        return graphPart(current).length === 0 ? current : undefined;
      });
      expectFailureReason(ctx, text, "server_error");
      expect(sampleValue(text, "partner_security_exporter_build_info", { version: "0.0.0" })).toBe(1);
      expect(ctx.logs.join("")).toContain("Graph-derived series dropped");
    },
  },
  {
    fault: "a tenant disappears from customerInsights",
    expected: "its series disappear at the next successful refresh",
    async run(ctx) {
      const before = await ctx.scrape();
      const ids = seriesLines(before).filter((line) => line.startsWith("partner_security_customer_users{")).map((line) => /customer_tenant_id="([^"]+)"/.exec(line)?.[1]);
      ctx.sim.setTenants(TENANTS - 1);
      await ctx.refresh();
      const after = await ctx.scrape();
      expect(tenantCount(after)).toBe(TENANTS - 1);
      const gone = ids.filter((id) => !after.includes(`customer_tenant_id="${id}"`));
      expect(gone).toHaveLength(1);
    },
  },
  {
    fault: "10,000 tenants, then 10",
    expected: "memory returns (no series leak), no stale tenant series",
    simulator: { tenants: 10, pageSize: 1000 },
    async run(ctx) {
      // Rendered bodies are Buffers, outside the V8 heap: count both.
      const memory = (): number => {
        gc();
        gc();
        const usage = process.memoryUsage();
        return usage.heapUsed + usage.external;
      };
      const cycle = async (tenants: number): Promise<void> => {
        ctx.sim.setTenants(tenants);
        await ctx.refresh();
      };
      // One round first, so what loads lazily on first use is not counted as a leak.
      await cycle(10_000);
      await cycle(10);
      const small = await ctx.scrape();
      const before = memory();
      await cycle(10_000);
      // Only the count is kept: the test must not hold the large exposition itself.
      expect(tenantCount(await ctx.scrape())).toBe(10_000);
      const large = memory();
      await cycle(10);
      const shrunk = await ctx.scrape();
      const after = memory();
      expect(tenantCount(shrunk)).toBe(10);
      const tenantLines = (text: string) => graphPart(text).filter((line) => line.includes("customer_tenant_id="));
      expect(tenantLines(shrunk)).toEqual(tenantLines(small));
      expect(sampleValue(shrunk, "partner_security_exporter_graph_series")).toBe(sampleValue(small, "partner_security_exporter_graph_series"));
      // What the 10,000 tenants took is given back (within a tenth of it, or 4 MiB of noise).
      expect(large - before).toBeGreaterThan(4 * 1024 * 1024);
      expect(after - before).toBeLessThan(Math.max(4 * 1024 * 1024, (large - before) / 10));
    },
  },
];

describe("fault matrix: the exporter against faults injected at the simulator, over HTTPS", () => {
  it.each(rows.map((row) => [row.fault, row.expected, row] as const))("%s → %s", async (_fault, _expected, row) => {
    await row.run(await setup(row));
  });
});

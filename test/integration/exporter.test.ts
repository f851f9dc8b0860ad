import type { TokenCredential } from "@azure/identity";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Flags } from "../../src/config.js";
import { startExporter } from "../../src/main.js";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { ALL_METRICS } from "../../src/metrics/all-metrics.js";
import { fixtureAnswers } from "../fixtures/graph-fixtures.js";
import { fakeJwt } from "../fixtures/tokens.js";
import { captureLogs, graphPart, hasTool, promtoolCheckMetrics, sampleValue, seriesLines, startTestExporter, startTestSimulator } from "../helpers.js";

const CLIENT_ID = "11111111-2222-3333-4444-555555555555";
const CLIENT_SECRET = "integration-test-secret-value";
const TENANTS = 23;
const PAGE_SIZE = 5;

let simulator: Simulator;
let exporter: RunningExporter | undefined;
let logs: string[];

async function start(flags: Flags = {}): Promise<RunningExporter> {
  const captured = captureLogs();
  logs = captured.lines;
  exporter = await startTestExporter(simulator, {
    flags: { requestTimeout: "2s", logLevel: "debug", ...flags },
    client: { tenantId: "partner-tenant", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    logger: pino({ level: "debug" }, captured.stream),
    retry: { retries: 3, minTimeoutMs: 20, maxTimeoutMs: 100 },
    build: { version: "0.0.0-test", revision: "test" },
  });
  return exporter;
}

async function scrape(running: RunningExporter): Promise<string> {
  const response = await fetch(`${running.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function requestsTo(endpoint: string) {
  return simulator.requests().filter((request) => request.endpoint === endpoint);
}

beforeEach(async () => {
  logs = [];
  simulator = await startTestSimulator({ tenants: TENANTS, pageSize: PAGE_SIZE, clients: { [CLIENT_ID]: CLIENT_SECRET } });
});

afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  await simulator.close();
});

/**
 * Every sample name a scrape must carry, from the metric tables (a histogram by its buckets), and
 * two of prom-client's defaults that the dashboards read.
 */
const CONTRACT = [
  ...ALL_METRICS.map((row) => (row.type === "histogram" ? `${row.name}_bucket` : row.name)),
  "process_cpu_seconds_total",
  "nodejs_eventloop_lag_seconds",
];

describe("exporter against the simulator over HTTPS with the real ClientSecretCredential", () => {
  it("exports every metric of the contract, with names from GDAP, relationships and alerts on", async () => {
    const running = await start({ customerNames: "gdap" });
    const names = new Set(seriesLines(await scrape(running)).map((line) => /^[^{ ]+/.exec(line)?.[0]));
    expect(CONTRACT.filter((name) => !names.has(name))).toEqual([]);
    const text = await scrape(running);
    expect(sampleValue(text, "partner_security_mfa_policy_enabled", { policy: "conditional_access" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_build_info", { version: "0.0.0-test", revision: "test", nodejs_version: process.versions.node })).toBe(1);
    // The partner tenant is the configured one (AZURE_TENANT_ID), one series.
    expect(seriesLines(text).filter((line) => line.startsWith("partner_security_exporter_partner_info{"))).toEqual(['partner_security_exporter_partner_info{partner_tenant_id="partner-tenant"} 1']);
    expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "success" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "failure", reason: "forbidden" })).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_refresh_consecutive_failures")).toBe(0);
  });

  it("exports the score, every requirement and every customer tenant across pages", async () => {
    const running = await start();
    const text = await scrape(running);

    expect(simulator.tokensIssued()).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    const requirementScores = ["mfaEnforcedForAdmins", "mfaEnforcedForAdminsOfCustomers", "securityAlertsPromptlyResolved", "spendingBudgetSetForCustomerAzureSubscriptions"].map(
      (id) => sampleValue(text, "partner_security_requirement_score", { requirement_id: id }) ?? Number.NaN,
    );
    const contact = sampleValue(text, "partner_security_requirement_score", { requirement_type: "securityContactProvided" }) ?? Number.NaN;
    expect(sampleValue(text, "partner_security_score")).toBe(requirementScores.reduce((a, b) => a + b, contact));
    expect(sampleValue(text, "partner_security_score_max")).toBe(100);
    // 23 tenants in pages of 5: five pages, every tenant once.
    expect(requestsTo("customerInsights")).toHaveLength(5);
    expect(seriesLines(text).filter((line) => line.startsWith("partner_security_customer_users{"))).toHaveLength(TENANTS);
    expect(sampleValue(text, "partner_security_customer_tenants")).toBe(TENANTS);
    expect(sampleValue(text, "partner_security_history_requirements")).toBe(5);
    expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "history" })).toBe(1);
    // Every Graph request carried the token and its own client-request-id.
    const graphRequests = simulator.requests().filter((request) => request.endpoint !== "token");
    expect(graphRequests.every((request) => request.token?.startsWith("sim-partner-tenant-"))).toBe(true);
    expect(new Set(graphRequests.map((request) => request.clientRequestId)).size).toBe(graphRequests.length);
    expect(graphRequests.every((request) => /^[0-9a-f-]{36}$/.test(request.clientRequestId ?? ""))).toBe(true);
  });

  it("exports per-tenant series for every tenant, the not fully covered ones or none, and counts every tenant in each mode", async () => {
    // The MFA per-tenant series: PSE_CUSTOMER_SERIES does not limit the alert series (only customers with open alerts have them).
    const tenantsOf = (text: string) =>
      new Set(seriesLines(text).flatMap((line) => (/^partner_security_customer_(mfa_|users)/.test(line) ? (/customer_tenant_id="([^"]+)"/.exec(line)?.[1] ?? []) : [])));
    const counts = (text: string) => seriesLines(text).filter((line) => line.startsWith("partner_security_customer_insight_tenants"));
    const all = await scrape(await start());
    await exporter?.close();
    const noncompliant = await scrape(await start({ customerSeries: "noncompliant" }));
    await exporter?.close();
    const none = await scrape(await start({ customerSeries: "none" }));

    expect(tenantsOf(all).size).toBe(TENANTS);
    expect(sampleValue(all, "partner_security_customer_insight_tenants")).toBe(TENANTS);
    const bands = ["below_50_percent", "50_to_90_percent", "90_to_100_percent", "100_percent", "unknown"].map((band) => sampleValue(all, "partner_security_customer_insight_tenants_by_mfa_coverage", { coverage_band: band }) ?? Number.NaN);
    expect(bands.reduce((a, b) => a + b, 0)).toBe(TENANTS);
    // Fully covered with a policy on: the tenants noncompliant leaves out, read from mode all's series.
    const covered = [...tenantsOf(all)].filter((id) => {
      const value = (name: string) => sampleValue(all, name, { customer_tenant_id: id }) ?? Number.NaN;
      const coverage = (value("partner_security_customer_mfa_compliant_admins") + value("partner_security_customer_mfa_compliant_non_admins")) / value("partner_security_customer_users");
      const policy = ["security_defaults", "conditional_access", "legacy_per_user"].some((p) => sampleValue(all, "partner_security_customer_mfa_policy_enabled", { customer_tenant_id: id, policy: p }) === 1);
      return coverage >= 1 && policy;
    });
    expect([...tenantsOf(noncompliant)].sort()).toEqual([...tenantsOf(all)].filter((id) => !covered.includes(id)).sort());
    expect(tenantsOf(none).size).toBe(0);
    for (const [text, mode] of [[all, "all"], [noncompliant, "noncompliant"], [none, "none"]] as const) {
      expect(counts(text), mode).toEqual(counts(all));
      expect(sampleValue(text, "partner_security_exporter_customer_series_info", { mode }), mode).toBe(1);
    }
  });

  it("serves the same HELP and TYPE of every metric whatever its settings, and the refresh interval as a value", async () => {
    const metadata = (text: string) => new Map(text.split("\n").filter((line) => /^# (HELP|TYPE) /.test(line)).map((line) => [line.split(" ", 3).slice(1).join(" "), line]));
    const defaults = await scrape(await start());
    await exporter?.close();
    const changed = await scrape(await start({ refreshInterval: "30s", customerSeries: "noncompliant", maxStaleness: "2h", requestTimeout: "5s" }));
    const [before, after] = [metadata(defaults), metadata(changed)];
    const shared = [...before.keys()].filter((key) => after.has(key));
    expect(shared.length).toBeGreaterThan(80);
    for (const key of shared) expect(after.get(key), key).toBe(before.get(key));
    expect(sampleValue(defaults, "partner_security_exporter_refresh_interval_seconds")).toBe(3600);
    expect(sampleValue(changed, "partner_security_exporter_refresh_interval_seconds")).toBe(30);
  });

  it.skipIf(!hasTool("promtool"))("passes promtool check metrics", async () => {
    const running = await start();
    const result = promtoolCheckMetrics(await scrape(running));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("honours Retry-After on a 429 without refetching the pages before it", async () => {
    simulator.injectFault({ endpoint: "customerInsights", status: 429, retryAfter: 1, times: 1, fromPage: 2 });
    const running = await start();
    const text = await scrape(running);

    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_graph_retries_total", { endpoint: "customerInsights" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_graph_requests_total", { endpoint: "customerInsights", code: "429" })).toBe(1);
    const pages = requestsTo("customerInsights");
    expect(pages.map((request) => request.status)).toEqual([200, 200, 429, 200, 200, 200]);
    const [throttled, retried] = [pages[2], pages[3]];
    expect(throttled?.path).toBe(retried?.path);
    expect((retried?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(seriesLines(text).filter((line) => line.startsWith("partner_security_customer_users{"))).toHaveLength(TENANTS);
  });

  it("retries a 503 and succeeds", async () => {
    simulator.injectFault({ endpoint: "requirements", status: 503, times: 1 });
    const running = await start();
    const text = await scrape(running);

    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    expect(requestsTo("requirements").map((request) => request.status)).toEqual([503, 200]);
    expect(sampleValue(text, "partner_security_exporter_graph_retries_total", { endpoint: "requirements" })).toBe(1);
  });

  it("gets a fresh token after a 401 and succeeds", async () => {
    const running = await start();
    expect(simulator.tokensIssued()).toBe(1);
    simulator.revokeTokens();
    await running.poller.refreshNow();
    const text = await scrape(running);

    expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "success" })).toBe(2);
    expect(simulator.tokensIssued()).toBeGreaterThan(1);
    const score = requestsTo("securityScore");
    expect(score.map((request) => request.status)).toEqual([200, 401, 200]);
    expect(score[2]?.token).not.toBe(score[1]?.token);
  });

  it("retries a persistent 401 once with a fresh token, then fails and keeps the last good data", async () => {
    const running = await start();
    const first = await scrape(running);
    const before = graphPart(first);
    simulator.injectFault({ endpoint: "securityScore", status: 401 });
    await running.poller.refreshNow();
    const text = await scrape(running);
    expect(sampleValue(text, "partner_security_exporter_last_success_timestamp_seconds")).toBe(sampleValue(first, "partner_security_exporter_last_success_timestamp_seconds"));

    expect(requestsTo("securityScore").map((request) => request.status)).toEqual([200, 401, 401]);
    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "failure", reason: "unauthorized" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_refresh_failure_reason", { reason: "unauthorized" })).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_refresh_consecutive_failures")).toBe(1);
    expect(graphPart(text)).toEqual(before);
  });

  it("exports the other endpoints when one answers 404", async () => {
    simulator.injectFault({ endpoint: "history", status: 404 });
    const running = await start();
    const text = await scrape(running);

    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "history" })).toBe(0);
    expect(sampleValue(text, "partner_security_exporter_endpoint_available", { endpoint: "customerInsights" })).toBe(1);
    expect(sampleValue(text, "partner_security_history_score")).toBeUndefined();
    expect(sampleValue(text, "partner_security_score")).toBeDefined();
    expect(requestsTo("history")).toHaveLength(1);
  });

  it("keeps the last good snapshot when Graph returns malformed JSON", async () => {
    const running = await start();
    const before = graphPart(await scrape(running));
    simulator.injectFault({ endpoint: "customerInsights", malformed: true, fromPage: 1 });
    await running.poller.refreshNow();
    const text = await scrape(running);

    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(0);
    expect(graphPart(text)).toEqual(before);
    expect(logs.join("")).toContain("customerInsights: response is not valid JSON");
  });

  it("skips a tick while a refresh still runs, and counts and logs the skip", async () => {
    const running = await start();
    expect(sampleValue(await scrape(running), "partner_security_exporter_refresh_skipped_total")).toBe(0);
    simulator.injectFault({ endpoint: "securityScore", latencyMs: 500, times: 1 });
    const slow = running.poller.refreshNow();
    // A tick while that refresh runs, as the interval timer would fire it.
    await running.poller.refreshNow();
    await slow;
    const exposition = await scrape(running);
    expect(sampleValue(exposition, "partner_security_exporter_refresh_skipped_total")).toBe(1);
    expect(sampleValue(exposition, "partner_security_exporter_refreshes_total", { result: "success" })).toBe(2);
    expect(requestsTo("securityScore")).toHaveLength(2);
    expect(logs.filter((line) => line.includes("refresh skipped: the previous one is still running"))).toHaveLength(1);
  });

  it("never writes the client secret or a token to the logs", async () => {
    const running = await start();
    simulator.revokeTokens();
    await running.poller.refreshNow();
    const tokens = simulator.requests().flatMap((request) => (request.token ? [request.token] : []));
    const output = logs.join("");
    expect(output).not.toContain(CLIENT_SECRET);
    for (const token of tokens) expect(output).not.toContain(token);
    expect(tokens.length).toBeGreaterThan(0);
  });

  it("keeps unknown enum members and @odata.types as unknown and logs each once, not every refresh", async () => {
    const body = JSON.stringify({
      value: [{ "@odata.type": "#microsoft.graph.partner.security.futureSecurityRequirement", id: "future", requirementType: "somethingNew", complianceStatus: "partial", state: "active", score: 1, maxScore: 2 }],
    });
    simulator.injectFault({ endpoint: "requirements", body });
    const running = await start();
    await running.poller.refreshNow();
    const text = await scrape(running);
    expect(sampleValue(text, "partner_security_exporter_refreshes_total", { result: "success" })).toBe(2);
    expect(sampleValue(text, "partner_security_requirement_compliance_status", { requirement_id: "future", requirement_type: "unknown", status: "unknown" })).toBe(1);
    const mentions = (needle: string) => logs.filter((line) => line.includes(needle)).length;
    expect(mentions('unknown type \\"futureSecurityRequirement\\"')).toBe(1);
    expect(mentions('unknown value \\"somethingNew\\"')).toBe(1);
    expect(mentions('unknown value \\"partial\\"')).toBe(1);
  });
});

describe("the partner tenant of a managed identity", () => {
  const TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";

  it("is empty until the first token, then the token's tid claim", async () => {
    // Graph answers from the fixtures through the fetch seam (nothing leaves the process): the
    // simulator accepts only its own opaque tokens, and a managed identity's token is a JWT.
    const answers = fixtureAnswers();
    const fetchFixtures = ((input: string | URL | Request) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const body: unknown = url.search ? answers[decodeURIComponent(url.href)] : answers[url.pathname.replace(/^\/beta/, "")];
      return Promise.resolve(new Response(JSON.stringify(body ?? { error: { code: "ResourceNotFound" } }), { status: body ? 200 : 404, headers: { "content-type": "application/json" } }));
    }) as typeof fetch;
    let release: () => void = () => undefined;
    const tokenAsked = new Promise<void>((resolve) => (release = resolve));
    const token = fakeJwt({ aud: "https://graph.microsoft.com", tid: TENANT });
    const credential: TokenCredential = {
      getToken: async () => {
        await tokenAsked;
        return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const captured = captureLogs();
    exporter = await startExporter({
      config: loadConfig({ listenAddress: "127.0.0.1:0", refreshInterval: "1h", credential: "managed-identity" }, { PSE_GRAPH_BASE_URL: "https://graph.microsoft.com" }),
      logger: pino({ level: "debug" }, captured.stream),
      credential,
      fetch: fetchFixtures,
      build: { version: "0.0.0-test", revision: "test" },
    });
    const partnerLines = (text: string) => seriesLines(text).filter((line) => line.startsWith("partner_security_exporter_partner_info{"));
    expect(partnerLines(await scrape(exporter))).toEqual(['partner_security_exporter_partner_info{partner_tenant_id=""} 1']);
    release();
    await exporter.poller.firstRefresh;
    const text = await scrape(exporter);
    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    expect(partnerLines(text)).toEqual([`partner_security_exporter_partner_info{partner_tenant_id="${TENANT}"} 1`]);
    expect(captured.lines.join("")).not.toContain(token);
  });
});

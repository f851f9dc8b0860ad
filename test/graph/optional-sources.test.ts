import { afterEach, describe, expect, it, vi } from "vitest";
import type { GraphClient } from "../../src/graph/client.js";
import { GraphError } from "../../src/graph/errors.js";
import { fetchSnapshot } from "../../src/graph/fetch-snapshot.js";
import { createOptionalMemory, endpointsRead, fetchOptional, NO_OPTIONAL_SOURCES } from "../../src/graph/optional-sources.js";
import type { OptionalSources } from "../../src/graph/optional-sources.js";
import type { OptionalEndpoint } from "../../src/graph/snapshot.js";
import { ALL_SOURCES, fakeGraphClient, fixtureAnswers } from "../fixtures/graph-fixtures.js";
import { eventually } from "../helpers.js";

const ALERTS = "/security/partner/securityAlerts";
const PATH: Record<OptionalEndpoint, string> = {
  delegatedAdminCustomers: "/tenantRelationships/delegatedAdminCustomers",
  delegatedAdminRelationships: "/tenantRelationships/delegatedAdminRelationships",
  contracts: "/contracts",
  securityAlerts: ALERTS,
};
const CONTRACT_NAMES: OptionalSources = { customerNames: "contracts", gdapRelationships: false, securityAlerts: false };
const signal = new AbortController().signal;
const warn = (): void => undefined;

/** The `unavailable` sink of a refresh, keeping what it was told. */
function told() {
  const said: Array<{ endpoint: string; reason: string; outage: string }> = [];
  return { said, unavailable: (endpoint: string, reason: string, outage: string) => void said.push({ endpoint, reason, outage }) };
}

/** A Graph that answers from the fixtures, except the optional paths given, which never answer until their request is aborted. */
function hangingOn(...paths: string[]): GraphClient & { abandoned: Array<Promise<unknown>> } {
  const fixtures = fakeGraphClient(fixtureAnswers());
  const abandoned: Array<Promise<unknown>> = [];
  return {
    abandoned,
    getJson(endpoint, path, requestSignal) {
      if (!paths.includes(path)) return fixtures.getJson(endpoint, path, requestSignal);
      const answer = new Promise<unknown>((_resolve, reject) => requestSignal.addEventListener("abort", () => reject(requestSignal.reason as Error), { once: true }));
      abandoned.push(answer.catch(() => undefined));
      return answer;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("which endpoints a refresh reads", () => {
  it.each([
    ["no optional source", NO_OPTIONAL_SOURCES, []],
    ["names from GDAP, relationships and alerts", ALL_SOURCES, ["delegatedAdminCustomers", "delegatedAdminRelationships", "securityAlerts"]],
    ["names from contracts", CONTRACT_NAMES, ["contracts"]],
    ["alerts alone", { customerNames: "none", gdapRelationships: false, securityAlerts: true }, ["securityAlerts"]],
  ] as const)("with %s: the score's four, then the optional ones that are on", (_what, sources, optional) => {
    expect(endpointsRead(sources)).toEqual(["securityScore", "requirements", "history", "customerInsights", ...optional]);
  });

  it("reads nothing and reports no endpoint when every optional source is off", async () => {
    const client = fakeGraphClient(fixtureAnswers());
    const { said, unavailable } = told();
    const data = await fetchOptional(client, NO_OPTIONAL_SOURCES, { signal, warn, unavailable });
    expect(data).toEqual({ customerNames: undefined, gdapRelationships: undefined, securityAlerts: undefined, available: {} });
    expect(client.calls).toEqual([]);
    expect(said).toEqual([]);
  });
});

describe("the one line that says why an optional endpoint is left out", () => {
  const forbidden = (endpoint: OptionalEndpoint, code?: string) => new GraphError(`${endpoint}: HTTP 403`, endpoint, 403, code, undefined);

  it.each([
    [
      "a 403 on the alerts, which need the score's own permission",
      "securityAlerts",
      forbidden("securityAlerts", "Forbidden"),
      "securityAlerts: access denied (HTTP 403, Forbidden): the permission it needs, PartnerSecurity.Read.All, is the score's own, so while the score is exported Graph refuses this API for the tenant: turn it off with PSE_SECURITY_ALERTS=false; partner security alert series are left out",
    ],
    [
      "a 403 without an error code on GDAP customers",
      "delegatedAdminCustomers",
      forbidden("delegatedAdminCustomers"),
      "delegatedAdminCustomers: access denied (HTTP 403): grant the app registration the Microsoft Graph application permission DelegatedAdminRelationship.Read.All with admin consent (it applies with the next token, within the hour, or at a restart), or turn it off with PSE_CUSTOMER_NAMES=none; customer names are left out",
    ],
    [
      "a 404 on GDAP relationships",
      "delegatedAdminRelationships",
      new GraphError("delegatedAdminRelationships: HTTP 404", "delegatedAdminRelationships", 404, "ResourceNotFound", undefined),
      "delegatedAdminRelationships: not found (HTTP 404) for this partner tenant; turn it off with PSE_GDAP_RELATIONSHIPS=false if the tenant has none; GDAP relationship series are left out",
    ],
    [
      "a 503, whose message already names the endpoint",
      "securityAlerts",
      new GraphError("securityAlerts: HTTP 503: Service Unavailable", "securityAlerts", 503, undefined, undefined),
      "securityAlerts: HTTP 503: Service Unavailable; partner security alert series are left out of this refresh",
    ],
    [
      "an error whose message does not name the endpoint",
      "securityAlerts",
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      "securityAlerts: Cannot read properties of undefined (reading 'id'); partner security alert series are left out of this refresh",
    ],
  ] as const)("for %s", async (_what, endpoint, error, reason) => {
    const { said, unavailable } = told();
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [PATH[endpoint]]: error }), { signal, warn, sources: ALL_SOURCES, unavailable });
    expect(snapshot.available[endpoint]).toBe(false);
    expect(said).toEqual([{ endpoint, reason, outage: reason }]);
  });
});

describe("the optional sources' share of the refresh deadline", () => {
  it("gives up an optional source that outlasts it, and the refresh succeeds without it", async () => {
    vi.useFakeTimers();
    const client = hangingOn(ALERTS);
    const { said, unavailable } = told();
    let settled = false;
    const refresh = fetchSnapshot(client, { signal, warn, sources: ALL_SOURCES, unavailable, optionalBudgetMs: 20_000 }).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(19_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    const snapshot = await refresh;
    expect(snapshot.securityAlerts).toBeUndefined();
    expect(snapshot.gdapRelationships).toHaveLength(6);
    expect(snapshot.available).toMatchObject({ securityAlerts: false, delegatedAdminRelationships: true });
    expect(said).toEqual([
      {
        endpoint: "securityAlerts",
        reason: "securityAlerts: not read within 20s, its share of the refresh deadline; partner security alert series are left out of this refresh",
        outage: "securityAlerts: not read within 20s, its share of the refresh deadline; partner security alert series are left out of this refresh",
      },
    ]);
  });

  it("leaves no timer behind once the optional sources are read in time", async () => {
    vi.useFakeTimers();
    const snapshot = await fetchSnapshot(fakeGraphClient(fixtureAnswers()), { signal, warn, sources: ALL_SOURCES, optionalBudgetMs: 20_000 });
    expect(snapshot.securityAlerts).toHaveLength(6);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports nothing left out when the refresh itself fails while an optional source is still being read", async () => {
    const client = hangingOn(ALERTS);
    const failing: GraphClient = {
      getJson: (endpoint, path, requestSignal) =>
        endpoint === "securityScore" ? Promise.reject(new GraphError("securityScore: HTTP 500", endpoint, 500, undefined, undefined)) : client.getJson(endpoint, path, requestSignal),
    };
    const { said, unavailable } = told();
    await expect(fetchSnapshot(failing, { signal, warn, sources: ALL_SOURCES, unavailable })).rejects.toThrow("securityScore: HTTP 500");
    expect(client.abandoned).toHaveLength(1);
    let ended = false;
    void Promise.all(client.abandoned).then(() => (ended = true));
    await eventually("the abandoned alerts request to end", () => (ended ? true : undefined), 5000);
    // Let the abandoned read run its error handling to the end (all of it is promise jobs, done before the next macrotask).
    await new Promise((resolve) => setImmediate(resolve));
    expect(said).toEqual([]);
  });
});

describe("the optional sources' last good data across refreshes", () => {
  const unavailableAlerts = new GraphError("securityAlerts: HTTP 503", "securityAlerts", 503, undefined, undefined);

  /** Two refreshes `elapsedMs` apart, the alerts answering the first from the fixtures and the second with `second`. */
  async function twice(second: unknown, maxAgeMs: number, elapsedMs: number) {
    let now = 1_000_000;
    const memory = createOptionalMemory(maxAgeMs, () => now);
    const { said, unavailable } = told();
    const options = { signal, warn, sources: ALL_SOURCES, memory, unavailable };
    await fetchSnapshot(fakeGraphClient(fixtureAnswers()), options);
    now += elapsedMs;
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [ALERTS]: second }), options);
    return { snapshot, said };
  }

  it("is none yet on the first refresh: a failing source is left out, the refresh succeeds", async () => {
    const { said, unavailable } = told();
    const memory = createOptionalMemory(3_600_000, () => 1_000_000);
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [ALERTS]: unavailableAlerts }), { signal, warn, sources: ALL_SOURCES, memory, unavailable });
    expect(snapshot.securityAlerts).toBeUndefined();
    expect(snapshot.gdapRelationships).toHaveLength(6);
    expect(said.map(({ reason }) => reason)).toEqual(["securityAlerts: HTTP 503; partner security alert series are left out of this refresh"]);
  });

  it("still stands in when exactly as old as PSE_MAX_STALENESS allows", async () => {
    const { snapshot, said } = await twice(unavailableAlerts, 3_600_000, 3_600_000);
    expect(snapshot.securityAlerts).toHaveLength(6);
    expect(said.map(({ reason }) => reason)).toEqual(["securityAlerts: HTTP 503; partner security alert series keep the data read 60 min ago"]);
  });

  it("is told as an outage of its own, naming the endpoint and the failure", async () => {
    const { said } = await twice(unavailableAlerts, 3_600_000, 5 * 60_000);
    expect(said).toEqual([
      {
        endpoint: "securityAlerts",
        reason: "securityAlerts: HTTP 503; partner security alert series keep the data read 5 min ago",
        outage: "kept: securityAlerts: HTTP 503; partner security alert series are left out of this refresh",
      },
    ]);
  });

  it("is named at the end of the line only, whatever Graph's message says", async () => {
    const odd = new GraphError("securityAlerts: HTTP 503: partner security alert series are left out of this refresh during maintenance", "securityAlerts", 503, undefined, undefined);
    const { said } = await twice(odd, 3_600_000, 5 * 60_000);
    expect(said.map(({ reason }) => reason)).toEqual([
      "securityAlerts: HTTP 503: partner security alert series are left out of this refresh during maintenance; partner security alert series keep the data read 5 min ago",
    ]);
  });
});

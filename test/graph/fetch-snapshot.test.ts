import { describe, expect, it } from "vitest";
import type { GraphClient } from "../../src/graph/client.js";
import { GraphError, SchemaError } from "../../src/graph/errors.js";
import { SETTINGS } from "../../src/config.js";
import { DEFAULT_MAX_PAGES, MAX_PAGES_WITHOUT_NEW_ITEMS, fetchCollection, fetchSnapshot } from "../../src/graph/fetch-snapshot.js";
import { createOptionalMemory } from "../../src/graph/optional-sources.js";
import type { Collector } from "../../src/graph/fetch-snapshot.js";
import { ALL_SOURCES, fakeGraphClient, fixtureAnswers, fixtureSnapshot } from "../fixtures/graph-fixtures.js";

const INSIGHTS = "/security/partner/securityScore/customerInsights";
const signal = new AbortController().signal;
const warn = (): void => undefined;

function tenant(id: string) {
  return { tenantId: id, mfa: { totalUsersCount: 1 } };
}

/** Keeps every raw item; new when its tenantId was not seen before. */
function rawItems(): Collector<unknown[]> {
  const items: unknown[] = [];
  const seen = new Set<unknown>();
  return {
    add(item) {
      items.push(item);
      const id = item && typeof item === "object" && "tenantId" in item ? item.tenantId : undefined;
      if (id === undefined || seen.has(id)) return false;
      seen.add(id);
      return true;
    },
    result: () => items,
  };
}

/** A chain of `pages` pages, each holding what `items(page)` says, linked by distinct nextLinks. */
function chain(pages: number, items: (page: number) => unknown[]): GraphClient & { calls: string[]; maxInFlight: number } {
  const calls: string[] = [];
  let inFlight = 0;
  const client = {
    calls,
    maxInFlight: 0,
    async getJson(_endpoint: string, link: string) {
      calls.push(link);
      inFlight++;
      client.maxInFlight = Math.max(client.maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const page = link === INSIGHTS ? 0 : Number(/p(\d+)$/.exec(link)?.[1]);
      return { value: items(page), ...(page + 1 < pages ? { "@odata.nextLink": `https://g/p${page + 1}` } : {}) };
    },
  };
  return client;
}

describe("fetchCollection", () => {
  it("follows @odata.nextLink until it ends", async () => {
    const client = fakeGraphClient({
      [INSIGHTS]: { value: [tenant("a")], "@odata.nextLink": "https://g/p2" },
      "https://g/p2": { value: [tenant("b")], "@odata.nextLink": "https://g/p3" },
      "https://g/p3": { value: [tenant("c")] },
    });
    const items = await fetchCollection(client, "customerInsights", { signal }, rawItems());
    expect(items).toEqual([tenant("a"), tenant("b"), tenant("c")]);
    expect(client.calls).toEqual([INSIGHTS, "https://g/p2", "https://g/p3"]);
  });

  it("stops a nextLink loop with an error", async () => {
    const client = fakeGraphClient({
      [INSIGHTS]: { value: [], "@odata.nextLink": "https://g/p2" },
      "https://g/p2": { value: [], "@odata.nextLink": "https://g/p2" },
    });
    await expect(fetchCollection(client, "customerInsights", { signal }, rawItems())).rejects.toThrow(/repeats an earlier page/);
    expect(client.calls).toHaveLength(2);
  });

  it("stops after an explicit page limit", async () => {
    let page = 0;
    const endless: GraphClient = {
      getJson: () => Promise.resolve({ value: [tenant(String(page))], "@odata.nextLink": `https://g/p${++page}` }),
    };
    await expect(fetchCollection(endless, "customerInsights", { signal, maxPages: 5 }, rawItems())).rejects.toThrow(/more than 5 pages \(PSE_MAX_PAGES\)/);
    expect(page).toBe(5);
  });

  it("has no fixed page limit by default: 100,000 tenants one per page are read whole", async () => {
    expect(DEFAULT_MAX_PAGES).toBe(0);
    const client = chain(100_000, (page) => [tenant(`t${page}`)]);
    const items = await fetchCollection(client, "customerInsights", { signal }, rawItems());
    expect(items).toHaveLength(100_000);
    expect(new Set(client.calls).size).toBe(100_000);
  }, 60_000);

  it.each([
    ["empty pages", () => []],
    ["pages of duplicates", () => [tenant("t1")]],
    ["pages of unusable items", () => [{ mfa: {} }]],
  ])("stops a runaway chain of %s with distinct nextLinks", async (_name, filler) => {
    // Two good pages, then filler for ever.
    const client = chain(1_000_000, (page) => (page < 2 ? [tenant(`t${page}`)] : filler()));
    const failure = await fetchCollection(client, "customerInsights", { signal }, rawItems()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SchemaError);
    expect(String(failure)).toContain(`${MAX_PAGES_WITHOUT_NEW_ITEMS} pages in a row added no new item`);
    // The good pages, the filler pages, and the next page already requested (then abandoned).
    expect(client.calls).toHaveLength(2 + MAX_PAGES_WITHOUT_NEW_ITEMS + 1);
  });

  it("reads through fewer empty pages in a row than the runaway guard allows", async () => {
    const empty = MAX_PAGES_WITHOUT_NEW_ITEMS - 1;
    const client = chain(2 + empty + 1, (page) => (page === 0 ? [tenant("first")] : page <= empty ? [] : [tenant(`t${page}`)]));
    const items = await fetchCollection(client, "customerInsights", { signal }, rawItems());
    expect(items).toEqual([tenant("first"), tenant(`t${empty + 1}`), tenant(`t${empty + 2}`)]);
  });

  it("requests the next page while the current one is validated, never more than one ahead", async () => {
    const validatedBeforeNext: boolean[] = [];
    const client = chain(5, (page) => [tenant(`t${page}`)]);
    const collector: Collector<number> = {
      add() {
        // Called for page n's item once page n+1 is already on its way (except for the last page).
        validatedBeforeNext.push(client.calls.length > validatedBeforeNext.length + 1);
        return true;
      },
      result: () => validatedBeforeNext.length,
    };
    expect(await fetchCollection(client, "customerInsights", { signal }, collector)).toBe(5);
    expect(validatedBeforeNext).toEqual([true, true, true, true, false]);
    expect(client.maxInFlight).toBe(1);
  });

  it("abandons the page requested ahead when the collection fails", async () => {
    let ahead: AbortSignal | undefined;
    const client: GraphClient = {
      getJson(_endpoint, link, requestSignal) {
        if (link === INSIGHTS) return Promise.resolve({ value: [tenant("a")], "@odata.nextLink": "https://g/p1" });
        ahead = requestSignal;
        return new Promise(() => undefined);
      },
    };
    const failing: Collector<void> = {
      add() {
        throw new Error("validation broke");
      },
      result: () => undefined,
    };
    await expect(fetchCollection(client, "customerInsights", { signal }, failing)).rejects.toThrow("validation broke");
    expect(ahead?.aborted).toBe(true);
  });

  it("names the runaway guard in the PSE_MAX_PAGES description", () => {
    const setting = SETTINGS.find((row) => row.key === "maxPages");
    expect(setting?.fallback).toBe(String(DEFAULT_MAX_PAGES));
    expect(setting?.description).toContain(`${MAX_PAGES_WITHOUT_NEW_ITEMS} pages in a row that add no new item`);
  });
});

describe("fetchSnapshot", () => {
  it("validates the four endpoints into one frozen snapshot", async () => {
    const snapshot = await fixtureSnapshot();
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true });
    expect(snapshot.score?.currentScore).toBe(14.29);
    expect(snapshot.requirements.map((r) => r.type)).toEqual([
      "securityContactProvided",
      "mfaEnforcedForAdmins",
      "mfaEnforcedForAdminsOfCustomers",
      "spendingBudgetSetForCustomerAzureSubscriptions",
      "securityAlertsPromptlyResolved",
    ]);
    expect(snapshot.customers).toHaveLength(2);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.score)).toBe(true);
    expect(Object.isFrozen(snapshot.customers)).toBe(true);
  });

  it("marks a 404 endpoint unavailable and still returns the others", async () => {
    const answers = fixtureAnswers();
    delete answers["/security/partner/securityScore/history"];
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn });
    expect(snapshot.available.history).toBe(false);
    expect(snapshot.latestHistory).toBeUndefined();
    expect(snapshot.customers).toHaveLength(2);
  });

  it("fails the refresh on a 404 of the score itself: without it there is nothing to export", async () => {
    const answers = fixtureAnswers();
    delete answers["/security/partner/securityScore"];
    const failure = await fetchSnapshot(fakeGraphClient(answers), { signal, warn }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ endpoint: "securityScore", status: 404 });
  });

  it.each([
    ["requirements", 0, 2],
    ["customerInsights", 5, 0],
  ] as const)("marks a 404 on %s unavailable, not a failure, with none of its items", async (endpoint, requirements, customers) => {
    const answers = fixtureAnswers();
    delete answers[`/security/partner/securityScore/${endpoint}`];
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn });
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true, [endpoint]: false });
    expect(snapshot.score?.currentScore).toBe(14.29);
    expect(snapshot.requirements).toHaveLength(requirements);
    expect(snapshot.customers).toHaveLength(customers);
  });

  it.each([
    ["requirements", "/security/partner/securityScore/requirements", { value: "none" }],
    ["history", "/security/partner/securityScore/history", {}],
    ["customerInsights", INSIGHTS, { value: null }],
  ] as const)("leaves out %s, with a warning, when its page is JSON of the wrong envelope; the refresh goes on", async (endpoint, path, body) => {
    const warnings: string[] = [];
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [path]: body }), { signal, warn: (message) => warnings.push(message) });
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true });
    expect(snapshot.score?.currentScore).toBe(14.29);
    expect(snapshot.requirements).toHaveLength(endpoint === "requirements" ? 0 : 5);
    expect(snapshot.customers).toHaveLength(endpoint === "customerInsights" ? 0 : 2);
    expect(snapshot.latestHistory === undefined).toBe(endpoint === "history");
    const left = warnings.filter((warning) => warning.endsWith("; its series are left out"));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^${endpoint}: response is not an OData collection page \\(`));
  });

  it.each([["an array", []], ["a string", "maintenance"], ["null", null]])("leaves the score out, with a warning, when its body is %s; the other endpoints are still exported", async (_what, body) => {
    const warnings: string[] = [];
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), "/security/partner/securityScore": body }), { signal, warn: (message) => warnings.push(message) });
    expect(snapshot.score).toBeUndefined();
    expect(snapshot.available.securityScore).toBe(true);
    expect(snapshot.requirements).toHaveLength(5);
    expect(snapshot.customers).toHaveLength(2);
    expect(warnings).toContain("securityScore: response is not a JSON object; its series are left out");
  });

  it("keeps the first of two requirements with the same id, and says which endpoint dropped one", async () => {
    const warnings: string[] = [];
    const requirement = { id: "same", requirementType: "securityContactProvided", complianceStatus: "compliant", score: 20, maxScore: 20, state: "active" };
    const answers = { ...fixtureAnswers(), "/security/partner/securityScore/requirements": { value: [requirement, { ...requirement, score: 0 }] } };
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn: (message) => warnings.push(message) });
    expect(snapshot.requirements.map((one) => one.score)).toEqual([20]);
    expect(warnings).toContain("requirements: duplicate id dropped");
  });

  it("fails whole when a later page fails, so no partial tenant list is published", async () => {
    const client = fakeGraphClient({
      ...fixtureAnswers(),
      "https://graph.microsoft.com/beta/security/partner/securityScore/customerInsights?$skiptoken=abc": new GraphError("customerInsights: HTTP 500", "customerInsights", 500, undefined, undefined),
    });
    await expect(fetchSnapshot(client, { signal, warn })).rejects.toThrow("customerInsights: HTTP 500");
  });

  it("abandons the requests still in flight when one endpoint fails", async () => {
    let seen: AbortSignal | undefined;
    const client: GraphClient = {
      getJson(endpoint, _path, requestSignal) {
        if (endpoint === "securityScore") return Promise.reject(new GraphError("securityScore: HTTP 400", endpoint, 400, undefined, undefined));
        seen = requestSignal;
        return new Promise(() => undefined);
      },
    };
    await expect(fetchSnapshot(client, { signal, warn })).rejects.toThrow("HTTP 400");
    expect(seen?.aborted).toBe(true);
  });

  it("keeps the first of two customers with the same tenant id", async () => {
    const warnings: string[] = [];
    const answers = { ...fixtureAnswers(), [INSIGHTS]: { value: [tenant("same"), { ...tenant("same"), mfa: { totalUsersCount: 9 } }] } };
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn: (message) => warnings.push(message) });
    expect(snapshot.customers).toHaveLength(1);
    expect(snapshot.customers[0]?.totalUsers).toBe(1);
    expect(warnings).toContain("customerInsights: duplicate id dropped");
  });
});

describe("fetchSnapshot with the optional sources", () => {
  function reasons(): { unavailable: (endpoint: string, reason: string) => void; said: Array<[string, string]> } {
    const said: Array<[string, string]> = [];
    return { unavailable: (endpoint, reason) => void said.push([endpoint, reason]), said };
  }

  it("requests none of them when they are off, and has no entry for them in available", async () => {
    const client = fakeGraphClient(fixtureAnswers());
    const snapshot = await fetchSnapshot(client, { signal, warn });
    expect(client.calls.filter((call) => !call.includes("securityScore"))).toEqual([]);
    expect(snapshot.customerNames).toBeUndefined();
    expect(snapshot.gdapRelationships).toBeUndefined();
    expect(snapshot.securityAlerts).toBeUndefined();
  });

  it("reads names from GDAP customers, relationships and alerts when on", async () => {
    const client = fakeGraphClient(fixtureAnswers());
    const snapshot = await fetchSnapshot(client, { signal, warn, sources: ALL_SOURCES });
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true, delegatedAdminCustomers: true, delegatedAdminRelationships: true, securityAlerts: true });
    expect(client.calls).not.toContain("/contracts");
    expect(snapshot.customerNames).toHaveLength(4);
    expect(snapshot.gdapRelationships).toHaveLength(6);
    expect(snapshot.securityAlerts).toHaveLength(6);
    expect(Object.isFrozen(snapshot.securityAlerts)).toBe(true);
  });

  it("reads names from contracts instead of GDAP customers when PSE_CUSTOMER_NAMES=contracts", async () => {
    const client = fakeGraphClient(fixtureAnswers());
    const snapshot = await fetchSnapshot(client, { signal, warn, sources: { customerNames: "contracts", gdapRelationships: false, securityAlerts: false } });
    expect(client.calls).toContain("/contracts");
    expect(client.calls).not.toContain("/tenantRelationships/delegatedAdminCustomers");
    expect(snapshot.customerNames?.map((name) => name.domain)).toEqual(["fabrikameu.onmicrosoft.com", "tailspin.onmicrosoft.com", ""]);
  });

  it.each([
    ["securityAlerts", "PartnerSecurity.Read.All, is the score's own", "PSE_SECURITY_ALERTS=false"],
    ["delegatedAdminCustomers", "grant the app registration the Microsoft Graph application permission DelegatedAdminRelationship.Read.All", "PSE_CUSTOMER_NAMES=none"],
    ["delegatedAdminRelationships", "grant the app registration the Microsoft Graph application permission DelegatedAdminRelationship.Read.All", "PSE_GDAP_RELATIONSHIPS=false"],
  ] as const)("leaves %s out on a 403, naming the permission to grant, and exports everything else", async (endpoint, permission, setting) => {
    const answers = fixtureAnswers();
    const path = Object.keys(answers).find((key) => key.endsWith(`/${endpoint}`)) ?? "";
    answers[path] = new GraphError(`${endpoint}: HTTP 403 Forbidden: Missing role`, endpoint, 403, "Forbidden", undefined);
    const { unavailable, said } = reasons();
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn, sources: ALL_SOURCES, unavailable });
    expect(snapshot.available[endpoint]).toBe(false);
    expect(snapshot.score?.currentScore).toBe(14.29);
    expect(snapshot.customers).toHaveLength(2);
    expect(said).toHaveLength(1);
    expect(said[0]?.[0]).toBe(endpoint);
    expect(said[0]?.[1]).toContain(permission);
    expect(said[0]?.[1]).toContain(setting);
    expect(said[0]?.[1]).not.toContain("\n");
    const others = (["delegatedAdminCustomers", "delegatedAdminRelationships", "securityAlerts"] as const).filter((one) => one !== endpoint);
    for (const other of others) expect(snapshot.available[other]).toBe(true);
  });

  it("names Directory.Read.All for a 403 on contracts", async () => {
    const answers = { ...fixtureAnswers(), "/contracts": new GraphError("contracts: HTTP 403", "contracts", 403, undefined, undefined) };
    const { unavailable, said } = reasons();
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn, sources: { customerNames: "contracts", gdapRelationships: false, securityAlerts: false }, unavailable });
    expect(snapshot.customerNames).toBeUndefined();
    expect(said[0]?.[1]).toMatch(/^contracts: access denied \(HTTP 403\): grant .*Directory\.Read\.All.*PSE_CUSTOMER_NAMES=none; customer names are left out$/);
  });

  it("leaves an optional source out on any other failure too, and the refresh succeeds", async () => {
    const answers = { ...fixtureAnswers(), "/security/partner/securityAlerts": new GraphError("securityAlerts: HTTP 503: Service Unavailable", "securityAlerts", 503, undefined, undefined) };
    const { unavailable, said } = reasons();
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn, sources: ALL_SOURCES, unavailable });
    expect(snapshot.securityAlerts).toBeUndefined();
    expect(snapshot.available.securityAlerts).toBe(false);
    expect(said).toEqual([["securityAlerts", "securityAlerts: HTTP 503: Service Unavailable; partner security alert series are left out of this refresh"]]);
  });

  it("still fails the refresh when the score fails, optional sources or not", async () => {
    const answers = { ...fixtureAnswers(), "/security/partner/securityScore": new GraphError("securityScore: HTTP 500", "securityScore", 500, undefined, undefined) };
    const { unavailable, said } = reasons();
    await expect(fetchSnapshot(fakeGraphClient(answers), { signal, warn, sources: ALL_SOURCES, unavailable })).rejects.toThrow("securityScore: HTTP 500");
    // The optional reads were abandoned with the refresh, not reported as unavailable.
    expect(said).toEqual([]);
  });
});

describe("the optional sources' last good data", () => {
  const ALERTS = "/security/partner/securityAlerts";
  const failing = (status: number) => new GraphError(`securityAlerts: HTTP ${status}`, "securityAlerts", status, undefined, undefined);

  async function twice(second: unknown, maxAgeMs: number, elapsedMs: number) {
    let now = 1_000_000;
    const memory = createOptionalMemory(maxAgeMs, () => now);
    const said: string[] = [];
    const options = { signal, warn, sources: ALL_SOURCES, memory, unavailable: (_endpoint: string, reason: string) => void said.push(reason) };
    await fetchSnapshot(fakeGraphClient(fixtureAnswers()), options);
    now += elapsedMs;
    const snapshot = await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [ALERTS]: second }), options);
    return { snapshot, said };
  }

  it("stands in for a passing failure, the endpoint still shown as unavailable", async () => {
    const { snapshot, said } = await twice(failing(503), 24 * 3_600_000, 30 * 60_000);
    expect(snapshot.securityAlerts).toHaveLength(6);
    expect(snapshot.available.securityAlerts).toBe(false);
    expect(said).toEqual(["securityAlerts: HTTP 503; partner security alert series keep the data read 30 min ago"]);
  });

  it("belongs to one outage however old the kept data grows, so its warning is logged once", async () => {
    let now = 1_000_000;
    const memory = createOptionalMemory(24 * 3_600_000, () => now);
    const said: Array<{ reason: string; outage: string }> = [];
    const options = { signal, warn, sources: ALL_SOURCES, memory, unavailable: (_endpoint: string, reason: string, outage: string) => void said.push({ reason, outage }) };
    await fetchSnapshot(fakeGraphClient(fixtureAnswers()), options);
    for (const minutes of [15, 15, 60]) {
      now += minutes * 60_000;
      await fetchSnapshot(fakeGraphClient({ ...fixtureAnswers(), [ALERTS]: failing(503) }), options);
    }
    expect(said.map(({ reason }) => reason.replace(/^.* keep the data read /, ""))).toEqual(["15 min ago", "30 min ago", "90 min ago"]);
    expect(new Set(said.map(({ outage }) => outage)).size).toBe(1);
  });

  it.each([403, 404])("is dropped at once on a %i", async (status) => {
    const { snapshot } = await twice(failing(status), 24 * 3_600_000, 60_000);
    expect(snapshot.securityAlerts).toBeUndefined();
  });

  it("is dropped once older than PSE_MAX_STALENESS, and kept without limit when that is 0", async () => {
    expect((await twice(failing(503), 3_600_000, 3_600_001)).snapshot.securityAlerts).toBeUndefined();
    expect((await twice(failing(503), 0, 30 * 86_400_000)).snapshot.securityAlerts).toHaveLength(6);
  });
});

describe("fetchSnapshot's history: only the newest entry, over every page", () => {
  const HISTORY = "/security/partner/securityScore/history";

  function entry(day: number) {
    return { createdDateTime: new Date(Date.UTC(2024, 0, 1 + day)).toISOString(), score: day, compliantRequirementsCount: 1, totalRequirementsCount: 5 };
  }

  /** The fixtures, but a history of `pages` pages linked by distinct nextLinks, page N holding `items(N)`. */
  function historyChain(pages: number, items: (page: number) => unknown[]): GraphClient & { historyCalls: string[] } {
    const fixtures = fakeGraphClient(fixtureAnswers());
    const historyCalls: string[] = [];
    return {
      historyCalls,
      getJson(endpoint, link, requestSignal) {
        if (endpoint !== "history") return fixtures.getJson(endpoint, link, requestSignal);
        historyCalls.push(link);
        const page = link === HISTORY ? 0 : Number(/h(\d+)$/.exec(link)?.[1]);
        return Promise.resolve({ value: items(page), ...(page + 1 < pages ? { "@odata.nextLink": `https://g/h${page + 1}` } : {}) });
      },
    };
  }

  it("reads a long history whole when each page adds a new date, and exports the newest entry", async () => {
    const pages = MAX_PAGES_WITHOUT_NEW_ITEMS + 5;
    // The newest date is on page 3: what is exported is the newest entry by date, not the last one read.
    const client = historyChain(pages, (page) => [entry(page === 3 ? 100 : page)]);
    const snapshot = await fetchSnapshot(client, { signal, warn });
    expect(client.historyCalls).toHaveLength(pages);
    expect(snapshot.latestHistory).toEqual({ createdSeconds: Date.UTC(2024, 0, 101) / 1000, score: 100, compliantRequirements: 1, totalRequirements: 5 });
  });

  it.each([
    ["the same date again", () => [entry(0)]],
    ["entries without a date", () => [{ score: 1 }]],
  ])("fails the refresh on a runaway history chain of %s, after exactly the guard's count of pages", async (_what, filler) => {
    const client = historyChain(1_000_000, (page) => (page === 0 ? [entry(0)] : filler()));
    const failure = await fetchSnapshot(client, { signal, warn }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SchemaError);
    expect(String(failure)).toContain(`history: ${MAX_PAGES_WITHOUT_NEW_ITEMS} pages in a row added no new item`);
    expect(client.historyCalls).toHaveLength(1 + MAX_PAGES_WITHOUT_NEW_ITEMS + 1);
  });
});

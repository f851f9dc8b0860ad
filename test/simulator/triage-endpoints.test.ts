import { afterEach, describe, expect, it } from "vitest";
import type { Simulator, SimulatorOptions } from "../../src/simulator/simulator.js";
import { startTestSimulator } from "../helpers.js";

type Item = Record<string, unknown>;
interface Page {
  "@odata.context"?: string;
  "@odata.nextLink"?: string;
  value: Item[];
}

const PATHS = {
  delegatedAdminCustomers: "beta/tenantRelationships/delegatedAdminCustomers",
  delegatedAdminRelationships: "beta/tenantRelationships/delegatedAdminRelationships",
  contracts: "beta/contracts",
  securityAlerts: "beta/security/partner/securityAlerts",
} as const;
type TriageEndpoint = keyof typeof PATHS;
const TRIAGE_ENDPOINTS = Object.keys(PATHS) as TriageEndpoint[];
const NOW = 1_800_000_000_000;

const started: Simulator[] = [];

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startTestSimulator({ now: () => NOW, ...options });
  started.push(sim);
  return sim;
}

async function bearer(sim: Simulator): Promise<string> {
  const response = await fetch(`${sim.authorityHost}/tenant/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: "c", client_secret: "s", grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function get(sim: Simulator, path: string, token: string): Promise<{ status: number; text: string }> {
  const response = await fetch(path.startsWith("https://") ? path : `${sim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text() };
}

/** Every item of a collection, following nextLinks, and how many pages that took. */
async function all(sim: Simulator, endpoint: TriageEndpoint, token?: string): Promise<{ items: Item[]; pages: number }> {
  const access = token ?? (await bearer(sim));
  const items: Item[] = [];
  let next: string | undefined = PATHS[endpoint];
  let pages = 0;
  while (next) {
    const answer = await get(sim, next, access);
    expect(answer.status).toBe(200);
    const page = JSON.parse(answer.text) as Page;
    items.push(...page.value);
    next = page["@odata.nextLink"];
    pages++;
  }
  return { items, pages };
}

async function everything(sim: Simulator): Promise<Record<TriageEndpoint | "customerInsights", Item[]>> {
  const token = await bearer(sim);
  const insights: Item[] = [];
  let next: string | undefined = "beta/security/partner/securityScore/customerInsights";
  while (next) {
    const page = JSON.parse((await get(sim, next, token)).text) as Page;
    insights.push(...page.value);
    next = page["@odata.nextLink"];
  }
  const lists = await Promise.all(TRIAGE_ENDPOINTS.map(async (endpoint) => (await all(sim, endpoint, token)).items));
  return { customerInsights: insights, ...(Object.fromEntries(TRIAGE_ENDPOINTS.map((endpoint, index) => [endpoint, lists[index]])) as Record<TriageEndpoint, Item[]>) };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

describe("the simulator's triage endpoints", () => {
  it("serves each with a valid token, with its collection in @odata.context, and answers 401 without one", async () => {
    const sim = await start({ tenants: 50 });
    const token = await bearer(sim);
    for (const endpoint of TRIAGE_ENDPOINTS) {
      expect((await fetch(`${sim.url}${PATHS[endpoint]}`)).status, endpoint).toBe(401);
      const answer = await get(sim, PATHS[endpoint], token);
      expect(answer.status, endpoint).toBe(200);
      const page = JSON.parse(answer.text) as Page;
      expect(page.value.length, endpoint).toBeGreaterThan(0);
      expect(page["@odata.context"], endpoint).toMatch(new RegExp(`\\$metadata#(.+/)?${endpoint}$`));
    }
    const context = (endpoint: TriageEndpoint) => get(sim, PATHS[endpoint], token).then((answer) => (JSON.parse(answer.text) as Page)["@odata.context"]);
    expect(await context("contracts")).toBe(`${sim.url}beta/$metadata#contracts`);
    expect(await context("delegatedAdminCustomers")).toBe(`${sim.url}beta/tenantRelationships/$metadata#delegatedAdminCustomers`);
    expect(await context("securityAlerts")).toBe(`${sim.url}beta/$metadata#security/partner/securityAlerts`);
  });

  it("pages each with $skiptoken nextLinks: every item once, the same items as one big page", async () => {
    const paged = await start({ tenants: 600, pageSize: 37 });
    const whole = await start({ tenants: 600, pageSize: 100_000 });
    for (const endpoint of TRIAGE_ENDPOINTS) {
      const { items, pages } = await all(paged, endpoint);
      const single = await all(whole, endpoint);
      expect(single.pages, endpoint).toBe(1);
      expect(pages, endpoint).toBe(Math.ceil(single.items.length / 37));
      expect(items, endpoint).toEqual(single.items);
      expect(new Set(items.map((item) => item.id)).size, endpoint).toBe(items.length);
    }
  });

  it("names only customerInsights tenants, one contract each and a GDAP customer for most", async () => {
    const data = await everything(await start({ tenants: 400, pageSize: 1000 }));
    const tenants = new Set(data.customerInsights.map((item) => item.tenantId));
    expect(tenants.size).toBe(400);
    const named = [
      ...data.delegatedAdminCustomers.map((item) => item.tenantId),
      ...data.contracts.map((item) => item.customerId),
      ...data.delegatedAdminRelationships.map((item) => (item.customer as Item).tenantId),
      ...data.securityAlerts.map((item) => item.customerTenantId),
    ];
    expect(named.filter((id) => !tenants.has(id))).toEqual([]);
    expect(new Set(data.contracts.map((item) => item.customerId)).size).toBe(400);
    expect(data.delegatedAdminCustomers.length).toBeGreaterThan(360);
    expect(data.delegatedAdminCustomers.length).toBeLessThan(400);
    expect(data.delegatedAdminCustomers.every((item) => item.id === item.tenantId)).toBe(true);
    // A GDAP customer exists exactly while it has an active relationship.
    const withActive = new Set(data.delegatedAdminRelationships.filter((item) => item.status === "active").map((item) => (item.customer as Item).tenantId));
    expect(new Set(data.delegatedAdminCustomers.map((item) => item.tenantId))).toEqual(withActive);
  });

  it("has the documented quirks in the default 50 tenants", async () => {
    const data = await everything(await start({ tenants: 50 }));
    const names = data.delegatedAdminCustomers.map((item) => item.displayName);
    expect(names).toEqual(expect.arrayContaining(['Fabrikam "EU"', "Contoso\\Legacy", "Müller Bau GmbH", null]));
    expect(data.contracts.some((item) => item.displayName === null && typeof item.defaultDomainName === "string")).toBe(true);
    expect(data.contracts.some((item) => item.displayName === null && item.defaultDomainName === null)).toBe(true);
    const isTest = data.securityAlerts.map((item) => item.isTest);
    expect(isTest.filter((value) => value === "false").length).toBeGreaterThan(isTest.length / 2);
    expect(isTest).toEqual(expect.arrayContaining([true, "true"]));
    const statuses = new Set(data.delegatedAdminRelationships.map((item) => item.status));
    expect(statuses).toContain("suspended");
    expect(statuses).toContain("expired");
    expect(data.delegatedAdminRelationships.some((item) => item["@odata.type"] === "#microsoft.graph.resellerDelegatedAdminRelationship" && "indirectProviderTenantId" in item)).toBe(true);
    const open = data.securityAlerts.filter((item) => item.status === "active" || item.status === "investigating");
    const ageHours = (item: Item) => (NOW - Date.parse(String(item.detectedDateTime))) / 3_600_000;
    expect(open.some((item) => ageHours(item) > 24)).toBe(true);
    expect(open.some((item) => item.severity === "high" && ageHours(item) < 6)).toBe(true);
  });

  it("is deterministic for a seed", async () => {
    const a = await everything(await start({ seed: 11, tenants: 300, pageSize: 1000 }));
    const b = await everything(await start({ seed: 11, tenants: 300, pageSize: 1000 }));
    const other = await everything(await start({ seed: 12, tenants: 300, pageSize: 1000 }));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    for (const endpoint of TRIAGE_ENDPOINTS) expect(other[endpoint], endpoint).not.toEqual(a[endpoint]);
  });

  it("serves empty lists for no tenants", async () => {
    const data = await everything(await start({ tenants: 0 }));
    for (const endpoint of TRIAGE_ENDPOINTS) expect(data[endpoint], endpoint).toEqual([]);
  });
});

describe("faults on the triage endpoints", () => {
  it("answers a 403 fault on securityAlerts with a Graph error naming the permission", async () => {
    const sim = await start();
    const control = await fetch(`${sim.url}_control/faults`, { method: "POST", body: JSON.stringify({ endpoint: "securityAlerts", status: 403 }) });
    expect(control.status).toBe(200);
    const token = await bearer(sim);
    const answer = await get(sim, PATHS.securityAlerts, token);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: "Forbidden", message: expect.stringContaining("PartnerSecurity.Read.All") as unknown } });
    // Only that endpoint: the others still answer.
    expect((await get(sim, PATHS.contracts, token)).status).toBe(200);
  });

  it("answers a 403 on the others in their own words", async () => {
    const sim = await start();
    sim.injectFault({ endpoint: "contracts", status: 403 });
    sim.injectFault({ endpoint: "delegatedAdminRelationships", status: 403 });
    const token = await bearer(sim);
    expect(JSON.parse((await get(sim, PATHS.contracts, token)).text)).toMatchObject({ error: { code: "Authorization_RequestDenied" } });
    expect(JSON.parse((await get(sim, PATHS.delegatedAdminRelationships, token)).text)).toMatchObject({ error: { message: expect.stringContaining("DelegatedAdminRelationship.Read.All") as unknown } });
  });

  it("applies status, malformed and nextLinkLoop faults from a given page on", async () => {
    const sim = await start({ tenants: 200, pageSize: 20 });
    const token = await bearer(sim);
    sim.injectFault({ endpoint: "delegatedAdminRelationships", status: 503, fromPage: 1, times: 1 });
    sim.injectFault({ endpoint: "delegatedAdminCustomers", malformed: true, fromPage: 2 });
    sim.injectFault({ endpoint: "contracts", nextLinkLoop: true, times: 1 });
    const first = JSON.parse((await get(sim, PATHS.delegatedAdminRelationships, token)).text) as Page;
    expect((await get(sim, String(first["@odata.nextLink"]), token)).status).toBe(503);
    expect((await get(sim, String(first["@odata.nextLink"]), token)).status).toBe(200);
    expect((await get(sim, `${PATHS.delegatedAdminCustomers}?$skiptoken=20`, token)).status).toBe(200);
    const malformed = await get(sim, `${PATHS.delegatedAdminCustomers}?$skiptoken=40`, token);
    expect(() => JSON.parse(malformed.text) as unknown).toThrow(SyntaxError);
    const looped = JSON.parse((await get(sim, PATHS.contracts, token)).text) as Page;
    expect(looped["@odata.nextLink"]).toBe(`${sim.url}${PATHS.contracts}`);
  });
});

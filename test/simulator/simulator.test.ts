import { afterEach, describe, expect, it } from "vitest";
import { HISTORY_DAYS } from "../../src/simulator/data.js";
import { httpsOrigin } from "../../src/simulator/simulator.js";
import type { Simulator, SimulatorOptions } from "../../src/simulator/simulator.js";
import { startTestSimulator } from "../helpers.js";

const SCORE = "beta/security/partner/securityScore";
let simulator: Simulator | undefined;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  simulator = await startTestSimulator(options);
  return simulator;
}

async function token(sim: Simulator, secret = "s"): Promise<Response> {
  return fetch(`${sim.authorityHost}/tenant/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: "c", client_secret: secret, grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }),
  });
}

async function get(sim: Simulator, path: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const access = ((await (await token(sim)).json()) as { access_token: string }).access_token;
  const url = path.startsWith("https://") ? path : `${sim.url}${path}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${access}` } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text for the malformed-body case
  }
  return { status: response.status, headers: response.headers, body };
}

interface Page {
  value: Array<Record<string, unknown>>;
  "@odata.nextLink"?: string;
}

async function allTenants(sim: Simulator): Promise<{ items: Array<Record<string, unknown>>; pages: number }> {
  const items: Array<Record<string, unknown>> = [];
  let next: string | undefined = `${SCORE}/customerInsights`;
  let pages = 0;
  while (next) {
    const page = (await get(sim, next)).body as Page;
    items.push(...page.value);
    next = page["@odata.nextLink"];
    pages++;
  }
  return { items, pages };
}

afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

describe("the Graph simulator", () => {
  it("acts as an Entra ID authority", async () => {
    const sim = await start({ clients: { c: "s" } });
    const discovery = (await (await fetch(`${sim.authorityHost}/tenant/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery.token_endpoint).toBe(`${sim.authorityHost}/tenant/oauth2/v2.0/token`);
    const ok = (await (await token(sim)).json()) as Record<string, unknown>;
    expect(ok).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect((await token(sim, "wrong")).status).toBe(401);
    expect(sim.tokensIssued()).toBe(1);
  });

  it("refuses Graph requests without a valid token", async () => {
    const sim = await start();
    expect((await fetch(`${sim.url}${SCORE}`)).status).toBe(401);
    expect((await fetch(`${sim.url}${SCORE}`, { headers: { authorization: "Bearer forged" } })).status).toBe(401);
  });

  it("pages customerInsights with $skiptoken nextLinks, every tenant once", async () => {
    const sim = await start({ tenants: 10_000, pageSize: 500 });
    const { items, pages } = await allTenants(sim);
    expect(pages).toBe(20);
    expect(items).toHaveLength(10_000);
    expect(new Set(items.map((item) => item.tenantId)).size).toBe(10_000);
  });

  it("makes the score the sum of the requirement scores, with six months of daily history in no order", async () => {
    const sim = await start();
    const score = ((await get(sim, SCORE)).body as { value: Record<string, number> }).value;
    const requirements = ((await get(sim, `${SCORE}/requirements`)).body as Page).value;
    expect(score.currentScore).toBe(requirements.reduce((sum, item) => sum + Number(item.score), 0));
    expect(score.maxScore).toBe(100);
    const history: Array<Record<string, unknown>> = [];
    for (let next: string | undefined = `${SCORE}/history`; next; ) {
      const page = (await get(sim, next)).body as Page;
      history.push(...page.value);
      next = page["@odata.nextLink"];
    }
    expect(history).toHaveLength(HISTORY_DAYS);
    const days = history.map((entry) => Date.parse(String(entry.createdDateTime)));
    expect(new Set(days).size).toBe(HISTORY_DAYS);
    expect(days).not.toEqual([...days].sort((a, b) => b - a));
    expect(Math.max(...days) - Math.min(...days)).toBe((HISTORY_DAYS - 1) * 86_400_000);
    const newest = history.find((entry) => Date.parse(String(entry.createdDateTime)) === Math.max(...days));
    expect(newest?.score).toBe(score.currentScore);
  });

  it("is deterministic for a seed and drifts slowly over time", async () => {
    let now = 1_800_000_000_000;
    const a = await start({ seed: 7, tenants: 200, pageSize: 1000, now: () => now, driftPeriodMs: 60_000 });
    const first = (await allTenants(a)).items;
    const again = (await allTenants(a)).items;
    expect(again).toEqual(first);
    now += 60_000;
    const drifted = (await allTenants(a)).items;
    const changed = drifted.filter((item, index) => JSON.stringify(item) !== JSON.stringify(first[index])).length;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(200);
    await a.close();
    const b = await start({ seed: 7, tenants: 200, pageSize: 1000, now: () => now - 60_000 });
    expect((await allTenants(b)).items).toEqual(first);
  });

  it("injects faults through its control API: status with Retry-After, a limited number of times", async () => {
    const sim = await start();
    const control = await fetch(`${sim.url}_control/faults`, { method: "POST", body: JSON.stringify({ endpoint: "history", status: 429, retryAfter: 3, times: 1 }) });
    expect(control.status).toBe(200);
    const throttled = await get(sim, `${SCORE}/history`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("3");
    expect(throttled.body).toMatchObject({ error: { code: "TooManyRequests" } });
    expect((await get(sim, `${SCORE}/history`)).status).toBe(200);
  });

  it("rejects a malformed fault with 400", async () => {
    const sim = await start();
    const response = await fetch(`${sim.url}_control/faults`, { method: "POST", body: JSON.stringify({ endpoint: "nowhere" }) });
    expect(response.status).toBe(400);
  });

  it("serves malformed JSON and only from a given page on", async () => {
    const sim = await start({ tenants: 10, pageSize: 5 });
    sim.injectFault({ endpoint: "customerInsights", malformed: true, fromPage: 1 });
    const first = await get(sim, `${SCORE}/customerInsights`);
    expect(first.status).toBe(200);
    const second = await get(sim, String((first.body as Page)["@odata.nextLink"]));
    expect(typeof second.body).toBe("string");
  });

  it("overrides a requirement, which moves the score", async () => {
    const sim = await start();
    const before = ((await get(sim, SCORE)).body as { value: Record<string, number> }).value.currentScore ?? 0;
    await fetch(`${sim.url}_control/requirements/mfaEnforcedForAdmins`, { method: "POST", body: JSON.stringify({ complianceStatus: "noncomplaint", score: 0 }) });
    const requirements = ((await get(sim, `${SCORE}/requirements`)).body as Page).value;
    const admins = requirements.find((item) => item.id === "mfaEnforcedForAdmins");
    expect(admins).toMatchObject({ complianceStatus: "noncomplaint", score: 0 });
    const after = ((await get(sim, SCORE)).body as { value: Record<string, number> }).value.currentScore ?? 0;
    expect(after).toBeLessThan(before);
  });

  it("records requests and changes the tenant count", async () => {
    const sim = await start({ tenants: 5 });
    await fetch(`${sim.url}_control/tenants`, { method: "POST", body: JSON.stringify({ count: 2 }) });
    expect((await allTenants(sim)).items).toHaveLength(2);
    const log = (await (await fetch(`${sim.url}_control/requests`)).json()) as Array<{ endpoint: string }>;
    expect(log.filter((entry) => entry.endpoint === "customerInsights")).toHaveLength(1);
  });

  it("names the host it listens on in its url, authority host and links", async () => {
    const sim = await start({ host: "localhost", tenants: 3, pageSize: 2 });
    expect(sim.url).toMatch(/^https:\/\/localhost:\d+\/$/);
    expect(sim.authorityHost).toBe(sim.url.slice(0, -1));
    const discovery = (await (await fetch(`${sim.authorityHost}/tenant/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery.token_endpoint).toBe(`${sim.authorityHost}/tenant/oauth2/v2.0/token`);
    const first = (await get(sim, `${SCORE}/customerInsights`)).body as Page;
    expect(first["@odata.nextLink"]).toBe(`${sim.url}${SCORE}/customerInsights?$skiptoken=2`);
  });

  it("gives a wildcard listen address as loopback and brackets an IPv6 host", () => {
    expect(httpsOrigin("127.0.0.1", 8443)).toBe("https://127.0.0.1:8443");
    expect(httpsOrigin("0.0.0.0", 8443)).toBe("https://127.0.0.1:8443");
    expect(httpsOrigin("::", 8443)).toBe("https://127.0.0.1:8443");
    expect(httpsOrigin("::1", 8443)).toBe("https://[::1]:8443");
  });
});

import type { TokenCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { backfillHistory } from "../../src/backfill/backfill.js";
import { loadConfig } from "../../src/config.js";
import { fixtureAnswers } from "../fixtures/graph-fixtures.js";
import { fakeJwt } from "../fixtures/tokens.js";

const TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";

// Graph answers from the fixtures through the fetch seam: a managed identity's token is a JWT,
// which the simulator (it issues opaque tokens of its own) would refuse.
const fetchFixtures = ((input: string | URL | Request) => {
  const url = new URL(input instanceof Request ? input.url : input);
  const body = fixtureAnswers()[url.pathname.replace(/^\/beta/, "")];
  return Promise.resolve(new Response(JSON.stringify(body ?? { error: { code: "ResourceNotFound" } }), { status: body ? 200 : 404, headers: { "content-type": "application/json" } }));
}) as typeof fetch;

async function backfillWithToken(token: string) {
  const credential: TokenCredential = { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const config = loadConfig({ credential: "managed-identity" }, { PSE_GRAPH_BASE_URL: "https://graph.microsoft.com" });
  const warnings: string[] = [];
  const { text } = await backfillHistory(config, { labels: [["job", "pse"]], untilSeconds: Date.now() / 1000, credential, fetch: fetchFixtures }, (message) => warnings.push(message));
  return { info: text.split("\n").filter((line) => line.startsWith("partner_security_exporter_partner_info")), warnings };
}

describe("the backfill with a managed identity", () => {
  it("writes the partner's info series with the tenant of the token's tid claim, as run exports it", async () => {
    const { info, warnings } = await backfillWithToken(fakeJwt({ aud: "https://graph.microsoft.com", tid: TENANT }));
    expect(info.length).toBeGreaterThan(0);
    for (const line of info) expect(line).toMatch(new RegExp(`^partner_security_exporter_partner_info\\{job="pse",partner_tenant_id="${TENANT}"\\} 1 \\d+$`));
    expect(warnings).toEqual([]);
  });

  it("says why the dashboards will not show the history when the token names no tenant", async () => {
    const { info, warnings } = await backfillWithToken("opaque-token");
    expect(info).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining("partner_security_exporter_partner_info is not written")]);
  });
});

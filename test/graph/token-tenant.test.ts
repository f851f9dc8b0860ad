import type { TokenCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import { tokenTenantId } from "../../src/graph/credential.js";
import { fakeJwt as jwt } from "../fixtures/tokens.js";

const TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";

describe("tokenTenantId", () => {
  it("reads the tid claim of a JWT", () => {
    expect(tokenTenantId(jwt({ aud: "https://graph.microsoft.com", tid: TENANT, roles: ["PartnerSecurity.Read.All"] }))).toBe(TENANT);
    expect(tokenTenantId(jwt({ tid: TENANT.toUpperCase() }))).toBe(TENANT);
  });

  it.each([
    ["an opaque token", "sim-partner-1-abc"],
    ["a JWT without tid", jwt({ aud: "x" })],
    ["a tid that is not a GUID", jwt({ tid: 'x"} 1\nfake_metric 1' })],
    ["a tid with text before its GUID", jwt({ tid: `x"} 1\n${TENANT}` })],
    ["a tid with text after its GUID", jwt({ tid: `${TENANT}"} 1\nfake_metric 1` })],
    ["a payload that is not JSON", "aGVhZGVy.bm90IGpzb24.c2ln"],
    ["two parts", "a.b"],
    // A JWT with a part added (five parts is an encrypted JWT) is not the token Entra ID issues, whatever its second part says.
    ["four parts whose second has a tid", `${jwt({ tid: TENANT })}.extra`],
  ])("gives undefined for %s", (_what, token) => {
    expect(tokenTenantId(token)).toBeUndefined();
  });
});

describe("the Graph client's onToken hook", () => {
  function client(token: string, events: Array<{ tenantId: string | undefined }>) {
    const credential: TokenCredential = { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const fetchStub = (() => Promise.resolve(new Response('{"value":[]}', { status: 200, headers: { "content-type": "application/json" } }))) as typeof fetch;
    return createGraphClient({
      baseUrl: "https://graph.microsoft.com/",
      credential,
      timeoutMs: 1000,
      fetch: fetchStub,
      observer: { onAttempt: () => undefined, onRetry: () => undefined, onToken: (event) => events.push(event) },
    });
  }

  it("reports the tenant of each acquired token, never the token", async () => {
    const token = jwt({ tid: TENANT });
    const events: Array<{ tenantId: string | undefined }> = [];
    const graph = client(token, events);
    await graph.getJson("history", "/security/partner/securityScore/history", new AbortController().signal);
    await graph.getJson("history", "/security/partner/securityScore/history", new AbortController().signal);
    // The second request reuses the cached token: one acquisition, one event.
    expect(events).toEqual([{ tenantId: TENANT }]);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("reports an unknown tenant for a token that is not a JWT", async () => {
    const events: Array<{ tenantId: string | undefined }> = [];
    await client("opaque", events).getJson("history", "/security/partner/securityScore/history", new AbortController().signal);
    expect(events).toEqual([{ tenantId: undefined }]);
  });
});

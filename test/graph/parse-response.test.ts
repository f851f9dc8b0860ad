import type { TokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it } from "vitest";
import { createGraphClient, parseRetryAfter } from "../../src/graph/client.js";
import { GraphError, SchemaError } from "../../src/graph/errors.js";
import type { Endpoint } from "../../src/graph/snapshot.js";

const credential: TokenCredential = { getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };

const PATHS: Partial<Record<Endpoint, string>> = {
  history: "/security/partner/securityScore/history",
  contracts: "/contracts",
  delegatedAdminCustomers: "/tenantRelationships/delegatedAdminCustomers",
};

/** What one GET of `endpoint` gives when Graph answers each attempt with the next of `responses` (no retries unless asked). */
async function answer(responses: Array<() => Response>, endpoint: Endpoint = "history", retries = 0): Promise<unknown> {
  const fetchStub = (): Promise<Response> => {
    const next = responses.shift();
    if (!next) throw new Error("no more scripted responses");
    return Promise.resolve(next());
  };
  const graph = createGraphClient({ baseUrl: "https://graph.microsoft.com/", credential, timeoutMs: 5000, fetch: fetchStub, retry: { retries, minTimeoutMs: 1, maxTimeoutMs: 1 } });
  return graph.getJson(endpoint, PATHS[endpoint] ?? "/", new AbortController().signal).catch((error: unknown) => error);
}

function graphError(status: number, body: unknown, statusText = "") {
  return () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, statusText, headers: { "content-type": typeof body === "string" ? "text/html" : "application/json" } });
}

describe("a Graph error answer becomes a one-line GraphError that names the endpoint", () => {
  it.each([
    ["Graph's code and the first line of its message", graphError(500, { error: { code: "InternalServerError", message: "Something broke.\nstack trace line" } }, "Internal Server Error"), "history: HTTP 500 InternalServerError: Something broke."],
    ["Graph's message alone when the body has no code", graphError(500, { error: { message: "Something broke." } }, "Internal Server Error"), "history: HTTP 500: Something broke."],
    ["the status text when the body is an HTML error page", graphError(502, "<html><body>Bad gateway</body></html>", "Bad Gateway"), "history: HTTP 502: Bad Gateway"],
    ["a placeholder when there is neither a Graph message nor a status text (HTTP/2)", graphError(502, "<html></html>"), "history: HTTP 502: error"],
    ["no code when Graph's code is not a string", graphError(500, { error: { code: 42, message: "Something broke." } }, "Internal Server Error"), "history: HTTP 500: Something broke."],
    ["the status text when Graph's message is not a string", graphError(500, { error: { code: "InternalServerError", message: null } }, "Internal Server Error"), "history: HTTP 500 InternalServerError: Internal Server Error"],
    ["the status text when Graph's error has no message", graphError(500, { error: { code: "InternalServerError" } }, "Internal Server Error"), "history: HTTP 500 InternalServerError: Internal Server Error"],
  ])("with %s", async (_what, response, message) => {
    const error = await answer([response]);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).message).toBe(message);
  });

  it.each([null, "text", 42, true, [], {}, { error: null }, { error: "text" }, { error: 5 }, { error: [] }, { error: { code: null, message: 5 } }])(
    "with the status text when the JSON error body %j is not Graph's error shape",
    async (body) => {
      const error = await answer([() => new Response(JSON.stringify(body), { status: 503, statusText: "Service Unavailable", headers: { "content-type": "application/json" } })]);
      expect((error as GraphError).message).toBe("history: HTTP 503: Service Unavailable");
    },
  );

  it.each([
    ["history", "PartnerSecurity.Read.All"],
    ["contracts", "Directory.Read.All"],
    ["delegatedAdminCustomers", "DelegatedAdminRelationship.Read.All"],
  ] as const)("names the permission %s needs on a 403", async (endpoint, permission) => {
    const error = await answer([graphError(403, { error: { code: "Forbidden", message: "Missing role permissions on the request." } }, "Forbidden")], endpoint);
    expect(error).toMatchObject({ status: 403, code: "Forbidden" });
    expect((error as GraphError).message).toBe(`${endpoint}: HTTP 403 Forbidden: Missing role permissions on the request. (is the ${permission} application permission granted with admin consent?)`);
  });

  it("says a 401 was refused again with a fresh token, without a code when Graph sent none", async () => {
    const unauthorized = () => new Response("", { status: 401, statusText: "Unauthorized" });
    const error = await answer([unauthorized, unauthorized], "history", 1);
    expect(error).toMatchObject({ status: 401 });
    expect((error as GraphError).message).toBe("history: HTTP 401: Unauthorized (again with a fresh token)");
  });

  it("keeps the Retry-After of a throttled answer for the retry policy", async () => {
    const error = await answer([() => new Response("{}", { status: 429, headers: { "retry-after": "7" } })]);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7000 });
  });
});

describe("a 200 that is not JSON is a SchemaError that names the endpoint", () => {
  const ok = (body: string | Uint8Array, headers: Record<string, string>) => () => new Response(body, { status: 200, headers });

  it.each([
    ["an HTML page", ok("<html>maintenance</html>", { "content-type": "text/html" }), 'history: expected JSON but got content-type "text/html"'],
    ["JSON sent as text/plain", ok('{"value":[]}', { "content-type": "text/plain" }), 'history: expected JSON but got content-type "text/plain"'],
    ["a body without a content type", ok(new TextEncoder().encode('{"value":[]}'), {}), 'history: expected JSON but got content-type ""'],
  ])("rejects %s", async (_what, response, message) => {
    const error = await answer([response]);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).message).toBe(message);
  });

  it("rejects a truncated JSON body, saying how long it was", async () => {
    const error = await answer([ok('{"value":[', { "content-type": "application/json; charset=utf-8" })]);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).message).toMatch(/^history: response is not valid JSON \(10 bytes\): \S/);
  });

  it("accepts JSON under any JSON content type", async () => {
    expect(await answer([ok('{"value":[1]}', { "content-type": "application/json;odata.metadata=minimal" })])).toEqual({ value: [1] });
  });
});

/** `Sun Nov  6 08:49:37 1994`: asctime, which names no zone and means GMT. */
function asctime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][date.getUTCDay()] ?? "";
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][date.getUTCMonth()] ?? "";
  return `${day} ${month} ${String(date.getUTCDate()).padStart(2, " ")} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

describe("parseRetryAfter", () => {
  const now = Date.UTC(2030, 0, 1, 0, 0, 0);
  it.each([
    ["delay-seconds", "7", 7000],
    ["an IMF-fixdate", "Tue, 01 Jan 2030 00:00:30 GMT", 30_000],
    // asctime-date, one of the three HTTP-date forms a recipient must accept: no zone, GMT all the same; ends in digits.
    ["an asctime date", asctime(now + 30_000), 30_000],
    ["an RFC 850 date", "Tuesday, 01-Jan-30 00:00:20 GMT", 20_000],
    ["a date that starts with digits", "01 Jan 2030 00:00:45 GMT", 45_000],
    ["a date already past", "Mon, 31 Dec 2029 23:00:00 GMT", 0],
  ])("reads %s", (_what, header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });

  describe("in a process whose time zone is not GMT", () => {
    const TZ = process.env.TZ;
    afterEach(() => {
      if (TZ === undefined) delete process.env.TZ;
      else process.env.TZ = TZ;
    });

    it("reads an asctime date as GMT", () => {
      process.env.TZ = "America/New_York";
      expect(parseRetryAfter(asctime(now + 30_000), now)).toBe(30_000);
    });
  });

  // Date.parse reads "1.5" as a day in 2001, which would mean "retry now".
  it.each([["1.5"], ["-1"], ["soon"], ["12:00"], [""]])("ignores %j, so the policy's own backoff applies", (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});

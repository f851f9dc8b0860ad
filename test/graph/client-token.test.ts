import type { GetTokenOptions, TokenCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import { GraphError } from "../../src/graph/errors.js";

const HISTORY = "/security/partner/securityScore/history";
const ok = () => new Response('{"value":[]}', { status: 200, headers: { "content-type": "application/json" } });
const unauthorized = () =>
  new Response(JSON.stringify({ error: { code: "InvalidAuthenticationToken", message: "Access token has expired." } }), {
    status: 401,
    headers: { "content-type": "application/json" },
  });

const unavailable = () => new Response("", { status: 503 });

/** Hands out t1, t2, … and records whether each request asked to skip MSAL's cache with a claims challenge. */
function countingCredential() {
  const claims: Array<string | undefined> = [];
  const credential: TokenCredential = {
    getToken: (_scopes: string | string[], options?: GetTokenOptions) => {
      claims.push(options?.claims);
      return Promise.resolve({ token: `t${claims.length}`, expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
  return { credential, claims };
}

/** Answers from a script and records the bearer token of each request. */
function scriptedFetch(responses: Array<() => Response>) {
  const tokens: string[] = [];
  const fetchStub = (_target: unknown, init?: RequestInit): Promise<Response> => {
    tokens.push(new Headers(init?.headers).get("authorization") ?? "");
    const next = responses.shift();
    if (!next) throw new Error("no more scripted responses");
    return Promise.resolve(next());
  };
  return { tokens, fetch: fetchStub as typeof fetch };
}

function client(credential: TokenCredential, fetchStub: typeof fetch, events: string[]) {
  return createGraphClient({
    baseUrl: "https://graph.microsoft.com/",
    credential,
    timeoutMs: 1000,
    fetch: fetchStub,
    // One retry, for the 503: the 401 retry must not use it up. (With no retries at all p-retry ends before any retry, 401 or not.)
    retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 1 },
    observer: {
      onAttempt: ({ endpoint, code }) => events.push(`${endpoint} ${code}`),
      onRetry: ({ endpoint, error, delayMs }) => events.push(`${endpoint} retry ${error.status} ${delayMs}ms`),
    },
  });
}

describe("the Graph client's token handling", () => {
  it("retries one 401 at once with a fresh token, never the refused one, without using up a retry", async () => {
    const { credential, claims } = countingCredential();
    const script = scriptedFetch([unauthorized, unavailable, ok]);
    const events: string[] = [];
    await expect(client(credential, script.fetch, events).getJson("history", HISTORY, new AbortController().signal)).resolves.toEqual({ value: [] });
    expect(script.tokens).toEqual(["Bearer t1", "Bearer t2", "Bearer t2"]);
    expect(claims).toHaveLength(2);
    expect(claims[0]).toBeUndefined();
    expect(claims[1]).toContain('"nbf"');
    expect(events).toEqual(["history 401", "history retry 401 0ms", "history 503", "history retry 503 0ms", "history 200"]);
  });

  it("gives up on a second 401 and says the token was fresh", async () => {
    const { credential } = countingCredential();
    const script = scriptedFetch([unauthorized, unauthorized]);
    const events: string[] = [];
    const error = await client(credential, script.fetch, events)
      .getJson("history", HISTORY, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({
      message: "history: HTTP 401 InvalidAuthenticationToken: Access token has expired. (again with a fresh token)",
      status: 401,
      code: "InvalidAuthenticationToken",
    });
    expect(script.tokens).toEqual(["Bearer t1", "Bearer t2"]);
    expect(events).toEqual(["history 401", "history retry 401 0ms", "history 401"]);
  });

  it("names the endpoint when the credential fails, and makes no request", async () => {
    const cause = new Error("AADSTS7000215: Invalid client secret provided.\nTrace ID: 1");
    const credential: TokenCredential = { getToken: () => Promise.reject(cause) };
    const script = scriptedFetch([ok]);
    const events: string[] = [];
    const error = await client(credential, script.fetch, events)
      .getJson("requirements", "/security/partner/securityScore/requirements", new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({
      message: "requirements: could not acquire a Graph token: AADSTS7000215: Invalid client secret provided.",
      endpoint: "requirements",
      status: 0,
      code: "token",
      cause,
    });
    expect(script.tokens).toEqual([]);
    expect(events).toEqual([]);
  });
});

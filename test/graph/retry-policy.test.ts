import { getEventListeners } from "node:events";
import type { TokenCredential } from "@azure/identity";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import type { GraphObserver, RetryPolicy } from "../../src/graph/client.js";
import { GraphError, SchemaError, UnauthorizedError } from "../../src/graph/errors.js";
import { withRetries } from "../../src/graph/retry-policy.js";

const HISTORY = "/security/partner/securityScore/history";
const credential: TokenCredential = { getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };

type Answer = () => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const ok = json(200, { value: [] });

/** A Graph whose attempts get the scripted answers in turn (the last one repeats), each attempt's time recorded. */
function scripted(answers: Answer[]) {
  const at: number[] = [];
  const fetchStub = (): Promise<Response> => {
    at.push(Date.now());
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (!next) throw new Error("nothing scripted");
    return Promise.resolve(next());
  };
  return { at, fetch: fetchStub as typeof fetch };
}

function client(fetchStub: typeof fetch, retry?: RetryPolicy, observer?: GraphObserver) {
  return createGraphClient({ baseUrl: "https://graph.microsoft.com/", credential, timeoutMs: 5000, fetch: fetchStub, ...(retry ? { retry } : {}), ...(observer ? { observer } : {}) });
}

const gaps = (at: number[]): number[] => at.slice(1).map((time, index) => time - (at[index] ?? 0));

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("which failed requests are retried", () => {
  const resetConnection: Answer = () => Promise.reject(new TypeError("fetch failed", { cause: new Error("read ECONNRESET") }));

  it.each([
    ["a 500", json(500, { error: { code: "InternalServerError", message: "x" } }), 3],
    ["a 503", json(503, { error: { code: "ServiceUnavailable", message: "x" } }), 3],
    ["a 429", json(429, { error: { code: "TooManyRequests", message: "x" } }), 3],
    ["a reset connection", resetConnection, 3],
    ["a 400", json(400, { error: { code: "BadRequest", message: "x" } }), 1],
    ["a 400 whose Graph error code reads timeout", json(400, { error: { code: "timeout", message: "x" } }), 1],
    ["a 400 whose Graph error code reads network", json(400, { error: { code: "network", message: "x" } }), 1],
    ["a 403", json(403, { error: { code: "Forbidden", message: "x" } }), 1],
    ["a 404", json(404, { error: { code: "ResourceNotFound", message: "x" } }), 1],
    ["a 200 that is not JSON", () => new Response("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html" } }), 1],
  ])("%s: %i attempt(s) with two retries allowed", async (_what, answer, attempts) => {
    const script = scripted([answer]);
    const result = client(script.fetch, { retries: 2, minTimeoutMs: 100, maxTimeoutMs: 100 })
      .getJson("history", HISTORY, new AbortController().signal)
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await result;
    expect(error instanceof GraphError || error instanceof SchemaError).toBe(true);
    expect(script.at).toHaveLength(attempts);
  });

  it("retries a 503 four times by default, backing off from one second", async () => {
    const script = scripted([json(503, { error: { code: "ServiceUnavailable", message: "x" } })]);
    const result = client(script.fetch).getJson("history", HISTORY, new AbortController().signal).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(script.at).toHaveLength(5);
    expect(await result).toMatchObject({ status: 503 });
    const waits = gaps(script.at);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    // Capped at 30 s: the fourth wait would otherwise be 8-16 s × 2.
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(30_000);
  });

  it("spreads the backoff by a random factor between 1 and 2, so throttled requests do not retry in step", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const script = scripted([json(503, {}), json(503, {}), ok]);
    const result = client(script.fetch, { retries: 3, minTimeoutMs: 1000, maxTimeoutMs: 60_000 }).getJson("history", HISTORY, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(result).resolves.toEqual({ value: [] });
    expect(gaps(script.at)).toEqual([1500, 3000]);
  });
});

describe("a 401", () => {
  it("is retried once with a fresh token; the retry is reported with Graph's own message", async () => {
    const retried: string[] = [];
    const observer: GraphObserver = { onAttempt: () => undefined, onRetry: ({ error }) => void retried.push(error.message) };
    const script = scripted([json(401, { error: { code: "InvalidAuthenticationToken", message: "Access token has expired." } }), ok]);
    const result = client(script.fetch, { retries: 2, minTimeoutMs: 100, maxTimeoutMs: 100 }, observer).getJson("history", HISTORY, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toEqual({ value: [] });
    expect(retried).toEqual(["history: HTTP 401 InvalidAuthenticationToken: Access token has expired."]);
  });

  it("keeps the refused token refused for the rest of the request, across later retries", async () => {
    const told: Array<string | undefined> = [];
    const failures: Error[] = [
      new UnauthorizedError("history: HTTP 401", "history", "InvalidAuthenticationToken", "refused-token"),
      new GraphError("history: HTTP 503", "history", 503, undefined, undefined),
      new GraphError("history: HTTP 503", "history", 503, undefined, undefined),
    ];
    const result = withRetries(
      (rejectedToken) => {
        told.push(rejectedToken);
        const failure = failures.shift();
        return failure ? Promise.reject(failure) : Promise.resolve("answer");
      },
      { endpoint: "history", policy: { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 100 }, signal: new AbortController().signal, observer: undefined },
    );
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toBe("answer");
    expect(told).toEqual([undefined, "refused-token", "refused-token", "refused-token"]);
  });
});

describe("the refresh deadline", () => {
  it("ends a request whose error answer arrived as the deadline fell with that answer, not retried", async () => {
    const deadline = new AbortController();
    const script = scripted([
      () => {
        deadline.abort(new DOMException("refresh deadline of 450s reached", "TimeoutError"));
        return json(503, { error: { code: "ServiceUnavailable", message: "Try later." } })();
      },
    ]);
    const result = client(script.fetch, { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 100 }).getJson("history", HISTORY, deadline.signal).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await result;
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).message).toBe("history: HTTP 503 ServiceUnavailable: Try later.");
    expect(script.at).toHaveLength(1);
  });

  it("ends a Retry-After wait with an Error even when the abort's reason is not one", async () => {
    const deadline = new AbortController();
    const script = scripted([json(429, {}, { "retry-after": "120" }), ok]);
    const result = client(script.fetch, { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 100 }).getJson("history", HISTORY, deadline.signal).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    deadline.abort("stop");
    await vi.advanceTimersByTimeAsync(0);
    const error = await result;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("aborted");
    expect(script.at).toHaveLength(1);
  });

  it("is left without listeners by the Retry-After waits once the request is done", async () => {
    const deadline = new AbortController();
    const script = scripted([json(429, {}, { "retry-after": "1" }), json(429, {}, { "retry-after": "1" }), ok]);
    const result = client(script.fetch, { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 100 }).getJson("history", HISTORY, deadline.signal);
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toEqual({ value: [] });
    expect(script.at).toHaveLength(3);
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0);
  });
});

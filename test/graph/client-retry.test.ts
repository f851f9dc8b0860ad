import type { TokenCredential } from "@azure/identity";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";

const credential: TokenCredential = { getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };

function scripted(responses: Array<() => Response>) {
  const calls: number[] = [];
  const fetchStub = (): Promise<Response> => {
    calls.push(Date.now());
    const next = responses.shift();
    if (!next) throw new Error("no more scripted responses");
    return Promise.resolve(next());
  };
  return { calls, fetch: fetchStub as typeof fetch };
}

const ok = () => new Response(JSON.stringify({ value: [] }), { status: 200, headers: { "content-type": "application/json" } });
const throttled = (retryAfter?: string) => () => new Response("{}", { status: 429, headers: retryAfter ? { "retry-after": retryAfter } : {} });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retry timing (fake clock)", () => {
  it("waits at least Retry-After before the next attempt", async () => {
    const script = scripted([throttled("30"), ok]);
    const graph = createGraphClient({ baseUrl: "https://graph.microsoft.com/", credential, timeoutMs: 5000, fetch: script.fetch, retry: { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 200 } });
    const result = graph.getJson("history", "/security/partner/securityScore/history", new AbortController().signal);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(script.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toEqual({ value: [] });
    expect(script.calls).toHaveLength(2);
    expect((script.calls[1] ?? 0) - (script.calls[0] ?? 0)).toBeGreaterThanOrEqual(30_000);
  });

  it("backs off exponentially without Retry-After", async () => {
    const script = scripted([throttled(), throttled(), throttled(), ok]);
    const graph = createGraphClient({ baseUrl: "https://graph.microsoft.com/", credential, timeoutMs: 5000, fetch: script.fetch, retry: { retries: 3, minTimeoutMs: 1000, maxTimeoutMs: 60_000 } });
    const result = graph.getJson("history", "/security/partner/securityScore/history", new AbortController().signal);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(result).resolves.toBeDefined();
    const gaps = script.calls.slice(1).map((at, index) => at - (script.calls[index] ?? 0));
    // minTimeout × 2^n, with p-retry's random factor between 1 and 2.
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
    expect(gaps[2]).toBeLessThanOrEqual(8000);
  });

  it("gives up when the refresh deadline aborts during a wait", async () => {
    const script = scripted([throttled("120"), ok]);
    const graph = createGraphClient({ baseUrl: "https://graph.microsoft.com/", credential, timeoutMs: 5000, fetch: script.fetch });
    const deadline = new AbortController();
    const result = graph.getJson("history", "/security/partner/securityScore/history", deadline.signal);
    const settled = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    deadline.abort(new Error("refresh deadline reached"));
    await vi.advanceTimersByTimeAsync(0);
    expect(await settled).toBeInstanceOf(Error);
    expect(script.calls).toHaveLength(1);
  });
});

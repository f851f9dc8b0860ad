import { describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import type { GraphObserver } from "../../src/graph/client.js";
import { GraphError } from "../../src/graph/errors.js";
import { failureReason } from "../../src/graph/failure-reason.js";
import { simulatorCredential, simulatorPerTest } from "../helpers.js";

const SCORE = "/security/partner/securityScore";
const simulator = simulatorPerTest();

const credential = simulatorCredential(simulator);

/** A client that tries once and records every attempt the observer hears of. */
function client(options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const attempts: Array<{ endpoint: string; code: string; seconds: number }> = [];
  const observer: GraphObserver = { onAttempt: (event) => attempts.push(event), onRetry: () => undefined };
  const graph = createGraphClient({
    baseUrl: simulator().url,
    credential,
    timeoutMs: options.timeoutMs ?? 5000,
    retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 },
    observer,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { graph, attempts };
}


describe("one timed attempt", () => {
  it("a connection reset fails with a one-line network error and counts as a network attempt", async () => {
    simulator().injectFault({ endpoint: "history", reset: true });
    const { graph, attempts } = client();
    const error = await graph.getJson("history", `${SCORE}/history`, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ message: "history: request failed: fetch failed", endpoint: "history", status: 0, code: "network" });
    expect(failureReason(error)).toBe("network");
    expect(attempts.map(({ endpoint, code }) => `${endpoint} ${code}`)).toEqual(["history network"]);
  });

  it("no answer within the timeout fails naming the timeout in seconds", async () => {
    simulator().injectFault({ endpoint: "securityScore", hang: true });
    const { graph, attempts } = client({ timeoutMs: 250 });
    const error = await graph.getJson("securityScore", SCORE, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ message: "securityScore: no response within 0.25s", status: 0, code: "timeout" });
    expect(failureReason(error)).toBe("timeout");
    expect(attempts.map(({ code }) => code)).toEqual(["timeout"]);
  });

  it("a request the refresh deadline aborts fails as the deadline, not as a network error", async () => {
    simulator().injectFault({ endpoint: "securityScore", hang: true });
    let sent: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const notifyingFetch = ((target: string, init?: RequestInit) => {
      sent();
      return fetch(target, init);
    }) as typeof fetch;
    const { graph } = client({ fetch: notifyingFetch });
    const deadline = new AbortController();
    const result = graph.getJson("securityScore", SCORE, deadline.signal).catch((e: unknown) => e);
    await inFlight;
    deadline.abort(new DOMException("refresh deadline", "TimeoutError"));
    const error = await result;
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ message: "securityScore: refresh deadline reached", endpoint: "securityScore", status: 0, code: "deadline" });
    expect(failureReason(error)).toBe("timeout");
  });

  it("reports how long each attempt took, in seconds", async () => {
    simulator().injectFault({ endpoint: "securityScore", latencyMs: 200 });
    const { graph, attempts } = client();
    const started = performance.now();
    await graph.getJson("securityScore", SCORE, new AbortController().signal);
    const elapsedSeconds = (performance.now() - started) / 1000;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.code).toBe("200");
    expect(attempts[0]?.seconds).toBeGreaterThanOrEqual(0.2);
    expect(attempts[0]?.seconds).toBeLessThanOrEqual(elapsedSeconds);
  });
});

import { describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import { GraphError } from "../../src/graph/errors.js";
import { simulatorCredential, simulatorPerTest } from "../helpers.js";

const SCORE = "/security/partner/securityScore";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const simulator = simulatorPerTest();

const credential = simulatorCredential(simulator);


describe("the Graph SDK transport", () => {
  it("sends every request to a custom Graph root with its own client-request-id, which Microsoft support traces requests by", async () => {
    const graph = createGraphClient({ baseUrl: simulator().url, credential, timeoutMs: 5000 });
    await graph.getJson("securityScore", SCORE, new AbortController().signal);
    await graph.getJson("history", `${SCORE}/history`, new AbortController().signal);
    const ids = simulator().requests().flatMap((request) => (request.endpoint === "token" ? [] : [request.clientRequestId]));
    expect(ids).toEqual([expect.stringMatching(GUID), expect.stringMatching(GUID)]);
    expect(new Set(ids).size).toBe(2);
  });

  it("fails an attempt whose fetch resolves to no HTTP response with a one-line network error", async () => {
    const noResponse = (() => Promise.resolve(undefined)) as unknown as typeof fetch;
    const graph = createGraphClient({ baseUrl: simulator().url, credential, timeoutMs: 5000, fetch: noResponse, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } });
    const error = await graph.getJson("history", `${SCORE}/history`, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ message: "history: request failed: the Graph client returned no HTTP response", status: 0, code: "network" });
  });
});

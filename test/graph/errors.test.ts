import { describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/graph/client.js";
import { simulatorCredential, simulatorPerTest } from "../helpers.js";

const SCORE = "/security/partner/securityScore";
const simulator = simulatorPerTest();

const credential = simulatorCredential(simulator);


/** The refresh-failure log line shows an error's name as its `type` (main.ts errorSummary). */
describe("the type a failed request's error is logged with", () => {
  const graph = () => createGraphClient({ baseUrl: simulator().url, credential, timeoutMs: 5000, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } });

  it("is GraphError when Graph answers with an error", async () => {
    simulator().injectFault({ endpoint: "securityScore", status: 403 });
    const error = await graph().getJson("securityScore", SCORE, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GraphError", status: 403 });
    expect(String(error)).toMatch(/^GraphError: securityScore: HTTP 403/);
  });

  it("is SchemaError when the answer cannot be read", async () => {
    simulator().injectFault({ endpoint: "securityScore", body: "<html>maintenance</html>", contentType: "text/html" });
    const error = await graph().getJson("securityScore", SCORE, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SchemaError" });
    expect(String(error)).toBe('SchemaError: securityScore: expected JSON but got content-type "text/html"');
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGraphClient, parseRetryAfter } from "../../src/graph/client.js";
import type { GraphObserver } from "../../src/graph/client.js";
import { GraphError, SchemaError } from "../../src/graph/errors.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { simulatorCredential as simulatorCredentialOf, startTestSimulator } from "../helpers.js";

const SCORE = "/security/partner/securityScore";
let simulator: Simulator;
let tokenCalls: number;

/** Real tokens from the simulator's Entra ID, counted. */
function simulatorCredential() {
  return simulatorCredentialOf(() => simulator, () => tokenCalls++);
}

function client(events: string[] = [], timeoutMs = 2000) {
  const observer: GraphObserver = {
    onAttempt: ({ endpoint, code }) => events.push(`${endpoint} ${code}`),
    onRetry: ({ endpoint }) => events.push(`${endpoint} retry`),
  };
  return createGraphClient({ baseUrl: simulator.url, credential: simulatorCredential(), timeoutMs, retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 }, observer });
}

const signal = () => new AbortController().signal;

beforeEach(async () => {
  tokenCalls = 0;
  simulator = await startTestSimulator({ tenants: 3 });
});
afterEach(async () => {
  await simulator.close();
});

describe("createGraphClient", () => {
  it("GETs under /beta with a bearer token", async () => {
    const body = await client().getJson("securityScore", SCORE, signal());
    expect(body).toMatchObject({ value: { maxScore: 100 } });
    expect(simulator.requests()[1]).toMatchObject({ endpoint: "securityScore", path: "/beta/security/partner/securityScore", status: 200 });
  });

  it("does not retry a 403 and names the missing permission", async () => {
    simulator.injectFault({ endpoint: "securityScore", status: 403 });
    const events: string[] = [];
    const error = await client(events).getJson("securityScore", SCORE, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ status: 403, code: "Forbidden" });
    expect(String((error as Error).message)).toContain("PartnerSecurity.Read.All");
    expect(events).toEqual(["securityScore 403"]);
  });

  it("does not retry a 400 or a 404", async () => {
    simulator.injectFault({ endpoint: "history", status: 400 });
    const events: string[] = [];
    await expect(client(events).getJson("history", `${SCORE}/history`, signal())).rejects.toMatchObject({ status: 400 });
    expect(events).toEqual(["history 400"]);
  });

  it("retries 5xx until the retries run out", async () => {
    simulator.injectFault({ endpoint: "requirements", status: 502 });
    const events: string[] = [];
    await expect(client(events).getJson("requirements", `${SCORE}/requirements`, signal())).rejects.toMatchObject({ status: 502 });
    expect(events).toEqual(["requirements 502", "requirements retry", "requirements 502", "requirements retry", "requirements 502"]);
  });

  it("aborts a request that hangs past the timeout and retries it", async () => {
    simulator.injectFault({ endpoint: "securityScore", hang: true, times: 1 });
    const events: string[] = [];
    await expect(client(events, 300).getJson("securityScore", SCORE, signal())).resolves.toBeDefined();
    expect(events).toEqual(["securityScore timeout", "securityScore retry", "securityScore 200"]);
  });

  it("rejects HTML with a 200 as not JSON, without retrying", async () => {
    simulator.injectFault({ endpoint: "securityScore", body: "<html>maintenance</html>", contentType: "text/html" });
    await expect(client().getJson("securityScore", SCORE, signal())).rejects.toThrow(SchemaError);
  });

  it("never sends the token to a nextLink on another host", async () => {
    await expect(client().getJson("customerInsights", "https://evil.example.test/beta/x", signal())).rejects.toThrow(/outside/);
    expect(tokenCalls).toBe(0);
  });

  it("follows an absolute nextLink on the configured Graph root", async () => {
    await expect(client().getJson("securityScore", `${simulator.url}beta${SCORE}`, signal())).resolves.toMatchObject({ value: { maxScore: 100 } });
    expect(simulator.requests().filter((request) => request.endpoint === "securityScore")).toMatchObject([{ path: `/beta${SCORE}`, status: 200 }]);
  });

  it("refuses a nextLink downgraded to http on the Graph root's own host, before asking for a token", async () => {
    const downgraded = `${simulator.url.replace(/^https:/, "http:")}beta${SCORE}/customerInsights?$skiptoken=2`;
    const error = await client().getJson("customerInsights", downgraded, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as Error).message).toBe(`customerInsights: @odata.nextLink points outside ${new URL(simulator.url).origin}`);
    expect(tokenCalls).toBe(0);
    expect(simulator.requests()).toEqual([]);
  });

  /** A client whose requests are recorded by host, with no retries. */
  function recordingClient() {
    const hosts: string[] = [];
    const graph = createGraphClient({
      baseUrl: simulator.url,
      credential: simulatorCredential(),
      timeoutMs: 2000,
      retry: { retries: 0, minTimeoutMs: 10, maxTimeoutMs: 20 },
      fetch: (input, init) => {
        hosts.push(new URL(input instanceof Request ? input.url : String(input)).host);
        return fetch(input, init);
      },
    });
    return { graph, hosts };
  }

  // The Graph SDK reads any text holding "https://" as a URL whose host follows it.
  it.each([
    ["a relative link whose query holds a URL", "evil.example.test/beta/x?$skiptoken=https://"],
    ["a path whose query holds a URL", `${SCORE}/customerInsights?$skiptoken=https://evil.example.test/`],
    ["a link with a user name before the Graph host", "https://evil.example.test@HOST/beta/x"],
  ])("sends a nextLink's request, token and all, to the Graph root's host only: %s", async (_case, link) => {
    const { graph, hosts } = recordingClient();
    await graph.getJson("customerInsights", link.replace("HOST", new URL(simulator.url).host), signal()).catch(() => undefined);
    expect(hosts).toEqual([new URL(simulator.url).host]);
  });

  it.each([
    ["another host behind a backslash", "https://evil.example.test\\@HOST/beta/x"],
    ["no host at all", "https://"],
  ])("refuses a nextLink to %s before asking for a token", async (_case, link) => {
    const { graph, hosts } = recordingClient();
    const error = await graph.getJson("customerInsights", link.replace("HOST", new URL(simulator.url).host), signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as Error).message).toBe(`customerInsights: @odata.nextLink points outside ${new URL(simulator.url).origin}`);
    expect(tokenCalls).toBe(0);
    expect(hosts).toEqual([]);
  });

  it("follows a relative nextLink whose skip token happens to contain https:", async () => {
    const body = await client().getJson("customerInsights", `${SCORE}/customerInsights?$skiptoken=https:c2tpcA`, signal());
    expect(body).toMatchObject({ value: expect.any(Array) });
    expect(simulator.requests().filter((request) => request.endpoint === "customerInsights")).toMatchObject([{ status: 200 }]);
  });

  it("asks the credential once for concurrent requests", async () => {
    const graph = client();
    await Promise.all([graph.getJson("securityScore", SCORE, signal()), graph.getJson("history", `${SCORE}/history`, signal())]);
    expect(tokenCalls).toBe(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("7")).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

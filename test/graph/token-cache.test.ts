import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createGraphClient } from "../../src/graph/client.js";
import type { GraphObserver } from "../../src/graph/client.js";
import { createCredential } from "../../src/graph/credential.js";
import { GraphError } from "../../src/graph/errors.js";
import { failureReason } from "../../src/graph/failure-reason.js";
import { exporterEnvFor } from "../../src/simulator/exporter-env.js";
import { startTestSimulator } from "../helpers.js";

const HISTORY = "/security/partner/securityScore/history";
const REQUIREMENTS = "/security/partner/securityScore/requirements";
const HOUR = 3_600_000;

const ok = () => new Response('{"value":[]}', { status: 200, headers: { "content-type": "application/json" } });
const unauthorized = () =>
  new Response(JSON.stringify({ error: { code: "InvalidAuthenticationToken", message: "Access token has expired." } }), {
    status: 401,
    headers: { "content-type": "application/json" },
  });

/** A Graph that refuses the tokens in `refused` and answers everything else; records each request's path and bearer token. */
function graphRefusing(refused: ReadonlySet<string>) {
  const requests: string[] = [];
  const fetchStub = (target: unknown, init?: RequestInit): Promise<Response> => {
    const token = (new Headers(init?.headers).get("authorization") ?? "").replace(/^Bearer /, "");
    requests.push(`${new URL(String(target)).pathname} ${token}`);
    return Promise.resolve(refused.has(token) ? unauthorized() : ok());
  };
  return { requests, fetch: fetchStub as typeof fetch };
}

function client(credential: TokenCredential, fetchStub: typeof fetch, observer?: GraphObserver) {
  return createGraphClient({
    baseUrl: "https://graph.microsoft.com/",
    credential,
    timeoutMs: 5000,
    fetch: fetchStub,
    retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 1 },
    ...(observer ? { observer } : {}),
  });
}

/** A credential that answers each request from `answer` and records its claims. */
function scriptedCredential(answer: (call: number, claims: string | undefined) => AccessToken | null) {
  const claims: Array<string | undefined> = [];
  const credential: TokenCredential = {
    getToken: (_scopes: string | string[], options?: GetTokenOptions) => {
      claims.push(options?.claims);
      return Promise.resolve(answer(claims.length - 1, options?.claims));
    },
  };
  return { credential, claims };
}

const signal = () => new AbortController().signal;

afterEach(() => {
  vi.useRealTimers();
});

describe("the token a request gets", () => {
  it("after a 401 asks Entra ID past MSAL's cache with the claims challenge for a token issued from this second on", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_700_000_000_750 });
    const { credential, claims } = scriptedCredential((call) => ({ token: `t${call + 1}`, expiresOnTimestamp: Date.now() + HOUR }));
    const graph = graphRefusing(new Set(["t1"]));
    await expect(client(credential, graph.fetch).getJson("history", HISTORY, signal())).resolves.toEqual({ value: [] });
    expect(graph.requests).toEqual([`/beta${HISTORY} t1`, `/beta${HISTORY} t2`]);
    expect(claims[0]).toBeUndefined();
    expect(JSON.parse(claims[1] ?? "null")).toEqual({ access_token: { nbf: { essential: true, value: "1700000000" } } });
  });

  it("replaces a token with a minute or less left, and reuses one with more", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_700_000_000_000 });
    const lifetimes = [60_000, 60_001];
    const { credential, claims } = scriptedCredential((call) => ({ token: `t${call + 1}`, expiresOnTimestamp: Date.now() + (lifetimes[call] ?? HOUR) }));
    const graph = graphRefusing(new Set());
    const graphClient = client(credential, graph.fetch);
    for (let request = 0; request < 3; request++) await graphClient.getJson("history", HISTORY, signal());
    expect(claims).toHaveLength(2);
    expect(graph.requests.map((request) => request.split(" ")[1])).toEqual(["t1", "t2", "t2"]);
  });

  it("never gets the refused token back from an acquisition that was already under way", async () => {
    // Request A is refused t1 while request B's acquisition (started because t1 is about to expire)
    // is still running, and that acquisition hands out t1 again, as MSAL's cache does without claims.
    const aSent = deferred<void>();
    const aAnswer = deferred<Response>();
    const aRetrying = deferred<void>();
    const bAsked = deferred<void>();
    const bToken = deferred<AccessToken>();
    let calls = 0;
    const credential: TokenCredential = {
      getToken(_scopes, options) {
        calls++;
        if (options?.claims) return Promise.resolve({ token: "t2", expiresOnTimestamp: Date.now() + HOUR });
        if (calls === 1) return Promise.resolve({ token: "t1", expiresOnTimestamp: Date.now() + 30_000 });
        bAsked.resolve();
        return bToken.promise;
      },
    };
    const sent: string[] = [];
    const fetchStub = (target: unknown, init?: RequestInit): Promise<Response> => {
      const token = (new Headers(init?.headers).get("authorization") ?? "").replace(/^Bearer /, "");
      sent.push(`${new URL(String(target)).pathname.split("/").pop() ?? ""} ${token}`);
      if (sent.length === 1) {
        aSent.resolve();
        return aAnswer.promise;
      }
      return Promise.resolve(token === "t1" ? unauthorized() : ok());
    };
    const graph = client(credential, fetchStub, { onAttempt: () => undefined, onRetry: () => aRetrying.resolve() });

    const a = graph.getJson("history", HISTORY, signal()).catch((error: unknown) => error);
    await aSent.promise;
    const b = graph.getJson("requirements", REQUIREMENTS, signal()).catch((error: unknown) => error);
    await bAsked.promise;
    aAnswer.resolve(unauthorized());
    await aRetrying.promise;
    // From the retry hook to A's next token request is promise callbacks only: one macrotask turn lets A arrive.
    await new Promise((resolve) => setImmediate(resolve));
    bToken.resolve({ token: "t1", expiresOnTimestamp: Date.now() + 30_000 });

    expect(await a).toEqual({ value: [] });
    expect(await b).toEqual({ value: [] });
    expect(sent.filter((request) => request.startsWith("history"))).toEqual(["history t1", "history t2"]);
  });

  it("fails with one line saying so when the credential returns no token", async () => {
    const { credential } = scriptedCredential(() => null);
    const error = await client(credential, graphRefusing(new Set()).fetch).getJson("history", HISTORY, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ message: "history: could not acquire a Graph token: the credential returned no token", status: 0, code: "token" });
  });

  it("cuts a credential error to its first line and at most 300 characters", async () => {
    const description = `AADSTS700016: Application with identifier 'client' was not found in the directory 'partner'. ${"x".repeat(400)}`;
    const credential: TokenCredential = { getToken: () => Promise.reject(new Error(`${description}\nTrace ID: 1\nCorrelation ID: 2`)) };
    const error = await client(credential, graphRefusing(new Set()).fetch).getJson("history", HISTORY, signal()).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`history: could not acquire a Graph token: ${description.slice(0, 300)}`);
  });

  it("reports an error thrown by the exporter's own onToken hook as it is, not as a failed authentication", async () => {
    const hookError = new Error("the tenant gauge could not be set");
    const { credential } = scriptedCredential(() => ({ token: "t1", expiresOnTimestamp: Date.now() + HOUR }));
    const observer: GraphObserver = {
      onAttempt: () => undefined,
      onRetry: () => undefined,
      onToken: () => {
        throw hookError;
      },
    };
    const error = await client(credential, graphRefusing(new Set()).fetch, observer).getJson("history", HISTORY, signal()).catch((e: unknown) => e);
    expect(error).toBe(hookError);
    expect(failureReason(error)).not.toBe("token");
  });
});

describe("token reuse against the simulator's Entra ID", () => {
  it("asks Entra ID again for a request when the token has less than a minute left", async () => {
    const simulator = await startTestSimulator({ tokenLifetimeSeconds: 30 });
    try {
      const config = loadConfig({}, exporterEnvFor(simulator, { tenantId: "partner", clientId: "client", clientSecret: "secret" }));
      const graph = createGraphClient({ baseUrl: config.graphBaseUrl, credential: createCredential(config.credential), timeoutMs: 5000 });
      await graph.getJson("history", HISTORY, signal());
      await graph.getJson("history", HISTORY, signal());
      expect(simulator.tokensIssued()).toBe(2);
      const tokens = simulator.requests().flatMap((request) => (request.endpoint === "history" ? [request.token] : []));
      expect(new Set(tokens).size).toBe(2);
    } finally {
      await simulator.close();
    }
  });
});

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

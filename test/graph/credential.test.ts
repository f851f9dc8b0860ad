import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createGraphClient } from "../../src/graph/client.js";
import { createCredential } from "../../src/graph/credential.js";
import { GraphError } from "../../src/graph/errors.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { startTestSimulator, testTls } from "../helpers.js";

const SCORE = "/security/partner/securityScore";
let simulator: Simulator;
let dir: string;

beforeEach(async () => {
  simulator = await startTestSimulator({ clients: { client: "the-secret" } });
  dir = mkdtempSync(join(tmpdir(), "pse-credential-"));
});
afterEach(async () => {
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The exporter's Graph client with the credential `env` configures, as main.ts builds it. */
function graphFor(env: Record<string, string>) {
  const config = loadConfig({}, { PSE_GRAPH_BASE_URL: simulator.url, ...env });
  return createGraphClient({
    baseUrl: config.graphBaseUrl,
    credential: createCredential(config.credential),
    timeoutMs: 5000,
    retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 },
  });
}

/** The tokens Graph received, and the token requests Entra ID answered. */
function seen() {
  const requests = simulator.requests();
  return {
    graphTokens: requests.filter((request) => request.endpoint === "securityScore").map((request) => request.token),
    tokenRequests: requests.filter((request) => request.endpoint === "token").map((request) => `${request.path} ${request.status}`),
  };
}

const tenantSettings = () => ({ AZURE_AUTHORITY_HOST: simulator.authorityHost, AZURE_TENANT_ID: "partner", AZURE_CLIENT_ID: "client" });

describe("createCredential against the simulator's Entra ID", () => {
  it("a client secret gets a token from the configured authority and tenant, and that token reaches Graph", async () => {
    const body = await graphFor({ ...tenantSettings(), AZURE_CLIENT_SECRET: "the-secret" }).getJson("securityScore", SCORE, new AbortController().signal);
    expect(body).toMatchObject({ value: { maxScore: 100 } });
    const { graphTokens, tokenRequests } = seen();
    expect(tokenRequests).toEqual(["/partner/oauth2/v2.0/token 200"]);
    expect(graphTokens).toEqual([expect.stringMatching(/^sim-partner-1-/)]);
  });

  it("a wrong client secret fails with one line naming Entra ID's error, never the secret, and nothing reaches Graph", async () => {
    const error = await graphFor({ ...tenantSettings(), AZURE_CLIENT_SECRET: "not-the-secret-9f2c" })
      .getJson("securityScore", SCORE, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ status: 0, code: "token", endpoint: "securityScore" });
    const message = (error as Error).message;
    expect(message).toMatch(/^securityScore: could not acquire a Graph token: .*AADSTS7000215: Invalid client secret provided/);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("not-the-secret-9f2c");
    expect(seen()).toEqual({ graphTokens: [], tokenRequests: ["/partner/oauth2/v2.0/token 401"] });
  });

  it("a client certificate (the PEM of certificate and key) gets a token from the configured authority, and that token reaches Graph", async () => {
    const tls = testTls();
    const pem = join(dir, "client.pem");
    writeFileSync(pem, `${tls.cert}\n${tls.key}`);
    // The certificate's assertion carries no secret, so this simulator knows no client secrets.
    await simulator.close();
    simulator = await startTestSimulator();
    await graphFor({ ...tenantSettings(), AZURE_CLIENT_CERTIFICATE_PATH: pem }).getJson("securityScore", SCORE, new AbortController().signal);
    const { graphTokens, tokenRequests } = seen();
    expect(tokenRequests).toEqual(["/partner/oauth2/v2.0/token 200"]);
    expect(graphTokens).toEqual([expect.stringMatching(/^sim-partner-1-/)]);
  });

  it("a workload identity exchanges its federated token file at the configured authority, and that token reaches Graph", async () => {
    const tokenFile = join(dir, "federated-token");
    writeFileSync(tokenFile, "eyJ.federated.token");
    await simulator.close();
    simulator = await startTestSimulator();
    await graphFor({ ...tenantSettings(), AZURE_FEDERATED_TOKEN_FILE: tokenFile }).getJson("securityScore", SCORE, new AbortController().signal);
    const { graphTokens, tokenRequests } = seen();
    expect(tokenRequests).toEqual(["/partner/oauth2/v2.0/token 200"]);
    expect(graphTokens).toEqual([expect.stringMatching(/^sim-partner-1-/)]);
  });
});

/**
 * App Service's identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER), which the simulator does
 * not have: it records what it is asked for and hands out a real token of the simulator's Entra ID.
 * MSAL settles on the first identity endpoint it sees for the life of the process, so there is one
 * for the whole file.
 */
describe("createCredential for a managed identity", () => {
  let identityEndpoint: Server;
  const asked: URLSearchParams[] = [];
  const savedEnv = { IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: process.env.IDENTITY_HEADER };

  beforeAll(async () => {
    identityEndpoint = createServer((request, response) => {
      asked.push(new URL(request.url ?? "/", "http://localhost").searchParams);
      fetch(`${simulator.authorityHost}/partner/oauth2/v2.0/token`, { method: "POST", body: "client_id=client&client_secret=the-secret" })
        .then((answer) => answer.json() as Promise<{ access_token: string }>)
        .then(({ access_token }) => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ access_token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: "https://graph.microsoft.com", token_type: "Bearer" }));
        })
        .catch(() => response.writeHead(500).end());
    });
    await new Promise<void>((resolve) => identityEndpoint.listen(0, "127.0.0.1", resolve));
    process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${(identityEndpoint.address() as AddressInfo).port}/msi/token`;
    process.env.IDENTITY_HEADER = "identity-header";
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise((resolve) => identityEndpoint.close(resolve));
  });
  beforeEach(() => {
    asked.length = 0;
  });

  function managedGraph(clientId: string | undefined) {
    return createGraphClient({ baseUrl: simulator.url, credential: createCredential({ kind: "managed-identity", clientId }), timeoutMs: 5000, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } });
  }

  it("a user-assigned identity asks for a Graph token with its client id, and that token reaches Graph", async () => {
    await managedGraph("user-assigned-client").getJson("securityScore", SCORE, new AbortController().signal);
    expect(asked.map((query) => [query.get("resource"), query.get("client_id")])).toEqual([["https://graph.microsoft.com", "user-assigned-client"]]);
    expect(seen().graphTokens).toEqual([expect.stringMatching(/^sim-partner-/)]);
  });

  it("a system-assigned identity asks for a Graph token without a client id", async () => {
    await managedGraph(undefined).getJson("securityScore", SCORE, new AbortController().signal);
    expect(asked.map((query) => [query.get("resource"), query.has("client_id")])).toEqual([["https://graph.microsoft.com", false]]);
    expect(seen().graphTokens).toEqual([expect.stringMatching(/^sim-partner-/)]);
  });
});

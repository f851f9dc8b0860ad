import { writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { handleControl } from "./control.js";
import { customers, history, requirements, score } from "./data.js";
import { readBody, sendJson } from "./http.js";
import type { RequirementOverride } from "./data.js";
import { generateTlsIdentity } from "./tls.js";
import type { TlsIdentity } from "./tls.js";

export type SimulatedEndpoint = "securityScore" | "requirements" | "history" | "customerInsights" | "token";

/** A fault the next matching requests get instead of the normal answer. */
export interface Fault {
  readonly endpoint: SimulatedEndpoint;
  /** Answer with this HTTP status and a Graph error body. */
  readonly status?: number;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number;
  /** Delay before answering (also before a normal answer when no status is set). */
  readonly latencyMs?: number;
  /** Never answer; the connection stays open until the client gives up. */
  readonly hang?: boolean;
  /** Answer 200 with a truncated JSON body. */
  readonly malformed?: boolean;
  /** Destroy the connection without answering (a reset). */
  readonly reset?: boolean;
  /** Promise a longer body than is sent, then close the connection. */
  readonly truncated?: boolean;
  /** Answer the page with an @odata.nextLink that points back at the same page. */
  readonly nextLinkLoop?: boolean;
  /** Answer 200 with this body and content type instead. */
  readonly body?: string;
  readonly contentType?: string;
  /** How many requests it applies to; unlimited when absent. */
  readonly times?: number;
  /** Only pages at or after this index (0 is the first page). */
  readonly fromPage?: number;
}

export interface RecordedRequest {
  readonly at: number;
  readonly endpoint: SimulatedEndpoint;
  readonly path: string;
  readonly status: number;
  readonly token: string | undefined;
  readonly clientRequestId: string | undefined;
}

export interface SimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly seed?: number;
  readonly tenants?: number;
  readonly pageSize?: number;
  /** How often the data drifts a step. */
  readonly driftPeriodMs?: number;
  /** Lifetime of issued tokens. */
  readonly tokenLifetimeSeconds?: number;
  /** Where to write the certificate to trust; none when absent. */
  readonly caFile?: string;
  /** A fixed certificate instead of a fresh one (the trust store of a running process cannot change). */
  readonly tls?: TlsIdentity;
  /** When set, only these client id → secret pairs get tokens. */
  readonly clients?: Readonly<Record<string, string>>;
  readonly now?: () => number;
}

export interface Simulator {
  /** Graph root, e.g. `https://127.0.0.1:PORT/` (the exporter adds `/beta`). */
  readonly url: string;
  /** Entra ID authority host for AZURE_AUTHORITY_HOST. */
  readonly authorityHost: string;
  readonly cert: string;
  readonly caFile: string | undefined;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  setRequirement(id: string, override: RequirementOverride): void;
  setTenants(count: number): void;
  /** Invalidates every issued token, as an expiry or revocation would. */
  revokeTokens(): void;
  reset(): void;
  requests(): readonly RecordedRequest[];
  tokensIssued(): number;
  /** Client connections open right now (to check that clients close what they abandon). */
  openConnections(): number;
  close(): Promise<void>;
}

const SCORE_PATH = "/beta/security/partner/securityScore";
const GRAPH_PATHS: Record<string, Exclude<SimulatedEndpoint, "token">> = {
  [SCORE_PATH]: "securityScore",
  [`${SCORE_PATH}/requirements`]: "requirements",
  [`${SCORE_PATH}/history`]: "history",
  [`${SCORE_PATH}/customerInsights`]: "customerInsights",
};

function graphError(status: number, requestId: string | undefined): unknown {
  const codes: Record<number, string> = { 400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "ResourceNotFound", 429: "TooManyRequests" };
  return {
    error: {
      code: codes[status] ?? (status >= 500 ? "ServiceUnavailable" : "Error"),
      message: status === 403 ? "Missing role permissions on the request. API requires one of 'PartnerSecurity.Read.All'." : `Simulated HTTP ${status}.`,
      innerError: { date: new Date().toISOString(), "request-id": requestId ?? "none", "client-request-id": requestId ?? "none" },
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts the Graph and Entra ID simulator over HTTPS on 127.0.0.1. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const pageSize = options.pageSize ?? 100;
  const driftPeriodMs = options.driftPeriodMs ?? 60_000;
  const tokenLifetime = options.tokenLifetimeSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const tls = options.tls ?? (await generateTlsIdentity());
  if (options.caFile) writeFileSync(options.caFile, tls.cert);

  let tenants = options.tenants ?? 50;
  let faults: Array<{ fault: Fault; left: number }> = [];
  const overrides = new Map<string, RequirementOverride>();
  const validTokens = new Set<string>();
  let tokenCounter = 0;
  const log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  // Every page of one drift step reads the same data; generating 10,000 tenants per page request
  // would make the simulator, not the exporter, the slow part of a benchmark.
  let overridesVersion = 0;
  let cached: { key: string; data: ReturnType<typeof generate> } | undefined;

  function generate(step: number) {
    // Timestamps move with the drift step, so the data is one consistent snapshot per step.
    const current = { seed, tenants, step, now: startedAt + step * driftPeriodMs };
    const tenantList = customers(current);
    const requirementList = requirements(current, tenantList, overrides);
    const singleton = score(current, requirementList);
    return { tenantList, requirementList, singleton, historyList: history(current, singleton, requirementList) };
  }

  function dataset() {
    const step = Math.floor((now() - startedAt) / driftPeriodMs);
    const key = `${step}/${tenants}/${overridesVersion}`;
    if (cached?.key !== key) cached = { key, data: generate(step) };
    return cached.data;
  }

  function takeFault(endpoint: SimulatedEndpoint, page: number): Fault | undefined {
    const entry = faults.find((candidate) => candidate.fault.endpoint === endpoint && candidate.left > 0 && page >= (candidate.fault.fromPage ?? 0));
    if (!entry) return undefined;
    entry.left--;
    return entry.fault;
  }

  /** Applies a fault; returns true when it answered (or will never answer). */
  async function applyFault(fault: Fault | undefined, response: ServerResponse, requestId: string | undefined): Promise<number | undefined> {
    if (!fault) return undefined;
    if (fault.latencyMs) await delay(fault.latencyMs);
    if (fault.hang) return 0;
    if (fault.reset) {
      response.socket?.destroy();
      return 0;
    }
    if (fault.truncated) {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100000" });
      response.write('{"value":[');
      setImmediate(() => response.socket?.destroy());
      return 200;
    }
    if (fault.status) {
      sendJson(response, fault.status, graphError(fault.status, requestId), fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) });
      return fault.status;
    }
    if (fault.malformed) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"value":[{"tenantId":"trunc');
      return 200;
    }
    if (fault.body !== undefined) {
      response.writeHead(200, { "content-type": fault.contentType ?? "application/json" });
      response.end(fault.body);
      return 200;
    }
    return undefined;
  }

  function page(items: unknown[], url: URL, base: string): unknown {
    const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
    const offset = Number.isSafeInteger(skip) && skip > 0 ? skip : 0;
    const next = offset + pageSize;
    return {
      "@odata.context": `${base}beta/$metadata#security/partner/securityScore/${url.pathname.split("/").pop() ?? ""}`,
      value: items.slice(offset, next),
      ...(next < items.length ? { "@odata.nextLink": `${base}beta${url.pathname.slice("/beta".length)}?$skiptoken=${next}` } : {}),
    };
  }

  async function token(request: IncomingMessage, response: ServerResponse, tenant: string): Promise<number> {
    const form = new URLSearchParams(await readBody(request));
    const fault = takeFault("token", 0);
    if (fault?.status) {
      // Entra ID answers in OAuth's error shape, not Graph's.
      if (fault.latencyMs) await delay(fault.latencyMs);
      sendJson(response, fault.status, { error: "temporarily_unavailable", error_description: `AADSTS50000: Simulated HTTP ${fault.status} from the token endpoint.`, error_codes: [50000] });
      return fault.status;
    }
    const faulted = await applyFault(fault, response, undefined);
    if (faulted !== undefined) return faulted;
    const clientId = form.get("client_id") ?? "";
    const expected = options.clients?.[clientId];
    if (options.clients && (expected === undefined || expected !== form.get("client_secret"))) {
      sendJson(response, 401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] });
      return 401;
    }
    tokenCounter++;
    const issued = `sim-${tenant}-${tokenCounter}-${Math.random().toString(36).slice(2)}`;
    validTokens.add(issued);
    sendJson(response, 200, { token_type: "Bearer", expires_in: tokenLifetime, ext_expires_in: tokenLifetime, access_token: issued });
    return 200;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const base = `https://127.0.0.1:${port()}/`;
    const url = new URL(request.url ?? "/", base);
    if (url.pathname.startsWith("/_control/")) return handleControl(request, response, url, api);
    const openId = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (openId) {
      const tenant = openId[1] ?? "";
      const root = `${base}${tenant}`;
      return sendJson(response, 200, {
        issuer: `${root}/v2.0`,
        authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
        token_endpoint: `${root}/oauth2/v2.0/token`,
        end_session_endpoint: `${root}/oauth2/v2.0/logout`,
        jwks_uri: `${root}/discovery/v2.0/keys`,
        response_types_supported: ["code", "token"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
      });
    }
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenPath && request.method === "POST") {
      const status = await token(request, response, tokenPath[1] ?? "");
      log.push({ at: now(), endpoint: "token", path: url.pathname, status, token: undefined, clientRequestId: undefined });
      return;
    }
    const endpoint = GRAPH_PATHS[url.pathname];
    if (!endpoint || request.method !== "GET") return sendJson(response, 404, graphError(404, undefined));
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const clientRequestId = typeof request.headers["client-request-id"] === "string" ? request.headers["client-request-id"] : undefined;
    const record = (status: number): void => {
      log.push({ at: now(), endpoint, path: `${url.pathname}${url.search}`, status, token: bearer, clientRequestId });
    };
    const pageIndex = Math.floor(Number(url.searchParams.get("$skiptoken") ?? "0") / pageSize);
    const fault = takeFault(endpoint, pageIndex);
    const faulted = fault?.nextLinkLoop ? undefined : await applyFault(fault, response, clientRequestId);
    if (faulted !== undefined) return record(faulted);
    if (bearer === undefined || !validTokens.has(bearer)) {
      sendJson(response, 401, graphError(401, clientRequestId), { "www-authenticate": 'Bearer realm="", error="invalid_token"' });
      return record(401);
    }
    const data = dataset();
    const bodies: Record<Exclude<SimulatedEndpoint, "token">, () => unknown> = {
      // The docs' examples wrap the singleton in "value".
      securityScore: () => ({ value: data.singleton }),
      requirements: () => page(data.requirementList, url, base),
      history: () => page(data.historyList, url, base),
      customerInsights: () => page(data.tenantList, url, base),
    };
    const body = bodies[endpoint]();
    sendJson(response, 200, fault?.nextLinkLoop && body && typeof body === "object" ? { ...body, "@odata.nextLink": `${base}beta${url.pathname.slice("/beta".length)}${url.search}` } : body);
    record(200);
  }

  const server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: "SimulatorError", message: String(error) } });
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (): number => (server.address() as AddressInfo).port;
  const root = `https://127.0.0.1:${port()}`;

  const api: Simulator = {
    url: `${root}/`,
    authorityHost: root,
    cert: tls.cert,
    caFile: options.caFile,
    injectFault(fault) {
      faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults = [];
    },
    setRequirement(id, override) {
      overrides.set(id, { ...overrides.get(id), ...override });
      overridesVersion++;
    },
    setTenants(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new Error(`tenant count ${count} is not a whole number`);
      tenants = count;
    },
    revokeTokens() {
      validTokens.clear();
    },
    reset() {
      faults = [];
      overrides.clear();
      overridesVersion++;
      tenants = options.tenants ?? 50;
      log.length = 0;
    },
    requests: () => [...log],
    tokensIssued: () => tokenCounter,
    openConnections: () => sockets.size,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return api;
}

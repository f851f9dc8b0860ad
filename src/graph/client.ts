import { Client, ResponseType, TelemetryHandler } from "@microsoft/microsoft-graph-client";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import type { TokenCredential } from "@azure/identity";
import pRetry from "p-retry";
import { GRAPH_SCOPE, tokenTenantId } from "./credential.js";
import { GraphError, SchemaError } from "./errors.js";
import type { Endpoint } from "./snapshot.js";

export interface RetryPolicy {
  /** Retries after the first attempt, for network errors, timeouts, 429 and 5xx. */
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 4, minTimeoutMs: 1000, maxTimeoutMs: 30_000 });

/** Hooks the exporter's own metrics hang on; the Graph layer itself knows nothing of Prometheus. */
export interface GraphObserver {
  /** One HTTP attempt ended; `code` is the status, or `timeout` / `network` when there was none. */
  onAttempt(event: { endpoint: Endpoint; code: string; seconds: number }): void;
  onRetry(event: { endpoint: Endpoint; error: GraphError; delayMs: number }): void;
  /** A token was acquired; `tenantId` is its `tid` claim when it is a JWT that has one. Never the token. */
  onToken?(event: { tenantId: string | undefined }): void;
}

export interface GraphClientOptions {
  /** Graph root, ending in `/`; `beta` is added here. */
  readonly baseUrl: string;
  readonly credential: TokenCredential;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly observer?: GraphObserver;
}

export interface GraphClient {
  /** GETs a path under `/beta` or an absolute nextLink on the same origin, with retries; resolves to parsed JSON. */
  getJson(endpoint: Endpoint, pathOrLink: string, signal: AbortSignal): Promise<unknown>;
}

const MAX_RETRY_AFTER_MS = 180_000;

/** Builds a Graph client whose only retry policy is ours (the SDK's RetryHandler is left out of the chain). */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const fetchImpl = options.fetch ?? fetch;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const origin = new URL(options.baseUrl).origin;
  const fetchHandler: Middleware = {
    async execute(context: Context): Promise<void> {
      // The SDK types the request as the DOM's RequestInfo; at run time it is a URL string or a Request.
      const target: unknown = context.request;
      if (typeof target !== "string" && !(target instanceof Request)) throw new TypeError("unexpected request type from the Graph client");
      context.response = await fetchImpl(target, context.options);
    },
  };
  const client = Client.initWithMiddleware({
    middleware: [new TelemetryHandler(), fetchHandler],
    baseUrl: options.baseUrl,
    defaultVersion: "beta",
    // The telemetry handler adds `client-request-id` only for Graph hosts and these.
    customHosts: new Set([new URL(options.baseUrl).hostname]),
  });

  /**
   * One token for all concurrent requests: without this the four endpoints of a refresh ask the
   * token endpoint four times. `rejected` is a token Graph answered 401 to; it is never handed out again.
   */
  let current: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function acquire(fresh: boolean): Promise<string> {
    // A claims challenge is the documented way to make MSAL skip its own token cache.
    const claims = fresh ? JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } }) : undefined;
    let acquired: { token: string; expiresAt: number };
    try {
      const token = await options.credential.getToken(GRAPH_SCOPE, claims ? { claims } : {});
      if (!token) throw new Error("the credential returned no token");
      acquired = { token: token.token, expiresAt: token.expiresOnTimestamp };
    } catch (error) {
      throw new GraphError(`could not acquire a Graph token: ${firstLine(error)}`, "securityScore", 0, "token", undefined, { cause: error });
    }
    current = acquired;
    options.observer?.onToken?.({ tenantId: tokenTenantId(acquired.token) });
    return acquired.token;
  }

  async function accessToken(rejected: string | undefined): Promise<string> {
    if (current && current.token !== rejected && current.expiresAt - Date.now() > 60_000) return current.token;
    if (pending) {
      const shared = await pending;
      if (shared !== rejected) return shared;
    }
    pending ??= acquire(rejected !== undefined).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function attempt(endpoint: Endpoint, pathOrLink: string, rejected: string | undefined, signal: AbortSignal): Promise<{ token: string; body: unknown }> {
    let token: string;
    try {
      token = await accessToken(rejected);
    } catch (error) {
      if (error instanceof GraphError) throw new GraphError(`${endpoint}: ${error.message}`, endpoint, 0, "token", undefined, { cause: error.cause });
      throw error;
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
    const started = performance.now();
    let code = "network";
    try {
      const response: unknown = await client
        .api(pathOrLink)
        .header("Authorization", `Bearer ${token}`)
        .option("signal", AbortSignal.any([signal, timeout.signal]))
        .responseType(ResponseType.RAW)
        .get();
      if (!(response instanceof Response)) throw new Error("the Graph client returned no HTTP response");
      const body = await response.text();
      code = String(response.status);
      if (!response.ok) throw errorFromResponse(endpoint, response, body, token);
      return { token, body: parseJson(endpoint, response, body) };
    } catch (error) {
      if (error instanceof GraphError || error instanceof SchemaError) throw error;
      if (signal.aborted) throw new GraphError(`${endpoint}: refresh deadline reached`, endpoint, 0, "deadline", undefined, { cause: error });
      if (timeout.signal.aborted) {
        code = "timeout";
        throw new GraphError(`${endpoint}: no response within ${options.timeoutMs / 1000}s`, endpoint, 0, "timeout", undefined, { cause: error });
      }
      throw new GraphError(`${endpoint}: request failed: ${firstLine(error)}`, endpoint, 0, "network", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
      options.observer?.onAttempt({ endpoint, code, seconds: (performance.now() - started) / 1000 });
    }
  }

  async function getJson(endpoint: Endpoint, pathOrLink: string, signal: AbortSignal): Promise<unknown> {
    if (/^https?:/i.test(pathOrLink) && new URL(pathOrLink).origin !== origin) {
      // The bearer token must never be sent to a host other than the configured Graph root.
      throw new SchemaError(`${endpoint}: @odata.nextLink points outside ${origin}`, endpoint);
    }
    let unauthorizedSeen = false;
    let rejectedToken: string | undefined;
    const result = await pRetry(
      async () => {
        try {
          return await attempt(endpoint, pathOrLink, rejectedToken, signal);
        } catch (error) {
          if (error instanceof UnauthorizedError) rejectedToken = error.token;
          if (error instanceof GraphError && error.status === 401) {
            if (unauthorizedSeen) throw new GraphError(`${error.message} (again with a fresh token)`, endpoint, 401, error.code, undefined, { cause: error });
          }
          throw error;
        }
      },
      {
        retries: policy.retries,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        factor: 2,
        randomize: true,
        signal,
        shouldConsumeRetry: ({ error }) => !(error instanceof GraphError && error.status === 401),
        shouldRetry: ({ error }) => {
          if (!(error instanceof GraphError) || signal.aborted) return false;
          if (error.status === 401) {
            if (unauthorizedSeen) return false;
            unauthorizedSeen = true;
            return true;
          }
          return isTransient(error);
        },
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (!(error instanceof GraphError) || retriesLeft === 0 || signal.aborted) return;
          if (!isTransient(error) && !(error.status === 401 && !unauthorizedSeen)) return;
          const delayMs = Math.min(error.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
          options.observer?.onRetry({ endpoint, error, delayMs });
          if (delayMs > 0) await sleep(delayMs, signal);
        },
      },
    );
    return result.body;
  }

  return { getJson };
}

function isTransient(error: GraphError): boolean {
  return (error.status === 0 && (error.code === "timeout" || error.code === "network")) || error.status === 429 || error.status >= 500;
}

/** A 401 remembers the token Graph refused, so the retry never sends it again. */
class UnauthorizedError extends GraphError {
  constructor(
    message: string,
    endpoint: Endpoint,
    code: string | undefined,
    readonly token: string,
  ) {
    super(message, endpoint, 401, code, undefined);
  }
}

function errorFromResponse(endpoint: Endpoint, response: Response, body: string, token: string): GraphError {
  let code: string | undefined;
  let message = response.statusText || "error";
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "error" in parsed && parsed.error && typeof parsed.error === "object") {
      const inner = parsed.error;
      if ("code" in inner && typeof inner.code === "string") code = inner.code;
      if ("message" in inner && typeof inner.message === "string") message = inner.message;
    }
  } catch {
    // An error page that is not JSON still has a status, which is what the policy branches on.
  }
  if (response.status === 401) return new UnauthorizedError(`${endpoint}: HTTP 401${code ? ` ${code}` : ""}: ${firstLine(message)}`, endpoint, code, token);
  const hint = response.status === 403 ? " (is the PartnerSecurity.Read.All application permission granted with admin consent?)" : "";
  return new GraphError(
    `${endpoint}: HTTP ${response.status}${code ? ` ${code}` : ""}: ${firstLine(message)}${hint}`,
    endpoint,
    response.status,
    code,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

function parseJson(endpoint: Endpoint, response: Response, body: string): unknown {
  const contentType = response.headers.get("content-type") ?? "";
  if (!/json/i.test(contentType)) throw new SchemaError(`${endpoint}: expected JSON but got content-type "${contentType}"`, endpoint);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new SchemaError(`${endpoint}: response is not valid JSON (${body.length} bytes): ${firstLine(error)}`, endpoint, [], { cause: error });
  }
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split("\n")[0]?.slice(0, 300) ?? "";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

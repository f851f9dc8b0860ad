import type { TokenCredential } from "@azure/identity";
import { SchemaError } from "./errors.js";
import type { GraphObserver } from "./graph-observer.js";
import { DEFAULT_RETRY_POLICY, withRetries } from "./retry-policy.js";
import type { RetryPolicy } from "./retry-policy.js";
import { createSdkTransport } from "./sdk-transport.js";
import type { Endpoint } from "./snapshot.js";
import { createTimedAttempt } from "./timed-attempt.js";
import { createTokenCache } from "./token-cache.js";

export type { GraphObserver } from "./graph-observer.js";
export { parseRetryAfter } from "./parse-response.js";
export { DEFAULT_RETRY_POLICY } from "./retry-policy.js";
export type { RetryPolicy } from "./retry-policy.js";

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

/** Builds a Graph client whose only retry policy is ours (the SDK's RetryHandler is left out of the chain). */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const origin = new URL(options.baseUrl).origin;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const tokens = createTokenCache(options.credential, options.observer);
  const timedAttempt = createTimedAttempt({
    send: createSdkTransport(options.baseUrl, options.fetch ?? fetch),
    timeoutMs: options.timeoutMs,
    observer: options.observer,
  });

  /**
   * The whole URL of a path under `/beta` (ours start with `/`) or of a nextLink (Graph's are
   * absolute), checked to be on the Graph root's origin:
   * the bearer token must never reach another host. The SDK is handed this URL, never the text it
   * came from: it reads any text containing "https://" as a URL of its own, whose host it takes from
   * after that, so `x?$skiptoken=https://evil.example/` would otherwise be sent to evil.example.
   */
  function resolve(endpoint: Endpoint, pathOrLink: string): string {
    const text = /^https?:/i.test(pathOrLink) ? pathOrLink : `${options.baseUrl}beta${pathOrLink}`;
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (url?.origin !== origin) throw new SchemaError(`${endpoint}: @odata.nextLink points outside ${origin}`, endpoint);
    return url.href;
  }

  async function getJson(endpoint: Endpoint, pathOrLink: string, signal: AbortSignal): Promise<unknown> {
    const url = resolve(endpoint, pathOrLink);
    async function attempt(rejectedToken: string | undefined): Promise<unknown> {
      const token = await tokens.tokenFor(endpoint, rejectedToken);
      return timedAttempt(endpoint, url, token, signal);
    }
    return withRetries(attempt, { endpoint, policy, signal, observer: options.observer });
  }

  return { getJson };
}

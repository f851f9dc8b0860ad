import pRetry from "p-retry";
import { GraphError, UnauthorizedError } from "./errors.js";
import type { GraphObserver } from "./graph-observer.js";
import type { Endpoint } from "./snapshot.js";

export interface RetryPolicy {
  /** Retries after the first attempt, for network errors, timeouts, 429 and 5xx. */
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 4, minTimeoutMs: 1000, maxTimeoutMs: 30_000 });

const MAX_RETRY_AFTER_MS = 180_000;

export interface RetryContext {
  readonly endpoint: Endpoint;
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  readonly observer: GraphObserver | undefined;
}

/**
 * Runs `attempt` until it succeeds or the policy gives up. Transient failures back off exponentially
 * and wait at least `Retry-After`; one 401 is retried at once with a fresh token (`attempt` is told
 * which token was refused) without using up a retry, and a second 401 is final.
 */
export function withRetries<T>(attempt: (rejectedToken: string | undefined) => Promise<T>, { endpoint, policy, signal, observer }: RetryContext): Promise<T> {
  let unauthorizedSeen = false;
  let rejectedToken: string | undefined;
  return pRetry(
    async () => {
      try {
        return await attempt(rejectedToken);
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
        observer?.onRetry({ endpoint, error, delayMs });
        if (delayMs > 0) await sleep(delayMs, signal);
      },
    },
  );
}

function isTransient(error: GraphError): boolean {
  return (error.status === 0 && (error.code === "timeout" || error.code === "network")) || error.status === 429 || error.status >= 500;
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

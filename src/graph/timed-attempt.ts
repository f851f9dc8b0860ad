import { GraphError, SchemaError, firstLine } from "./errors.js";
import type { GraphObserver } from "./graph-observer.js";
import { parseResponse } from "./parse-response.js";
import type { SendRequest } from "./sdk-transport.js";
import type { Endpoint } from "./snapshot.js";

/** One HTTP attempt with a given token; resolves to the parsed JSON or rejects with a GraphError or SchemaError. */
export type TimedAttempt = (endpoint: Endpoint, pathOrLink: string, token: string, signal: AbortSignal) => Promise<unknown>;

export interface TimedAttemptOptions {
  readonly send: SendRequest;
  readonly timeoutMs: number;
  readonly observer: GraphObserver | undefined;
}

/**
 * Each attempt runs under its own timeout as well as the refresh's `signal`, and is reported to
 * `onAttempt` with its status (or `timeout` / `network`) and duration, however it ends.
 */
export function createTimedAttempt({ send, timeoutMs, observer }: TimedAttemptOptions): TimedAttempt {
  return async function timedAttempt(endpoint: Endpoint, pathOrLink: string, token: string, signal: AbortSignal): Promise<unknown> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const started = performance.now();
    let code = "network";
    try {
      const response = await send(pathOrLink, token, AbortSignal.any([signal, timeout.signal]));
      const body = await response.text();
      code = String(response.status);
      return parseResponse(endpoint, response, body, token);
    } catch (error) {
      if (error instanceof GraphError || error instanceof SchemaError) throw error;
      if (signal.aborted) throw new GraphError(`${endpoint}: refresh deadline reached`, endpoint, 0, "deadline", undefined, { cause: error });
      if (timeout.signal.aborted) {
        code = "timeout";
        throw new GraphError(`${endpoint}: no response within ${timeoutMs / 1000}s`, endpoint, 0, "timeout", undefined, { cause: error });
      }
      throw new GraphError(`${endpoint}: request failed: ${firstLine(error)}`, endpoint, 0, "network", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
      observer?.onAttempt({ endpoint, code, seconds: (performance.now() - started) / 1000 });
    }
  };
}

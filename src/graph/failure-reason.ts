import { GraphError, SchemaError } from "./errors.js";
import type { RefreshFailureReason } from "./snapshot.js";

/**
 * The failure class of an error that failed a refresh, for the `reason` label. Pure: it reads only
 * the error. Branches on what the client set (status, code, error class), never on a message.
 */
export function failureReason(error: unknown): RefreshFailureReason {
  if (error instanceof GraphError) return graphErrorReason(error);
  // A body that is not JSON, not JSON of the page's shape, a nextLink loop or page limit.
  if (error instanceof SchemaError || error instanceof SyntaxError) return "invalid_response";
  // The poller aborts a refresh at its deadline with a TimeoutError (the name AbortSignal.timeout uses);
  // p-retry and the client's backoff sleep rethrow that reason as it is.
  if (error instanceof Error && error.name === "TimeoutError") return "timeout";
  // The refresh thread ran out of heap (src/refresh/refresh-worker.ts): the data outgrew the memory limit.
  if (error instanceof Error && error.name === "RefreshOutOfMemoryError") return "out_of_memory";
  // Anything else (a TypeError while reading the answers, a render that threw) came from handling
  // what Graph sent: Graph answered, the exporter could not use it.
  return "invalid_response";
}

function graphErrorReason(error: GraphError): RefreshFailureReason {
  // The client (token-cache.ts, timed-attempt.ts) sets status 0 with code token / timeout / network / deadline when there was no HTTP answer.
  if (error.code === "token" && error.status === 0) return "token";
  switch (error.status) {
    case 0:
      // "deadline": the refresh's own deadline aborted the request.
      return error.code === "network" ? "network" : "timeout";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 408:
      return "timeout";
    case 429:
      return "throttled";
    default:
      // Other statuses (400, 405, 410, …): Graph answered, but with nothing the exporter can use.
      return error.status >= 500 ? "server_error" : "invalid_response";
  }
}

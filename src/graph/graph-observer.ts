import type { GraphError } from "./errors.js";
import type { Endpoint } from "./snapshot.js";

/** Hooks the self-metrics hang on; the Graph layer itself knows nothing of Prometheus. */
export interface GraphObserver {
  /** One HTTP attempt ended; `code` is the status, or `timeout` / `network` when there was none. */
  onAttempt(event: { endpoint: Endpoint; code: string; seconds: number }): void;
  onRetry(event: { endpoint: Endpoint; error: GraphError; delayMs: number }): void;
  /** A token was acquired; `tenantId` is its `tid` claim when it is a JWT that has one. Never the token. */
  onToken?(event: { tenantId: string | undefined }): void;
}

import type { TokenCredential } from "@azure/identity";
import type { CredentialConfig } from "../config.js";
import { createGraphClient } from "../graph/client.js";
import type { GraphObserver, RetryPolicy } from "../graph/client.js";
import { createCredential } from "../graph/credential.js";
import { createRefresh } from "./refresh.js";
import type { RefreshResult, RefreshSettings } from "./refresh.js";

export interface RefreshHereOptions {
  readonly graph: { readonly baseUrl: string; readonly timeoutMs: number; readonly credential: CredentialConfig; readonly retry?: RetryPolicy };
  readonly refresh: RefreshSettings;
  readonly observer: GraphObserver;
  /** Seams of a test: functions, which cannot cross into the refresh thread. */
  readonly injected: { readonly credential?: TokenCredential; readonly fetch?: typeof fetch };
}

/**
 * The refresh on the calling thread: the refresh thread's, and the main thread's only for tests
 * that inject a credential or `fetch` (loaded then with `import()`, so the serving thread of a real
 * exporter never loads the Graph SDK and `@azure/identity`).
 */
export function createRefreshHere(options: RefreshHereOptions): (signal: AbortSignal) => Promise<RefreshResult> {
  const graph = createGraphClient({
    baseUrl: options.graph.baseUrl,
    credential: options.injected.credential ?? createCredential(options.graph.credential),
    timeoutMs: options.graph.timeoutMs,
    ...(options.injected.fetch ? { fetch: options.injected.fetch } : {}),
    ...(options.graph.retry ? { retry: options.graph.retry } : {}),
    observer: options.observer,
  });
  return createRefresh(graph, options.refresh);
}

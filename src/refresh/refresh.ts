import type { GraphClient } from "../graph/client.js";
import { fetchSnapshot } from "../graph/fetch-snapshot.js";
import type { Endpoint } from "../graph/snapshot.js";
import type { CustomerSeries } from "../metrics/customer-series.js";
import { renderSnapshot } from "../metrics/render.js";
import type { RenderedSnapshot } from "../metrics/render.js";

/** What one refresh needs besides the Graph client: plain data, so it can cross into a worker. */
export interface RefreshSettings {
  /** Most pages of one collection; 0: no fixed limit. */
  readonly maxPages: number;
  readonly customerSeries: CustomerSeries;
  /** The configured interval as the user wrote it, for the HELP text. */
  readonly refreshInterval: string;
}

/** One successful refresh: the rendered exposition and what the self-metrics report of it. */
export interface RefreshResult {
  readonly rendered: RenderedSnapshot;
  readonly available: Readonly<Record<Endpoint, boolean>>;
  /** Every validation warning of this refresh, repeats included (the metric counts them all). */
  readonly warnings: readonly string[];
  readonly customers: number;
}

/** Fetch, validate and render: one refresh, numbering its successful renderings. */
export function createRefresh(graph: GraphClient, settings: RefreshSettings): (signal: AbortSignal) => Promise<RefreshResult> {
  let generation = 0;
  return async function refresh(signal) {
    const warnings: string[] = [];
    const snapshot = await fetchSnapshot(graph, { signal, maxPages: settings.maxPages, warn: (message) => warnings.push(message) });
    const rendered = await renderSnapshot(snapshot, { refreshInterval: settings.refreshInterval, customerSeries: settings.customerSeries, generation: ++generation });
    return { rendered, available: snapshot.available, warnings, customers: snapshot.customers.length };
  };
}

import type { GraphClient } from "../graph/client.js";
import { fetchSnapshot } from "../graph/fetch-snapshot.js";
import { createOptionalMemory } from "../graph/optional-sources.js";
import type { OptionalSources } from "../graph/optional-sources.js";
import type { Endpoint, OptionalEndpoint } from "../graph/snapshot.js";
import type { CustomerSeries } from "../metrics/customer-series.js";
import { renderSnapshot } from "../metrics/render.js";
import type { RenderedSnapshot } from "../metrics/render.js";

/** What one refresh needs besides the Graph client: plain data, so it can cross into a worker. */
export interface RefreshSettings {
  /** Most pages of one collection; 0: no fixed limit. */
  readonly maxPages: number;
  readonly customerSeries: CustomerSeries;
  readonly sources: OptionalSources;
  /** How long an optional source's last good data may stand in for a failure (PSE_MAX_STALENESS; 0 = no limit). */
  readonly maxStalenessMs: number;
  /** How long the optional sources may take before they are given up for this refresh (a share of its deadline). */
  readonly optionalBudgetMs?: number;
}

/** One successful refresh: the rendered exposition and what the self-metrics report of it. */
export interface RefreshResult {
  readonly rendered: RenderedSnapshot;
  /** An entry per endpoint the configuration reads. */
  readonly available: Readonly<Partial<Record<Endpoint, boolean>>>;
  /** Why each optional endpoint left out of this refresh was left out, one line each, and the outage it belongs to. */
  readonly unavailable: ReadonlyArray<{ readonly endpoint: OptionalEndpoint; readonly reason: string; readonly outage: string }>;
  /** Every validation warning of this refresh, repeats included (the metric counts them all). */
  readonly warnings: readonly string[];
  readonly customers: number;
}

/** Fetch, validate and render: one refresh, numbering its successful renderings. */
export function createRefresh(graph: GraphClient, settings: RefreshSettings): (signal: AbortSignal) => Promise<RefreshResult> {
  let generation = 0;
  const memory = createOptionalMemory(settings.maxStalenessMs);
  return async function refresh(signal) {
    const warnings: string[] = [];
    const unavailable: Array<RefreshResult["unavailable"][number]> = [];
    const snapshot = await fetchSnapshot(graph, {
      signal,
      maxPages: settings.maxPages,
      sources: settings.sources,
      memory,
      ...(settings.optionalBudgetMs ? { optionalBudgetMs: settings.optionalBudgetMs } : {}),
      warn: (message) => warnings.push(message),
      unavailable: (endpoint, reason, outage) => unavailable.push({ endpoint, reason, outage }),
    });
    const rendered = await renderSnapshot(snapshot, { customerSeries: settings.customerSeries, generation: ++generation });
    return { rendered, available: snapshot.available, unavailable, warnings, customers: snapshot.customers.length };
  };
}

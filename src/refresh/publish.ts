import type { Logger } from "pino";
import type { ExpositionCache } from "../metrics/exposition.js";
import type { SelfMetrics } from "../metrics/self-metrics.js";
import type { RefreshResult } from "./refresh.js";

export interface PublishingRefreshOptions {
  /** One refresh, in the refresh thread or (for tests with injected seams) on this one. */
  run(signal: AbortSignal): Promise<RefreshResult>;
  readonly cache: Pick<ExpositionCache, "publish">;
  readonly self: Pick<SelfMetrics, "endpointsAvailable" | "validationWarnings" | "graphSeries">;
  readonly logger: Pick<Logger, "info" | "warn">;
}

/**
 * The refresh the poller runs: one refresh, then its bytes published in one step, the self-metrics
 * that describe the data set from it (endpoints available, warnings, series) and its success
 * logged; the outcome's own metrics and a failure's log line are main.ts's `outcomeReporter`. A validation warning is logged the first time it
 * is seen in the process's life, not on every refresh (the metric counts every refresh's).
 */
export function createPublishingRefresh(options: PublishingRefreshOptions): (signal: AbortSignal) => Promise<void> {
  const { cache, self, logger } = options;
  const warnedOnce = new Set<string>();
  // Said again only when it was not said for the refresh before: once per outage, not every refresh.
  let unavailableBefore = new Set<string>();
  return async function refresh(signal) {
    const result = await options.run(signal);
    const { rendered, warnings } = result;
    cache.publish(rendered);
    self.endpointsAvailable(result.available);
    self.validationWarnings(warnings.length);
    self.graphSeries(rendered.series);
    for (const message of new Set(warnings)) {
      if (warnedOnce.has(message)) continue;
      warnedOnce.add(message);
      logger.warn({ warning: message }, "Graph data not fully understood; the affected series are left out");
    }
    for (const { endpoint, reason, outage } of result.unavailable) if (!unavailableBefore.has(outage)) logger.warn({ endpoint }, reason);
    unavailableBefore = new Set(result.unavailable.map(({ outage }) => outage));
    const unavailable = Object.entries(result.available).filter(([, available]) => !available).map(([endpoint]) => endpoint);
    logger.info({ series: rendered.series, customers: result.customers, unavailable }, "refresh succeeded");
  };
}

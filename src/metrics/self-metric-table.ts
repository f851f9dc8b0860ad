import { REFRESH_FAILURE_REASONS } from "../graph/snapshot.js";
import type { MetricContract } from "./contract.js";

/** One of the self-metrics (the exporter's metrics about itself); a histogram has its buckets. */
export interface SelfMetricRow extends MetricContract {
  readonly buckets?: readonly number[];
}

const PREFIX = "partner_security_exporter_";

/**
 * The number of the refresh whose data an exposition carries: rendered with the Graph-derived part
 * (so every scrape shows the one snapshot it came from), not with the self-metrics below.
 */
export const SNAPSHOT_GENERATION: SelfMetricRow = {
  name: `${PREFIX}snapshot_generation`,
  type: "gauge",
  help: "Number of the successful refresh whose data this exposition carries; it rises by one per successful refresh and starts again at 1 when the refresh thread is replaced.",
  labelNames: [],
  source: "the exporter: successful refreshes of the current refresh thread",
};

/** The self-metrics, rendered at scrape time (again only when what they record changed, or after a second), in exposition order. */
export const SELF_METRICS = {
  refreshInterval: {
    name: `${PREFIX}refresh_interval_seconds`,
    type: "gauge",
    help: "Configured time between refreshes from Microsoft Graph (PSE_REFRESH_INTERVAL).",
    labelNames: [],
    unit: "seconds",
    source: "setting PSE_REFRESH_INTERVAL",
  },
  maxStaleness: {
    name: `${PREFIX}max_staleness_seconds`,
    type: "gauge",
    help: "Configured age after which the Graph-derived series are dropped (PSE_MAX_STALENESS); 0 means never.",
    labelNames: [],
    unit: "seconds",
    source: "setting PSE_MAX_STALENESS",
  },
  // Dashboards and alerts read it to say that a per-tenant panel is empty by choice, not by fault.
  customerSeries: {
    name: `${PREFIX}customer_series_info`,
    type: "gauge",
    help: "Which customer tenants get per-tenant series (PSE_CUSTOMER_SERIES): all, noncompliant (not fully MFA-covered or without an enabled MFA policy) or none. Always 1.",
    labelNames: ["mode"],
    source: "setting PSE_CUSTOMER_SERIES",
  },
  buildInfo: {
    name: `${PREFIX}build_info`,
    type: "gauge",
    help: "Version of the exporter and the Node.js it runs on. Always 1.",
    labelNames: ["version", "revision", "nodejs_version"],
    source: "the build (package.json, the image's revision) and process.versions.node",
  },
  partnerInfo: {
    name: `${PREFIX}partner_info`,
    type: "gauge",
    help: "The partner tenant whose security score this exporter reads. Always 1. partner_tenant_id is the tenant of the configured credential (AZURE_TENANT_ID); with managed identity the tid claim of the first token acquired; empty until known.",
    labelNames: ["partner_tenant_id"],
    source: "AZURE_TENANT_ID, or the tid claim of a managed identity's first token",
  },
  refreshSuccess: {
    name: `${PREFIX}refresh_success`,
    type: "gauge",
    help: "Whether the last refresh from Microsoft Graph succeeded (1) or failed (0).",
    labelNames: [],
    source: "the exporter: the last refresh",
  },
  lastSuccess: {
    name: `${PREFIX}last_success_timestamp_seconds`,
    type: "gauge",
    help: "When the last successful refresh from Microsoft Graph finished, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "the exporter: the last successful refresh",
  },
  refreshDuration: {
    name: `${PREFIX}refresh_duration_seconds`,
    type: "histogram",
    help: "Wall time of one refresh from Microsoft Graph, all requests and retries included.",
    labelNames: [],
    unit: "seconds",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    source: "the exporter: every refresh",
  },
  refreshes: {
    name: `${PREFIX}refreshes_total`,
    type: "counter",
    help: `Refreshes from Microsoft Graph by result (success, failure); a failure by reason (${REFRESH_FAILURE_REASONS.join(", ")}).`,
    labelNames: ["result", "reason"],
    source: "the exporter: every refresh",
  },
  failureReason: {
    name: `${PREFIX}refresh_failure_reason`,
    type: "gauge",
    help: "Why the last refresh from Microsoft Graph failed: 1 for its reason, 0 for the others; all 0 after a successful refresh.",
    labelNames: ["reason"],
    source: "the exporter: the last refresh",
  },
  consecutiveFailures: {
    name: `${PREFIX}refresh_consecutive_failures`,
    type: "gauge",
    help: "Failed refreshes from Microsoft Graph since the last successful one (0 after a success).",
    labelNames: [],
    source: "the exporter: refreshes since the last success",
  },
  skipped: {
    name: `${PREFIX}refresh_skipped_total`,
    type: "counter",
    help: "Refresh ticks skipped because the previous refresh was still running.",
    labelNames: [],
    source: "the exporter: the refresh schedule",
  },
  requests: {
    name: `${PREFIX}graph_requests_total`,
    type: "counter",
    help: "HTTP requests to Microsoft Graph by endpoint and status code (timeout or network when there was no response).",
    labelNames: ["endpoint", "code"],
    source: "the exporter: every HTTP attempt to Graph",
  },
  requestDuration: {
    name: `${PREFIX}graph_request_duration_seconds`,
    type: "histogram",
    help: "Duration of one HTTP request to Microsoft Graph, body included.",
    labelNames: ["endpoint"],
    unit: "seconds",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    source: "the exporter: every HTTP attempt to Graph",
  },
  retries: {
    name: `${PREFIX}graph_retries_total`,
    type: "counter",
    help: "Retries of Microsoft Graph requests by endpoint (throttling, 5xx, timeouts, network errors, one 401).",
    labelNames: ["endpoint"],
    source: "the exporter: every retry",
  },
  available: {
    name: `${PREFIX}endpoint_available`,
    type: "gauge",
    help: "Whether the Graph endpoint answered in the last successful refresh (1) or not (0): a 404, or for an optional source any failure.",
    labelNames: ["endpoint"],
    source: "the exporter: the last successful refresh",
  },
  warnings: {
    name: `${PREFIX}validation_warnings`,
    type: "gauge",
    help: "Fields dropped or values not understood while validating the last successful refresh.",
    labelNames: [],
    source: "the exporter: validation of the last successful refresh",
  },
  series: {
    name: `${PREFIX}graph_series`,
    type: "gauge",
    help: "Graph-derived series in the cached exposition.",
    labelNames: [],
    source: "the exporter: the cached exposition",
  },
} as const satisfies Record<string, SelfMetricRow>;

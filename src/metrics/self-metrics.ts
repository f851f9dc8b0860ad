import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import type { Registry, RegistryContentType } from "prom-client";
import { ENDPOINTS, REFRESH_FAILURE_REASONS } from "../graph/snapshot.js";
import type { Endpoint, RefreshFailureReason } from "../graph/snapshot.js";
import type { CustomerSeries } from "./customer-series.js";
import { createRegistry } from "./render.js";
import type { ExpositionFormat } from "./render.js";

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

/** Settings alerting rules compare against (data age versus the refresh interval). */
export interface ExportedSettings {
  readonly refreshIntervalSeconds: number;
  /** 0 means never. */
  readonly maxStalenessSeconds: number;
  /** Which customer tenants get per-tenant series (PSE_CUSTOMER_SERIES). */
  readonly customerSeries: CustomerSeries;
}

/** How one refresh ended; a failure says why. */
export type RefreshResult = { readonly seconds: number; readonly finishedAt: number } & (
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: RefreshFailureReason }
);

/** The exporter's own metrics: live, on registries that live as long as the process. */
export interface SelfMetrics {
  readonly registries: Readonly<Record<ExpositionFormat, Registry<RegistryContentType>>>;
  /** Rises with every update, so a rendering can tell whether it is still current. */
  version(): number;
  /** Names the partner tenant the exporter reads (`partner_info`); "" until it is known. */
  partnerTenant(tenantId: string): void;
  refreshFinished(result: RefreshResult): void;
  refreshSkipped(): void;
  graphAttempt(event: { endpoint: Endpoint; code: string; seconds: number }): void;
  graphRetry(event: { endpoint: Endpoint }): void;
  endpointsAvailable(available: Readonly<Record<Endpoint, boolean>>): void;
  validationWarnings(count: number): void;
  graphSeries(count: number): void;
}

const PREFIX = "partner_security_exporter_";
const REFRESH_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const REQUEST_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function defineSelfMetrics(registry: Registry<RegistryContentType>, build: BuildInfo, settings: ExportedSettings) {
  const registers = [registry];
  new Gauge({ name: `${PREFIX}refresh_interval_seconds`, help: "Configured time between refreshes from Microsoft Graph (PSE_REFRESH_INTERVAL).", registers }).set(
    settings.refreshIntervalSeconds,
  );
  new Gauge({
    name: `${PREFIX}max_staleness_seconds`,
    help: "Configured age after which the Graph-derived series are dropped (PSE_MAX_STALENESS); 0 means never.",
    registers,
  }).set(settings.maxStalenessSeconds);
  // Dashboards and alerts read it to say that a per-tenant panel is empty by choice, not by fault.
  new Gauge({
    name: `${PREFIX}customer_series_info`,
    help: "Which customer tenants get per-tenant series (PSE_CUSTOMER_SERIES): all, noncompliant (not fully MFA-covered or without an enabled MFA policy) or none. Always 1.",
    labelNames: ["mode"],
    registers,
  }).set({ mode: settings.customerSeries }, 1);
  const buildInfo = new Gauge({
    name: `${PREFIX}build_info`,
    help: "Version of the exporter and the Node.js it runs on. Always 1.",
    labelNames: ["version", "revision", "nodejs_version"],
    registers,
  });
  buildInfo.set({ version: build.version, revision: build.revision, nodejs_version: process.versions.node }, 1);
  return {
    partnerInfo: new Gauge({
      name: `${PREFIX}partner_info`,
      help: "The partner tenant whose security score this exporter reads. Always 1. partner_tenant_id is the tenant of the configured credential (AZURE_TENANT_ID); with managed identity the tid claim of the first token acquired; empty until known.",
      labelNames: ["partner_tenant_id"],
      registers,
    }),
    refreshSuccess: new Gauge({ name: `${PREFIX}refresh_success`, help: "Whether the last refresh from Microsoft Graph succeeded (1) or failed (0).", registers }),
    lastSuccess: new Gauge({ name: `${PREFIX}last_success_timestamp_seconds`, help: "When the last successful refresh from Microsoft Graph finished, as Unix time.", registers }),
    refreshDuration: new Histogram({ name: `${PREFIX}refresh_duration_seconds`, help: "Wall time of one refresh from Microsoft Graph, all requests and retries included.", buckets: REFRESH_BUCKETS, registers }),
    refreshes: new Counter({
      name: `${PREFIX}refreshes_total`,
      help: `Refreshes from Microsoft Graph by result (success, failure); a failure by reason (${REFRESH_FAILURE_REASONS.join(", ")}).`,
      labelNames: ["result", "reason"],
      registers,
    }),
    failureReason: new Gauge({
      name: `${PREFIX}refresh_failure_reason`,
      help: "Why the last refresh from Microsoft Graph failed: 1 for its reason, 0 for the others; all 0 after a successful refresh.",
      labelNames: ["reason"],
      registers,
    }),
    consecutiveFailures: new Gauge({ name: `${PREFIX}refresh_consecutive_failures`, help: "Failed refreshes from Microsoft Graph since the last successful one (0 after a success).", registers }),
    skipped: new Counter({ name: `${PREFIX}refresh_skipped_total`, help: "Refresh ticks skipped because the previous refresh was still running.", registers }),
    requests: new Counter({
      name: `${PREFIX}graph_requests_total`,
      help: "HTTP requests to Microsoft Graph by endpoint and status code (timeout or network when there was no response).",
      labelNames: ["endpoint", "code"],
      registers,
    }),
    requestDuration: new Histogram({
      name: `${PREFIX}graph_request_duration_seconds`,
      help: "Duration of one HTTP request to Microsoft Graph, body included.",
      labelNames: ["endpoint"],
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    retries: new Counter({ name: `${PREFIX}graph_retries_total`, help: "Retries of Microsoft Graph requests by endpoint (throttling, 5xx, timeouts, network errors, one 401).", labelNames: ["endpoint"], registers }),
    available: new Gauge({
      name: `${PREFIX}endpoint_available`,
      help: "Whether the Graph endpoint answered in the last successful refresh (1) or returned 404 (0).",
      labelNames: ["endpoint"],
      registers,
    }),
    warnings: new Gauge({ name: `${PREFIX}validation_warnings`, help: "Fields dropped or values not understood while validating the last successful refresh.", registers }),
    series: new Gauge({ name: `${PREFIX}graph_series`, help: "Graph-derived series in the cached exposition.", registers }),
  };
}

/**
 * prom-client renames counters when it renders OpenMetrics, so each format gets its own
 * registry and its own metric objects; every update goes to both.
 */
export function createSelfMetrics(build: BuildInfo, settings: ExportedSettings): SelfMetrics {
  const registries = { text: createRegistry("text"), openmetrics: createRegistry("openmetrics") } as const;
  const sets = [defineSelfMetrics(registries.text, build, settings), defineSelfMetrics(registries.openmetrics, build, settings)];
  for (const registry of Object.values(registries)) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters; the same counts stay available without the suffix.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(name);
  }
  for (const set of sets) {
    for (const endpoint of ENDPOINTS) {
      set.retries.inc({ endpoint }, 0);
      // Throttling is alerted on with increase(): a series that exists before the first 429 counts it.
      set.requests.inc({ endpoint, code: "429" }, 0);
    }
    set.refreshes.inc({ result: "success" }, 0);
    for (const reason of REFRESH_FAILURE_REASONS) {
      set.refreshes.inc({ result: "failure", reason }, 0);
      set.failureReason.set({ reason }, 0);
    }
    set.consecutiveFailures.set(0);
    set.partnerInfo.set({ partner_tenant_id: "" }, 1);
  }
  let version = 0;
  let partner = "";
  let consecutiveFailures = 0;
  const api: SelfMetrics = {
    registries,
    version: () => version,
    partnerTenant(tenantId) {
      if (tenantId === partner) return;
      version++;
      partner = tenantId;
      for (const set of sets) {
        // One series: the tenant replaces the placeholder, it is not added beside it.
        set.partnerInfo.reset();
        set.partnerInfo.set({ partner_tenant_id: tenantId }, 1);
      }
    },
    refreshFinished(result) {
      version++;
      consecutiveFailures = result.ok ? 0 : consecutiveFailures + 1;
      const failed = result.ok ? undefined : result.reason;
      for (const set of sets) {
        set.refreshSuccess.set(Number(result.ok));
        set.refreshDuration.observe(result.seconds);
        set.refreshes.inc(failed === undefined ? { result: "success" } : { result: "failure", reason: failed });
        for (const reason of REFRESH_FAILURE_REASONS) set.failureReason.set({ reason }, Number(reason === failed));
        set.consecutiveFailures.set(consecutiveFailures);
        if (result.ok) set.lastSuccess.set(result.finishedAt / 1000);
      }
    },
    refreshSkipped() {
      version++;
      for (const set of sets) set.skipped.inc();
    },
    graphAttempt({ endpoint, code, seconds }) {
      version++;
      for (const set of sets) {
        set.requests.inc({ endpoint, code });
        set.requestDuration.observe({ endpoint }, seconds);
      }
    },
    graphRetry({ endpoint }) {
      version++;
      for (const set of sets) set.retries.inc({ endpoint });
    },
    endpointsAvailable(available) {
      version++;
      for (const set of sets) for (const endpoint of ENDPOINTS) set.available.set({ endpoint }, Number(available[endpoint]));
    },
    validationWarnings(count) {
      version++;
      for (const set of sets) set.warnings.set(count);
    },
    graphSeries(count) {
      version++;
      for (const set of sets) set.series.set(count);
    },
  };
  return api;
}

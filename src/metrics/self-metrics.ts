import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import type { Registry, RegistryContentType } from "prom-client";
import { REFRESH_FAILURE_REASONS, SCORE_ENDPOINTS } from "../graph/snapshot.js";
import type { Endpoint, RefreshFailureReason } from "../graph/snapshot.js";
import type { CustomerSeries } from "./customer-series.js";
import { createRegistry } from "./render.js";
import type { ExpositionFormat } from "./render.js";
import { SELF_METRICS } from "./self-metric-table.js";
import type { SelfMetricRow } from "./self-metric-table.js";

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
  /** The Graph endpoints the configuration reads: only they get `endpoint` series. Default: the score's four. */
  readonly endpoints?: readonly Endpoint[];
}

/** How one refresh ended; a failure says why. */
export type RefreshEnding = { readonly seconds: number; readonly finishedAt: number } & (
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: RefreshFailureReason }
);

/** The self-metrics: the exporter's metrics about itself, on registries that last as long as the process and rendered at scrape time. */
export interface SelfMetrics {
  readonly registries: Readonly<Record<ExpositionFormat, Registry<RegistryContentType>>>;
  /** Rises with every update, so a rendering can tell whether it is still current. */
  version(): number;
  /** Names the partner tenant the exporter reads (`partner_info`); "" until it is known. */
  partnerTenant(tenantId: string): void;
  refreshFinished(ending: RefreshEnding): void;
  refreshSkipped(): void;
  graphAttempt(event: { endpoint: Endpoint; code: string; seconds: number }): void;
  graphRetry(event: { endpoint: Endpoint }): void;
  /** Whether each endpoint the configuration reads answered; an endpoint without an entry keeps its value. */
  endpointsAvailable(available: Readonly<Partial<Record<Endpoint, boolean>>>): void;
  validationWarnings(count: number): void;
  graphSeries(count: number): void;
}

type InstrumentOf<R extends SelfMetricRow> = R["type"] extends "counter" ? Counter : R["type"] extends "histogram" ? Histogram : Gauge;
type Instruments = { readonly [K in keyof typeof SELF_METRICS]: InstrumentOf<(typeof SELF_METRICS)[K]> };

function instrument(row: SelfMetricRow, registry: Registry<RegistryContentType>): Counter | Histogram | Gauge {
  const contract = { name: row.name, help: row.help, labelNames: [...row.labelNames], registers: [registry] };
  switch (row.type) {
    case "counter":
      return new Counter(contract);
    case "histogram":
      return new Histogram({ ...contract, buckets: [...(row.buckets ?? [])] });
    case "gauge":
      return new Gauge(contract);
  }
}

/** The instruments of SELF_METRICS on one registry, the settings and the build already set. */
function defineSelfMetrics(registry: Registry<RegistryContentType>, build: BuildInfo, settings: ExportedSettings): Instruments {
  const instruments = Object.fromEntries(Object.entries(SELF_METRICS).map(([key, row]) => [key, instrument(row, registry)])) as unknown as Instruments;
  instruments.refreshInterval.set(settings.refreshIntervalSeconds);
  instruments.maxStaleness.set(settings.maxStalenessSeconds);
  instruments.customerSeries.set({ mode: settings.customerSeries }, 1);
  instruments.buildInfo.set({ version: build.version, revision: build.revision, nodejs_version: process.versions.node }, 1);
  return instruments;
}

/** prom-client's process and Node.js metrics, without the gauges it names like counters. */
function withDefaultMetrics(registry: Registry<RegistryContentType>): void {
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters; the same counts stay available without the suffix.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(name);
}

/** The series that exist from the start, so rules see a 0 before the first event rather than no series. */
function startAtZero(set: Instruments, endpoints: readonly Endpoint[]): void {
  for (const endpoint of endpoints) {
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

function recordRefresh(set: Instruments, ending: RefreshEnding, consecutiveFailures: number): void {
  const failed = ending.ok ? undefined : ending.reason;
  set.refreshSuccess.set(Number(ending.ok));
  set.refreshDuration.observe(ending.seconds);
  set.refreshes.inc(failed === undefined ? { result: "success" } : { result: "failure", reason: failed });
  for (const reason of REFRESH_FAILURE_REASONS) set.failureReason.set({ reason }, Number(reason === failed));
  set.consecutiveFailures.set(consecutiveFailures);
  if (ending.ok) set.lastSuccess.set(ending.finishedAt / 1000);
}

/** An endpoint without an entry (not read in this refresh) keeps its value. */
function recordAvailability(set: Instruments, endpoints: readonly Endpoint[], available: Readonly<Partial<Record<Endpoint, boolean>>>): void {
  for (const endpoint of endpoints) {
    const answered = available[endpoint];
    if (answered !== undefined) set.available.set({ endpoint }, Number(answered));
  }
}

/**
 * prom-client renames counters when it renders OpenMetrics, so each format gets its own
 * registry and its own metric objects; every update goes to both.
 */
export function createSelfMetrics(build: BuildInfo, settings: ExportedSettings): SelfMetrics {
  const registries = { text: createRegistry("text"), openmetrics: createRegistry("openmetrics") } as const;
  const endpoints = settings.endpoints ?? SCORE_ENDPOINTS;
  const sets = [defineSelfMetrics(registries.text, build, settings), defineSelfMetrics(registries.openmetrics, build, settings)];
  for (const registry of Object.values(registries)) withDefaultMetrics(registry);
  for (const set of sets) startAtZero(set, endpoints);
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
    refreshFinished(ending) {
      version++;
      consecutiveFailures = ending.ok ? 0 : consecutiveFailures + 1;
      for (const set of sets) recordRefresh(set, ending, consecutiveFailures);
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
      for (const set of sets) recordAvailability(set, endpoints, available);
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

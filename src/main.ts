import type { AddressInfo } from "node:net";
import type { TokenCredential } from "@azure/identity";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { describeConfig, formatDuration } from "./config.js";
import type { GraphObserver, RetryPolicy } from "./graph/client.js";
import { failureReason } from "./graph/failure-reason.js";
import { endpointsRead } from "./graph/optional-sources.js";
import { createExpositionCache } from "./metrics/exposition.js";
import type { ExpositionCache } from "./metrics/exposition.js";
import { createSelfMetrics } from "./metrics/self-metrics.js";
import type { BuildInfo, SelfMetrics } from "./metrics/self-metrics.js";
import { createPoller } from "./poller/poller.js";
import type { Poller, RefreshOutcome } from "./poller/poller.js";
import { createPublishingRefresh } from "./refresh/publish.js";
import type { RefreshResult } from "./refresh/refresh.js";
import { createRefreshWorker } from "./refresh/refresh-worker.js";
import type { RefreshWorker } from "./refresh/refresh-worker.js";
import { createAccessControl } from "./server/access.js";
import { createApp } from "./server/app.js";
import { createExporterServer } from "./server/http-server.js";
import type { ExporterServer } from "./server/http-server.js";
import type { LandingPage } from "./server/landing.js";
import { watchWebConfig } from "./server/web-config-watch.js";
import { readBuildInfo } from "./version.js";

export interface ExporterOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Seams for tests; production builds them from the config. */
  readonly credential?: TokenCredential;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly build?: BuildInfo;
  /** Refresh deadline; half the refresh interval unless a test needs another. */
  readonly deadlineMs?: number;
  /** How often the web config and the files it names are checked for changes. */
  readonly webConfigCheckMs?: number;
}

/**
 * Kubernetes updates a mounted Secret in place and cert-manager rotates certificates without
 * signalling anyone; reading a few small files this often costs nothing.
 */
const WEB_CONFIG_CHECK_MS = 10_000;

export interface RunningExporter {
  /** Where the HTTP server listens, e.g. `http://127.0.0.1:9717`. */
  readonly url: string;
  readonly cache: ExpositionCache;
  readonly poller: Poller;
  /**
   * Re-reads the web config file (SIGHUP; also done by itself when the file or one it names
   * changes). On any error the running config stays; the error is logged and returned.
   */
  reloadWebConfig(): Error | undefined;
  /** Stops refreshing, lets in-flight requests finish and closes the server. */
  close(): Promise<void>;
}

function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { type: error.name, message: error.message };
  if ("status" in error && typeof error.status === "number" && error.status > 0) fields.status = error.status;
  if ("endpoint" in error && typeof error.endpoint === "string") fields.endpoint = error.endpoint;
  return fields;
}

/** The Graph client's hooks: the self-metrics of every request, and the partner tenant once a managed identity's token names it. */
function graphObserver(config: Config, self: SelfMetrics, logger: Logger): GraphObserver {
  // The configured tenant when there is one; a managed identity's is learnt from its first token.
  let partnerKnown = config.credential.kind !== "managed-identity";
  if (config.credential.kind !== "managed-identity") self.partnerTenant(config.credential.tenantId);
  return {
    onAttempt: (event) => self.graphAttempt(event),
    onRetry: ({ endpoint, error, delayMs }) => {
      self.graphRetry({ endpoint });
      logger.debug({ endpoint, status: error.status, delayMs, reason: error.message }, "retrying Graph request");
    },
    onToken: ({ tenantId }) => {
      if (partnerKnown || tenantId === undefined) return;
      partnerKnown = true;
      self.partnerTenant(tenantId);
      logger.info({ partnerTenantId: tenantId }, "partner tenant read from the managed identity's token");
    },
  };
}

/** Well inside the interval, so a slow refresh never collides with the next tick. */
function refreshDeadlineMs(options: ExporterOptions): number {
  return options.deadlineMs ?? Math.floor(options.config.refreshIntervalMs / 2);
}

/** The share of the refresh deadline the optional sources may take; the rest is left for rendering. */
const OPTIONAL_SHARE_OF_DEADLINE = 0.7;

/**
 * Where refreshes run: the refresh thread. A credential or fetch a test injects is a function,
 * which cannot cross into a thread: such a refresh runs on this one.
 */
async function refreshRunner(options: ExporterOptions, observer: GraphObserver): Promise<{ worker: RefreshWorker | undefined; runRefresh: (signal: AbortSignal) => Promise<RefreshResult> }> {
  const { config } = options;
  const settings = {
    maxPages: config.maxPages,
    customerSeries: config.customerSeries,
    sources: config.sources,
    maxStalenessMs: config.maxStalenessMs,
    // The optional sources give up well before the refresh deadline, so a failing one never takes the score's refresh with it.
    optionalBudgetMs: Math.floor(refreshDeadlineMs(options) * OPTIONAL_SHARE_OF_DEADLINE),
  };
  const graph = { baseUrl: config.graphBaseUrl, timeoutMs: config.requestTimeoutMs, credential: config.credential, ...(options.retry ? { retry: options.retry } : {}) };
  if (!options.credential && !options.fetch) {
    const worker = createRefreshWorker({ settings: { graph, refresh: settings }, observer });
    return { worker, runRefresh: (signal) => worker.refresh(signal) };
  }
  const injected = { ...(options.credential ? { credential: options.credential } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) };
  const { createRefreshHere } = await import("./refresh/refresh-here.js");
  return { worker: undefined, runRefresh: createRefreshHere({ graph, refresh: settings, observer, injected }) };
}

/** Logs and counts each refresh's outcome; a failure says whether the last good data is still served. */
function outcomeReporter(self: SelfMetrics, cache: ExpositionCache, logger: Logger): (outcome: RefreshOutcome) => void {
  return (outcome) => {
    const timing = { seconds: (outcome.finishedAt - outcome.startedAt) / 1000, finishedAt: outcome.finishedAt };
    if (outcome.ok) {
      self.refreshFinished({ ok: true, ...timing });
      return;
    }
    const reason = failureReason(outcome.error);
    self.refreshFinished({ ok: false, reason, ...timing });
    const kept = cache.current() !== undefined;
    logger.error(
      { reason, error: errorSummary(outcome.error), keptSnapshot: kept },
      kept ? "refresh failed; serving the last good data" : "refresh failed; no Graph data to serve yet (only the exporter's self-metrics)",
    );
  };
}

/** The schedule of refreshes, each published, counted and logged. */
function refreshPoller(options: ExporterOptions, parts: { self: SelfMetrics; cache: ExpositionCache; run: (signal: AbortSignal) => Promise<RefreshResult> }): Poller {
  const { config, logger } = options;
  const { self, cache } = parts;
  return createPoller({
    refresh: createPublishingRefresh({ run: parts.run, cache, self, logger }),
    intervalMs: config.refreshIntervalMs,
    deadlineMs: refreshDeadlineMs(options),
    maxStalenessMs: config.maxStalenessMs,
    jitter: () => Math.random() * Math.min(config.refreshIntervalMs * 0.1, 30_000),
    onOutcome: outcomeReporter(self, cache, logger),
    onSkipped: () => {
      self.refreshSkipped();
      logger.warn("refresh skipped: the previous one is still running");
    },
    onCallbackError: (error) => logger.error({ error: errorSummary(error) }, "refresh bookkeeping failed; refreshing goes on"),
    onStale: () => {
      cache.drop();
      logger.error({ maxStaleness: formatDuration(config.maxStalenessMs) }, "no successful refresh within the max staleness; Graph-derived series dropped");
    },
  });
}

function landingPage(config: Config, build: BuildInfo): LandingPage {
  return {
    name: "partner-security-exporter",
    version: build.version,
    links: [
      { href: config.metricsPath, text: "Metrics" },
      { href: "/healthz", text: "Health" },
      { href: "/readyz", text: "Readiness" },
    ],
  };
}

/** Listens where the config says; resolves with the URL it serves, or rejects (the port in use). */
async function listen(exporterServer: ExporterServer, config: Config): Promise<string> {
  const { server } = exporterServer;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${exporterServer.tls ? "https" : "http"}://${host}:${address.port}`;
}

/** The composition root: config → credential → Graph client → poller → cache → HTTP server. */
export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const { config, logger } = options;
  const build = options.build ?? readBuildInfo();
  const self = createSelfMetrics(build, {
    refreshIntervalSeconds: config.refreshIntervalMs / 1000,
    maxStalenessSeconds: config.maxStalenessMs / 1000,
    customerSeries: config.customerSeries,
    endpoints: endpointsRead(config.sources),
  });
  const cache = createExpositionCache(self);
  const observer = graphObserver(config, self, logger);
  const { worker, runRefresh } = await refreshRunner(options, observer);
  const poller = refreshPoller(options, { self, cache, run: runRefresh });

  let ready = false;
  void poller.firstRefresh.then(() => {
    ready = true;
  });
  const access = createAccessControl(config.webConfig);
  const app = createApp({
    access,
    metricsPath: config.metricsPath,
    getExposition: (format, gzip) => cache.expose(format, gzip),
    isReady: () => ready,
    landing: landingPage(config, build),
    logger,
  });
  const exporterServer = createExporterServer(app, config.webConfig?.tls);
  const { server } = exporterServer;
  const url = await listen(exporterServer, config);
  logger.info({ url, metricsPath: config.metricsPath, config: describeConfig(config) }, "listening");
  poller.start();

  const webConfig = watchWebConfig({
    initial: config.webConfig,
    apply(next) {
      exporterServer.updateTls(next.tls);
      access.update(next);
    },
    logger,
    checkEveryMs: options.webConfigCheckMs ?? WEB_CONFIG_CHECK_MS,
  });

  return {
    url,
    cache,
    poller,
    reloadWebConfig: () => webConfig.reload("SIGHUP"),
    async close() {
      webConfig.stop();
      await poller.stop();
      await worker?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * `npm run bench -- --soak [--soak-minutes N]`: the exporter as the image runs it, at 10,000 tenants,
 * refreshing every 10 s under continuous Prometheus-style scrapes for 10 minutes (N for a trial).
 * Its RSS is read right after each refresh that ends under the load; the figures are RSS after the
 * last of them against after the first (within 10%) and the least-squares slope of RSS over time
 * (no growth trend). A 10-minute soak writes bench/soak.json; a shorter trial a file in the temp dir.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROMETHEUS_HEADERS, ROOT, control, isRunning, newLoad, processMemory, round, runLoad, startExporterProcess, stop, summarize } from "./harness.js";

export const SOAK_MINUTES = 10;
const SOAK_TENANTS = 10_000;
const SOAK_REFRESH_INTERVAL = "10s";
/** Two scrapers back to back (as two Prometheus replicas with no pause): continuous, with a core left for the refresh. */
const SOAK_CONNECTIONS = 2;
/** The line fitted through RSS over the soak may rise by less than this share of the first sample. */
const TREND_TOLERANCE = 0.05;

export interface SoakSettings {
  readonly simulatorUrl: string;
  readonly graphEnv: Readonly<Record<string, string>>;
  readonly nodeOptions: string;
  readonly memoryLimitMiB: number;
  readonly minutes: number;
}

interface RssSample {
  /** Minutes since the scrape load began. */
  readonly minute: number;
  readonly rssMiB: number;
}

/** Least-squares slope of y over x; NaN for fewer than two points. */
export function leastSquaresSlope(points: ReadonlyArray<{ x: number; y: number }>): number {
  if (points.length < 2) return Number.NaN;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  const covariance = points.reduce((sum, point) => sum + (point.x - meanX) * (point.y - meanY), 0);
  const variance = points.reduce((sum, point) => sum + (point.x - meanX) ** 2, 0);
  return variance === 0 ? Number.NaN : covariance / variance;
}

function soakTargets(samples: readonly RssSample[], survived: boolean, peakMiB: number, limitMiB: number) {
  const first = samples[0];
  const last = samples.at(-1);
  const slope = leastSquaresSlope(samples.map((sample) => ({ x: sample.minute, y: sample.rssMiB })));
  const span = (last?.minute ?? 0) - (first?.minute ?? 0);
  const fittedRise = slope * span;
  const change = first && last ? (last.rssMiB - first.rssMiB) / first.rssMiB : Number.NaN;
  return {
    slopeMiBPerMinute: round(slope, 3),
    fittedRiseMiB: round(fittedRise, 1),
    targets: [
      {
        target: "RSS after the last refresh within 10% of after the first",
        met: Math.abs(change) <= 0.1,
        measured: `${last?.rssMiB} vs ${first?.rssMiB} MiB (${round(change * 100, 1)}%) over ${samples.length} refreshes`,
      },
      {
        target: `no growth trend: the least-squares line rises by < ${TREND_TOLERANCE * 100}% of the first sample`,
        met: samples.length >= 3 && fittedRise < (first?.rssMiB ?? 0) * TREND_TOLERANCE,
        measured: `${round(slope, 3)} MiB/min, ${round(fittedRise, 1)} MiB over ${round(span, 1)} min`,
      },
      { target: `survives: running at the end, peak RSS below the chart's ${limitMiB} MiB limit`, met: survived && peakMiB < limitMiB, measured: `${survived ? "running" : "exited"}, peak ${peakMiB} MiB` },
    ],
  };
}

export async function runSoak(settings: SoakSettings): Promise<void> {
  await control(settings.simulatorUrl, "tenants", { count: SOAK_TENANTS });
  const exporter = await startExporterProcess({ graphEnv: settings.graphEnv, nodeOptions: settings.nodeOptions, refreshInterval: SOAK_REFRESH_INTERVAL });
  const afterStartUp = processMemory(exporter.child.pid);
  const samples: RssSample[] = [];
  let loadStartedAt = Number.NaN;
  exporter.onRefresh((refresh) => {
    // Refreshes that end under the load only: the start-up one ran with no scrape in flight.
    if (!refresh.ok || !(refresh.at >= loadStartedAt)) return;
    samples.push({ minute: round((refresh.at - loadStartedAt) / 60_000, 3), rssMiB: processMemory(exporter.child.pid).rssMiB });
  });
  console.log(`Soak: ${SOAK_TENANTS} tenants, refresh every ${SOAK_REFRESH_INTERVAL}, ${SOAK_CONNECTIONS} scrapers back to back for ${settings.minutes} min (${settings.nodeOptions})`);
  loadStartedAt = Date.now();
  const load = newLoad();
  await runLoad(exporter.metricsUrl, { headers: PROMETHEUS_HEADERS, seconds: Math.round(settings.minutes * 60), connections: SOAK_CONNECTIONS, threads: SOAK_CONNECTIONS }, load);
  const survived = isRunning(exporter.child);
  const atEnd = processMemory(exporter.child.pid);
  await stop(exporter.child);

  const scrapes = summarize(load);
  const failedRefreshes = exporter.refreshes.filter((refresh) => !refresh.ok).length;
  const { slopeMiBPerMinute, fittedRiseMiB, targets } = soakTargets(samples, survived, atEnd.peakMiB, settings.memoryLimitMiB);
  const results = {
    date: new Date().toISOString(),
    settings: { tenants: SOAK_TENANTS, refreshInterval: SOAK_REFRESH_INTERVAL, minutes: settings.minutes, scrapers: SOAK_CONNECTIONS, scrapeHeaders: PROMETHEUS_HEADERS, exporterNodeOptions: settings.nodeOptions },
    refreshes: { succeeded: exporter.refreshes.length - failedRefreshes, failed: failedRefreshes },
    scrapes: { responses: scrapes.responses, p50Ms: scrapes.p50, p99Ms: scrapes.p99, perSecond: round(scrapes.rps, 1), failures: load.failures },
    rss: {
      afterStartUpMiB: afterStartUp.rssMiB,
      afterFirstRefreshUnderLoadMiB: samples[0]?.rssMiB ?? Number.NaN,
      afterLastRefreshMiB: samples.at(-1)?.rssMiB ?? Number.NaN,
      slopeMiBPerMinute,
      fittedRiseMiB,
      peakMiB: atEnd.peakMiB,
      atEndMiB: atEnd.rssMiB,
      afterEachRefresh: samples,
    },
    survived,
    targets,
  };

  console.log("RSS after each refresh under load (MiB)");
  console.log(samples.map((sample) => `${sample.minute.toFixed(2)} min: ${sample.rssMiB}`).join(", "));
  console.table([{ ...results.refreshes, ...results.scrapes, failures: load.failures.join("; ") || "none" }]);
  console.table([{ ...results.rss, afterEachRefresh: `${samples.length} samples` }]);
  console.table(targets.map((target) => ({ target: target.target, met: target.met ? "yes" : "MISSED", measured: target.measured })));
  const file = settings.minutes === SOAK_MINUTES ? join(ROOT, "bench/soak.json") : join(tmpdir(), "partner-security-exporter-soak-trial.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Figures written to ${file}`);
}

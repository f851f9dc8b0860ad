/**
 * `npm run bench -- --sizing`: the README's sizing table. For each row, the built CLI with the heap
 * the image derives from that memory limit reads N tenants from the simulator and refreshes twice
 * more under continuous Prometheus-style scrapes; reported are the series, the exposition's size,
 * the process's peak RSS (VmHWM: start-up, refreshes, scrapes) and its RSS after the last refresh,
 * beside the limit. Writes bench/sizing.json; `--sizes 10000,100000` measures those rows only and
 * writes nothing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageNodeOptionsFor } from "../test/image/image-heap.js";
import { PROMETHEUS_HEADERS, ROOT, control, isRunning, newLoad, nextRefresh, processMemory, rawBody, round, runLoad, startExporterProcess, stop } from "./harness.js";

interface SizingRow {
  readonly tenants: number;
  readonly customerSeries: "all" | "noncompliant" | "none";
  readonly limitMiB: number;
}

/** The rows of the README table: the chart's default limit (512 MiB) holds 100,000 tenants. */
const ROWS: readonly SizingRow[] = [
  { tenants: 1000, customerSeries: "all", limitMiB: 256 },
  { tenants: 10_000, customerSeries: "all", limitMiB: 256 },
  { tenants: 100_000, customerSeries: "all", limitMiB: 512 },
  { tenants: 100_000, customerSeries: "none", limitMiB: 256 },
  { tenants: 200_000, customerSeries: "all", limitMiB: 1024 },
];

/** Refreshes measured under load after the start-up one. */
const REFRESHES_UNDER_LOAD = 2;

/** Often, and still leaving a refresh its deadline (half the interval) on two shared cores. */
function intervalSecondsFor(tenants: number): number {
  return tenants <= 10_000 ? 10 : Math.ceil(tenants / 100_000) * 30;
}

/** Graph-derived series: the exporter's own (`partner_security_exporter_*`) are left out. */
function graphSeriesIn(exposition: string): number {
  return exposition.split("\n").filter((line) => line.startsWith("partner_security_") && !line.startsWith("partner_security_exporter_")).length;
}

async function measure(simulatorUrl: string, graphEnv: Readonly<Record<string, string>>, row: SizingRow) {
  await control(simulatorUrl, "tenants", { count: row.tenants });
  const interval = intervalSecondsFor(row.tenants);
  const nodeOptions = imageNodeOptionsFor(row.limitMiB);
  const exporter = await startExporterProcess({ graphEnv, nodeOptions, refreshInterval: `${interval}s`, customerSeries: row.customerSeries, readyTimeoutMs: 300_000 });
  const plain = await rawBody(exporter.metricsUrl, {});
  const gzip = await rawBody(exporter.metricsUrl, { "accept-encoding": "gzip" });
  const seen = exporter.refreshes.length;
  const timeoutMs = (REFRESHES_UNDER_LOAD + 1) * interval * 1000 + 60_000;
  // Scrapes back to back from two connections until the refreshes under load have ended.
  const done = nextRefresh(exporter, seen + REFRESHES_UNDER_LOAD - 1, timeoutMs);
  const load = newLoad();
  let loading = true;
  const scraping = (async () => {
    while (loading && isRunning(exporter.child)) await runLoad(exporter.metricsUrl, { headers: PROMETHEUS_HEADERS, seconds: 2, connections: 2, threads: 1 }, load);
  })();
  const failed = await done.then(
    () => false,
    () => true,
  );
  loading = false;
  await scraping;
  const memory = processMemory(exporter.child.pid);
  const running = isRunning(exporter.child);
  await stop(exporter.child);
  return {
    tenants: row.tenants,
    customerSeries: row.customerSeries,
    limitMiB: row.limitMiB,
    nodeOptions,
    refreshIntervalSeconds: interval,
    graphSeries: graphSeriesIn(plain.toString("utf8")),
    textBytes: plain.length,
    gzipBytes: gzip.length,
    peakMiB: memory.peakMiB,
    settledMiB: memory.rssMiB,
    refreshesOk: exporter.refreshes.filter((refresh) => refresh.ok).length,
    refreshesFailed: exporter.refreshes.filter((refresh) => !refresh.ok).length + (failed ? 1 : 0),
    survived: running && memory.peakMiB < row.limitMiB,
    scrapes: load.latencies.length,
  };
}

/** Measures every row, or those of the given tenant counts only (then bench/sizing.json is left alone). */
export async function runSizing(simulatorUrl: string, graphEnv: Readonly<Record<string, string>>, only?: readonly number[]): Promise<void> {
  const rows = [];
  for (const row of ROWS.filter((one) => only === undefined || only.includes(one.tenants))) {
    console.log(`sizing: ${row.tenants} tenants, PSE_CUSTOMER_SERIES=${row.customerSeries}, limit ${row.limitMiB} MiB`);
    rows.push(await measure(simulatorUrl, graphEnv, row));
  }
  console.table(rows.map((row) => ({ ...row, textMB: round(row.textBytes / 1e6, 2), gzipMB: round(row.gzipBytes / 1e6, 2) })));
  if (only !== undefined) return;
  const file = join(ROOT, "bench/sizing.json");
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
  console.log(`Figures written to ${file}`);
}

/**
 * `npm run bench`: the exporter beside the limit (a bare node:http server answering the same
 * bytes from one prepared buffer) and beside the naive way (prom-client gauges rendered with
 * registry.metrics() on every scrape), measured side by side in one run. Prints a table and writes
 * bench/results.json. `--short` runs one small size for a few seconds, only to prove it still runs.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzip as gzipCallback, gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { pino } from "pino";
import { Gauge, Registry } from "prom-client";
import { loadConfig } from "../src/config.js";
import { createGraphClient } from "../src/graph/client.js";
import { createCredential } from "../src/graph/credential.js";
import { fetchSnapshot } from "../src/graph/fetch-snapshot.js";
import type { Snapshot } from "../src/graph/snapshot.js";
import { startExporter } from "../src/main.js";
import type { RunningExporter } from "../src/main.js";
import { GRAPH_METRICS } from "../src/metrics/graph-metrics.js";
import { generateTlsIdentity } from "../src/simulator/tls.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SHORT = process.argv.includes("--short");
const SIZES = SHORT ? [100] : [100, 1000, 10_000];
const SCRAPE_SECONDS = SHORT ? 1 : 5;
const CONNECTIONS = 4;
const REFRESH_TENANTS = SHORT ? 1000 : 10_000;
const PAGE_SIZE = 500;
const GRAPH_LATENCY_MS = 50;
const gzipAsync = promisify(gzipCallback);

// Node reads NODE_EXTRA_CA_CERTS only at start: re-run this script in a child that trusts the
// simulator's certificate and may call gc().
if (!process.env.BENCH_TLS_DIR) {
  const dir = mkdtempSync(join(tmpdir(), "pse-bench-"));
  const identity = await generateTlsIdentity();
  writeFileSync(join(dir, "cert.pem"), identity.cert);
  writeFileSync(join(dir, "key.pem"), identity.key);
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, BENCH_TLS_DIR: dir, NODE_EXTRA_CA_CERTS: join(dir, "cert.pem") },
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? 1);
}

const TLS_DIR = process.env.BENCH_TLS_DIR;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
}

async function load(url: string, gzip: boolean): Promise<LoadResult> {
  // The load generator runs in its own worker thread, so its work does not slow the servers it measures.
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SCRAPE_SECONDS, workers: 1, headers: gzip ? { "accept-encoding": "gzip" } : {} });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

/** The limit: the same bytes from one prepared buffer. */
function bareServer(plain: Buffer) {
  const zipped = gzipSync(plain, { level: 1 });
  return listen((request, response) => {
    const gzip = /gzip/.test(request.headers["accept-encoding"] ?? "");
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", ...(gzip ? { "content-encoding": "gzip" } : {}) });
    response.end(gzip ? zipped : plain);
  });
}

/** The naive way: prom-client gauges holding the snapshot, rendered on every scrape. */
function naiveServer(snapshot: Snapshot) {
  const registry = new Registry();
  for (const row of GRAPH_METRICS) {
    const gauge = new Gauge({ name: row.name, help: row.help, labelNames: [...row.labelNames], registers: [registry] });
    for (const sample of row.samples(snapshot)) gauge.set(sample.labels, sample.value);
  }
  return listen((request, response) => {
    const gzip = /gzip/.test(request.headers["accept-encoding"] ?? "");
    void registry.metrics().then(async (text) => {
      const body = gzip ? await gzipAsync(text, { level: 1 }) : Buffer.from(text);
      response.writeHead(200, { "content-type": registry.contentType, ...(gzip ? { "content-encoding": "gzip" } : {}) });
      response.end(body);
    });
  });
}

async function control(base: string, path: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`${base}_control/${path}`, { method: path === "requests" ? "GET" : "POST", ...(path === "requests" ? {} : { body: JSON.stringify(body) }) });
  return response.json();
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function memory(): { rssMiB: number; heapMiB: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { rssMiB: mib(usage.rss), heapMiB: mib(usage.heapUsed) };
}

async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "dist/cli.js"), "simulate", "--port", "0", "--tenants", "10", "--page-size", String(PAGE_SIZE), "--drift-period", "1000000", "--ca-file", join(TLS_DIR ?? "", "ca.pem"), "--tls-cert", join(TLS_DIR ?? "", "cert.pem"), "--tls-key", join(TLS_DIR ?? "", "key.pem")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const url = /listening on (https:\/\/\S+)/.exec(stdout)?.[1];
    if (url) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the simulator did not start");
}

/** The V8 options the container image sets, so the exporter's RSS is measured as the image runs it. */
const IMAGE_NODE_OPTIONS = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1] ?? "";

/** RSS of the real exporter (the built CLI) as its own process, after its first refresh of `tenants` tenants. */
async function childExporterRss(tenants: number): Promise<number> {
  await control(simulatorUrl, "tenants", { count: tenants });
  const port = 19_000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, [join(ROOT, "dist/cli.js")], { stdio: "ignore", env: { ...process.env, ...env, NODE_OPTIONS: IMAGE_NODE_OPTIONS, PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`, PSE_LOG_LEVEL: "silent" } });
  try {
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.ok, () => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text());
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text());
    return mib(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN));
  } finally {
    child.kill("SIGTERM");
  }
}

const { url: simulatorUrl, child: simulator } = await startSimulatorProcess();
const env = { PSE_GRAPH_BASE_URL: simulatorUrl, AZURE_AUTHORITY_HOST: simulatorUrl.replace(/\/$/, ""), AZURE_TENANT_ID: "bench", AZURE_CLIENT_ID: "bench", AZURE_CLIENT_SECRET: "bench" };
const config = loadConfig({ listenAddress: "127.0.0.1:0", refreshInterval: "1h", maxPages: "1000" }, env);
const exporter: RunningExporter = await startExporter({ config, logger: pino({ level: "silent" }) });
await exporter.poller.firstRefresh;
const graph = createGraphClient({ baseUrl: config.graphBaseUrl, credential: createCredential(config.credential), timeoutMs: 30_000 });

// Memory first, before any comparison server or load generator has allocated anything.
const baseline = memory();
const memoryRows: Array<Record<string, number | string>> = [];
for (const tenants of SIZES) {
  await control(simulatorUrl, "tenants", { count: tenants });
  await exporter.poller.refreshNow();
  memoryRows.push({ tenants, ...memory() });
}
await control(simulatorUrl, "tenants", { count: 10 });
await exporter.poller.refreshNow();
const shrunk = memory();
const exporterRss = await childExporterRss(SIZES.at(-1) ?? 100);

const scrape: Array<Record<string, number | string>> = [];
for (const tenants of SIZES) {
  await control(simulatorUrl, "tenants", { count: tenants });
  await exporter.poller.refreshNow();
  const plain = (await exporter.cache.expose("text", false)).body;
  const snapshot = await fetchSnapshot(graph, { signal: new AbortController().signal, warn: () => undefined });
  const bare = await bareServer(plain);
  const naive = await naiveServer(snapshot);
  for (const gzip of [false, true]) {
    const ours = await load(`${exporter.url}/metrics`, gzip);
    const limit = await load(bare.url, gzip);
    const slow = await load(naive.url, gzip);
    scrape.push({
      tenants,
      gzip: gzip ? "yes" : "no",
      bytes: plain.length,
      p50_ms: ours.p50,
      p99_ms: ours.p99,
      rps: Math.round(ours.rps),
      bare_p99_ms: limit.p99,
      bare_rps: Math.round(limit.rps),
      naive_p99_ms: slow.p99,
      naive_rps: Math.round(slow.rps * 10) / 10,
      p99_vs_bare: Math.round((ours.p99 / Math.max(limit.p99, 1)) * 100) / 100,
      rps_vs_naive: Math.round((ours.rps / Math.max(slow.rps, 0.1)) * 10) / 10,
    });
  }
  bare.server.close();
  naive.server.close();
}

// One full refresh with Graph-like latency on every request.
await control(simulatorUrl, "tenants", { count: REFRESH_TENANTS });
for (const endpoint of ["securityScore", "requirements", "history", "customerInsights"]) await control(simulatorUrl, "faults", { endpoint, latencyMs: GRAPH_LATENCY_MS });
const requestsBefore = ((await control(simulatorUrl, "requests")) as unknown[]).length;
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const started = performance.now();
await exporter.poller.refreshNow();
const refreshSeconds = (performance.now() - started) / 1000;
delay.disable();
const graphRequests = (((await control(simulatorUrl, "requests")) as Array<{ endpoint: string }>).slice(requestsBefore)).filter((request) => request.endpoint !== "token").length;
const pages = Math.ceil(REFRESH_TENANTS / PAGE_SIZE) + 3;
await control(simulatorUrl, "reset");

const largest = memoryRows.at(-1);
const targets = [
  { target: "scrape p99 ≤ 1.2× bare buffer at every size", met: scrape.every((row) => Number(row.p99_vs_bare) <= 1.2), detail: scrape.map((row) => `${row.tenants}${row.gzip === "yes" ? " gz" : ""}: ${row.p99_vs_bare}×`).join(", ") },
  {
    target: `throughput ≥ 20× per-scrape registry.metrics() at ${SIZES.at(-1)} tenants`,
    met: scrape.filter((row) => row.tenants === SIZES.at(-1)).every((row) => Number(row.rps_vs_naive) >= 20),
    detail: scrape.filter((row) => row.tenants === SIZES.at(-1)).map((row) => `${row.gzip === "yes" ? "gz" : "plain"}: ${row.rps_vs_naive}×`).join(", "),
  },
  { target: `full refresh of ${REFRESH_TENANTS} tenants ≤ 2 s`, met: refreshSeconds <= 2, detail: `${refreshSeconds.toFixed(2)} s` },
  { target: "no more Graph requests than pages", met: graphRequests <= pages, detail: `${graphRequests} requests, ${pages} pages` },
  { target: "no event-loop block > 50 ms during the refresh", met: delay.max / 1e6 <= 50, detail: `${(delay.max / 1e6).toFixed(1)} ms` },
  { target: `RSS ≤ 150 MiB at ${largest?.tenants} tenants (the exporter alone, as its own process, with the image's NODE_OPTIONS)`, met: exporterRss <= 150, detail: `${exporterRss} MiB` },
  {
    target: "heap back within 10% of the small baseline after shrinking",
    met: shrunk.heapMiB <= baseline.heapMiB * 1.1,
    detail: `${shrunk.heapMiB} MiB vs ${baseline.heapMiB} MiB (RSS ${shrunk.rssMiB} vs ${baseline.rssMiB} MiB)`,
  },
];

const results = {
  date: new Date().toISOString(),
  mode: SHORT ? "short" : "full",
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  settings: { connections: CONNECTIONS, scrapeSeconds: SCRAPE_SECONDS, pageSize: PAGE_SIZE, graphLatencyMs: GRAPH_LATENCY_MS },
  scrape,
  refresh: { tenants: REFRESH_TENANTS, seconds: Math.round(refreshSeconds * 100) / 100, graphRequests, pages, longestEventLoopBlockMs: Math.round(delay.max / 1e5) / 10 },
  memory: { baseline, afterRefresh: memoryRows, afterShrinkTo10: shrunk, exporterProcessRssMiB: exporterRss },
  targets,
};

console.log(`\nScrape (${CONNECTIONS} connections, ${SCRAPE_SECONDS}s each, latencies in ms)`);
console.table(scrape);
console.log("Refresh");
console.table([results.refresh]);
console.log(`Memory after refresh (heap after GC in the bench process; RSS of the exporter alone as a process at ${SIZES.at(-1)} tenants: ${exporterRss} MiB)`);
console.table([{ tenants: "baseline", ...baseline }, ...memoryRows, { tenants: "after shrink to 10", ...shrunk }]);
console.log("Targets");
console.table(targets.map((target) => ({ target: target.target, met: target.met ? "yes" : "MISSED", measured: target.detail })));
if (!SHORT) writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
else writeFileSync(join(tmpdir(), "partner-security-exporter-bench-short.json"), JSON.stringify(results));

await exporter.close();
simulator.kill("SIGTERM");
process.exit(0);

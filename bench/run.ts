/**
 * `npm run bench`: the exporter beside the limit (a bare node:http server answering the same
 * bytes from one prepared buffer) and beside the naive way (prom-client gauges rendered with
 * registry.metrics() on every scrape), measured side by side in one run. Prints a table and writes
 * bench/results.json. `--short` runs one small size for a few seconds, only to prove it still runs;
 * `--sizes 100,1000` measures only the sizes given (and does not write bench/results.json).
 *
 * Scrapes: the exporter (the built CLI with the image's NODE_OPTIONS) and the two reference servers
 * each run as their own process; autocannon drives them from this process, in alternating rounds
 * so drift of the machine hits all three alike, and every response time is kept to the microsecond
 * (autocannon's own histogram rounds to whole milliseconds, too coarse for 100 tenants).
 * Refresh and memory: an exporter inside this process, so the event loop can be watched.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { startExporter } from "../src/main.js";
import type { RunningExporter } from "../src/main.js";
import { generateTlsIdentity } from "../src/simulator/tls.js";
import { freePort } from "../test/helpers.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SHORT = process.argv.includes("--short");
const SIZES_FLAG = process.argv.indexOf("--sizes");
/** `--sizes 100,1000` measures only those sizes (the refresh still reads 10,000 tenants). */
const SIZES = SIZES_FLAG > 0 ? (process.argv[SIZES_FLAG + 1] ?? "").split(",").map(Number).filter((size) => size > 0) : SHORT ? [100] : [100, 1000, 10_000];
/** Each server gets this many rounds of this many seconds per size and encoding, interleaved. */
const ROUNDS = SHORT ? 1 : 5;
const ROUND_SECONDS = SHORT ? 1 : 3;
const CONNECTIONS = 4;
/** Threads autocannon runs in: one alone cannot read 7 MB responses as fast as a server sends them. */
const CLIENT_THREADS = 2;
const REFRESH_TENANTS = SHORT ? 1000 : 10_000;
const PAGE_SIZE = 500;
const GRAPH_LATENCY_MS = 50;

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
const WORK_DIR = mkdtempSync(join(tmpdir(), "pse-bench-bodies-"));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(WORK_DIR, { recursive: true, force: true });
});

/** Response times in ms (to the microsecond), requests, wall time and the server's CPU time of one or more load runs. */
interface Load {
  latencies: number[];
  requests: number;
  seconds: number;
  cpuSeconds: number;
}

function newLoad(): Load {
  return { latencies: [], requests: 0, seconds: 0, cpuSeconds: 0 };
}

/** CPU time (user + system) a process has used so far, from Linux's /proc; NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    // utime and stime are fields 14 and 15 of stat(5), counted after the command name; USER_HZ is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function load(server: { url: string; child: ChildProcess }, gzip: boolean, into: Load): Promise<void> {
  const cpuBefore = cpuSeconds(server.child.pid);
  await run(server.url, gzip, into);
  into.cpuSeconds += cpuSeconds(server.child.pid) - cpuBefore;
}

/** What bench/load-worker.mjs is given and posts back. */
interface LoadTask {
  url: string;
  connections: number;
  seconds: number;
  gzip: boolean;
}

interface LoadReport {
  latencies: number[];
  requests: number;
  seconds: number;
  failures: string | undefined;
}

/** Load from CLIENT_THREADS worker threads at once, CONNECTIONS connections in all. */
async function run(url: string, gzip: boolean, into: Load): Promise<void> {
  const reports = await Promise.all(
    Array.from({ length: CLIENT_THREADS }, () => {
      const task: LoadTask = { url, connections: CONNECTIONS / CLIENT_THREADS, seconds: ROUND_SECONDS, gzip };
      const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: task });
      return new Promise<LoadReport>((resolve, reject) => {
        worker.once("message", (report: LoadReport) => resolve(report));
        worker.once("error", reject);
      }).finally(() => void worker.terminate());
    }),
  );
  for (const report of reports) {
    if (report.failures) throw new Error(`${url}: ${report.failures}`);
    into.latencies.push(...report.latencies);
    into.requests += report.requests;
  }
  into.seconds += Math.max(...reports.map((report) => report.seconds));
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function summary(load: Load): { p50: number; p99: number; rps: number; cpuMicroseconds: number } {
  const sorted = [...load.latencies].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    rps: load.requests / Math.max(load.seconds, 1e-9),
    cpuMicroseconds: Math.round((load.cpuSeconds / Math.max(load.requests, 1)) * 1e6),
  };
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

/** Starts a child process and resolves with the URL it prints as "listening on <url>". */
async function startChild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const url = /listening on (https?:\/\/\S+)/.exec(stdout)?.[1];
    if (url) return { url, child };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`${args.join(" ")} did not start`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** The response body exactly as sent (fetch would decompress it). */
function rawBody(url: string, gzip: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { headers: gzip ? { "accept-encoding": "gzip" } : {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: ${response.statusCode}`))));
    }).on("error", reject);
  });
}

/** The V8 options the container image sets, so the exporter runs as the image runs it. */
const IMAGE_NODE_OPTIONS = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1] ?? "";

/** The real exporter (the built CLI) as its own process, once its first refresh has finished. */
async function startExporterProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, "dist/cli.js")], {
    stdio: "ignore",
    env: { ...process.env, ...env, NODE_OPTIONS: IMAGE_NODE_OPTIONS, PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`, PSE_REFRESH_INTERVAL: "1h", PSE_MAX_PAGES: "1000", PSE_LOG_LEVEL: "silent" },
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const until = Date.now() + 120_000;
  while (Date.now() < until && child.exitCode === null) {
    if (await fetch(`${base}/readyz`).then((response) => response.ok, () => false)) return { url: `${base}/metrics`, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the exporter did not become ready");
}

/** Resident memory of a process now and at its peak (VmRSS and VmHWM of Linux's /proc); NaN elsewhere. */
function processMemory(pid: number | undefined): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: mib(kib("VmRSS") * 1024), peakMiB: mib(kib("VmHWM") * 1024) };
  } catch {
    return { rssMiB: Number.NaN, peakMiB: Number.NaN };
  }
}

const { url: simulatorUrl, child: simulator } = await startChild([
  join(ROOT, "dist/cli.js"),
  "simulate",
  "--port",
  "0",
  "--tenants",
  "10",
  "--page-size",
  String(PAGE_SIZE),
  "--drift-period",
  "1000000",
  "--ca-file",
  join(TLS_DIR ?? "", "ca.pem"),
  "--tls-cert",
  join(TLS_DIR ?? "", "cert.pem"),
  "--tls-key",
  join(TLS_DIR ?? "", "key.pem"),
]);
const env = { PSE_GRAPH_BASE_URL: simulatorUrl, AZURE_AUTHORITY_HOST: simulatorUrl.replace(/\/$/, ""), AZURE_TENANT_ID: "bench", AZURE_CLIENT_ID: "bench", AZURE_CLIENT_SECRET: "bench" };
const config = loadConfig({ listenAddress: "127.0.0.1:0", refreshInterval: "1h", maxPages: "1000" }, env);
const exporter: RunningExporter = await startExporter({ config, logger: pino({ level: "silent" }) });
await exporter.poller.firstRefresh;

// Memory first, before anything else has allocated in this process.
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

const scrape: Array<Record<string, number | string>> = [];
const exporterRss: Array<{ tenants: number; settledMiB: number; peakAfterRefreshMiB: number; afterLoadMiB: number; peakMiB: number }> = [];
for (const tenants of SIZES) {
  await control(simulatorUrl, "tenants", { count: tenants });
  const ours = await startExporterProcess();
  // V8 and the allocator give memory back a moment after a refresh; the peak stays in VmHWM.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const settled = processMemory(ours.child.pid);
  const plainFile = join(WORK_DIR, `${tenants}.prom`);
  const gzipFile = join(WORK_DIR, `${tenants}.prom.gz`);
  writeFileSync(plainFile, await rawBody(ours.url, false));
  writeFileSync(gzipFile, await rawBody(ours.url, true));
  const serverEnv = { ...process.env, ...env };
  const bare = await startChild(["--import", "tsx", join(ROOT, "bench/reference-servers.ts"), "bare", plainFile, gzipFile], serverEnv);
  const naive = await startChild(["--import", "tsx", join(ROOT, "bench/reference-servers.ts"), "naive"], serverEnv);
  for (const gzip of [false, true]) {
    const runs = { ours: newLoad(), bare: newLoad(), naive: newLoad() };
    for (let round = 0; round < ROUNDS; round++) {
      await load(ours, gzip, runs.ours);
      await load(bare, gzip, runs.bare);
      await load(naive, gzip, runs.naive);
    }
    const [mine, limit, slow] = [summary(runs.ours), summary(runs.bare), summary(runs.naive)];
    scrape.push({
      tenants,
      gzip: gzip ? "yes" : "no",
      bytes: readFileSync(gzip ? gzipFile : plainFile).length,
      p50_ms: mine.p50,
      p99_ms: mine.p99,
      rps: Math.round(mine.rps),
      cpu_us_per_req: mine.cpuMicroseconds,
      bare_p50_ms: limit.p50,
      bare_p99_ms: limit.p99,
      bare_rps: Math.round(limit.rps),
      bare_cpu_us_per_req: limit.cpuMicroseconds,
      naive_p99_ms: slow.p99,
      naive_rps: Math.round(slow.rps * 10) / 10,
      naive_cpu_us_per_req: slow.cpuMicroseconds,
      p99_vs_bare: Math.round((mine.p99 / limit.p99) * 100) / 100,
      rps_vs_naive: Math.round((mine.rps / slow.rps) * 10) / 10,
    });
  }
  const loaded = processMemory(ours.child.pid);
  exporterRss.push({ tenants, settledMiB: settled.rssMiB, peakAfterRefreshMiB: settled.peakMiB, afterLoadMiB: loaded.rssMiB, peakMiB: loaded.peakMiB });
  await Promise.all([stop(ours.child), stop(bare.child), stop(naive.child)]);
}

// One full refresh with Graph-like latency on every request, after one that is not measured: the
// simulator builds its data for a new tenant count on the first request, on a core the exporter shares.
await control(simulatorUrl, "tenants", { count: REFRESH_TENANTS });
await exporter.poller.refreshNow();
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

const largest = exporterRss.at(-1);
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
  {
    target: `RSS ≤ 150 MiB at ${largest?.tenants} tenants (the exporter process with the image's NODE_OPTIONS, at its peak over refresh and scrape load)`,
    met: (largest?.peakMiB ?? Number.NaN) <= 150,
    detail: `peak ${largest?.peakMiB} MiB (${largest?.peakAfterRefreshMiB} MiB by the end of the first refresh); ${largest?.settledMiB} MiB settled after it, ${largest?.afterLoadMiB} MiB after the load`,
  },
  {
    target: "heap and RSS back within 10% of the 10-tenant baseline after shrinking",
    met: shrunk.heapMiB <= baseline.heapMiB * 1.1 && shrunk.rssMiB <= baseline.rssMiB * 1.1,
    detail: `${shrunk.heapMiB} MiB vs ${baseline.heapMiB} MiB (RSS ${shrunk.rssMiB} vs ${baseline.rssMiB} MiB)`,
  },
];

const results = {
  date: new Date().toISOString(),
  mode: SHORT ? "short" : "full",
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  settings: { connections: CONNECTIONS, clientThreads: CLIENT_THREADS, rounds: ROUNDS, roundSeconds: ROUND_SECONDS, pageSize: PAGE_SIZE, graphLatencyMs: GRAPH_LATENCY_MS, exporterNodeOptions: IMAGE_NODE_OPTIONS },
  scrape,
  refresh: { tenants: REFRESH_TENANTS, seconds: Math.round(refreshSeconds * 100) / 100, graphRequests, pages, longestEventLoopBlockMs: Math.round(delay.max / 1e5) / 10 },
  memory: { baseline, afterRefresh: memoryRows, afterShrinkTo10: shrunk, exporterProcessRss: exporterRss },
  targets,
};

console.log(`\nScrape (${CONNECTIONS} connections from ${CLIENT_THREADS} threads, ${ROUNDS} interleaved rounds of ${ROUND_SECONDS}s per server, latencies in ms)`);
console.table(scrape);
console.log("Refresh");
console.table([results.refresh]);
console.log("Memory after refresh (heap after GC, exporter inside the benchmark process)");
console.table([{ tenants: "baseline", ...baseline }, ...memoryRows, { tenants: "after shrink to 10", ...shrunk }]);
console.log("RSS of the exporter as its own process (image NODE_OPTIONS)");
console.table(exporterRss);
console.log("Targets");
console.table(targets.map((target) => ({ target: target.target, met: target.met ? "yes" : "MISSED", measured: target.detail })));
if (!SHORT && SIZES_FLAG < 0) writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
else writeFileSync(join(tmpdir(), "partner-security-exporter-bench-short.json"), JSON.stringify(results));

await exporter.close();
await stop(simulator);
process.exit(0);

/**
 * What the benchmark modes share: load generation (autocannon in worker threads, every response
 * time kept to the microsecond), the processes it starts (the exporter as the image runs it, the
 * reference servers, the simulator) and what it reads about them from Linux's /proc.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { z } from "zod";
import { freePort } from "../test/helpers.js";
import { imageMallocArenaMax } from "../test/image/image-heap.js";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What Prometheus sends when it scrapes: it prefers OpenMetrics and takes gzip. */
export const PROMETHEUS_HEADERS: Readonly<Record<string, string>> = {
  accept: "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
  "accept-encoding": "gzip",
};
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

export function textFormatHeaders(gzip: boolean): Record<string, string> {
  return gzip ? { "accept-encoding": "gzip" } : {};
}

// ---------------------------------------------------------------------------------------------
// Load

/** Every 200 response of one or more load runs (time in ms and when it ended), with the run's totals. */
export interface Load {
  latencies: number[];
  ends: number[];
  requests: number;
  seconds: number;
  cpuSeconds: number;
  failures: string[];
}

export function newLoad(): Load {
  return { latencies: [], ends: [], requests: 0, seconds: 0, cpuSeconds: 0, failures: [] };
}

export interface LoadShape {
  readonly headers: Readonly<Record<string, string>>;
  readonly seconds: number;
  readonly connections: number;
  /** One thread alone cannot read 7 MB responses as fast as a server sends them. */
  readonly threads: number;
}

/** What bench/load-worker.mjs is given and posts back. */
interface LoadTask {
  url: string;
  connections: number;
  seconds: number;
  headers: Readonly<Record<string, string>>;
}

interface LoadReport {
  latencies: number[];
  ends: number[];
  requests: number;
  seconds: number;
  failures: string | undefined;
}

/** Load from `shape.threads` worker threads at once, `shape.connections` connections in all; added to `into`. */
export async function runLoad(url: string, shape: LoadShape, into: Load): Promise<void> {
  const task: LoadTask = { url, connections: Math.max(1, Math.round(shape.connections / shape.threads)), seconds: shape.seconds, headers: shape.headers };
  const reports = await Promise.all(
    Array.from({ length: shape.threads }, () => {
      const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: task });
      return new Promise<LoadReport>((resolve, reject) => {
        worker.once("message", (report: LoadReport) => resolve(report));
        worker.once("error", reject);
      }).finally(() => void worker.terminate());
    }),
  );
  for (const report of reports) {
    if (report.failures) into.failures.push(report.failures);
    // One at a time: spreading hundreds of thousands of numbers as arguments overflows the stack.
    for (const latency of report.latencies) into.latencies.push(latency);
    for (const end of report.ends) into.ends.push(end);
    into.requests += report.requests;
  }
  into.seconds += Math.max(...reports.map((report) => report.seconds));
}

/** runLoad, also adding the CPU time the server process used meanwhile. */
export async function runLoadCountingCpu(server: { url: string; child: ChildProcess }, shape: LoadShape, into: Load): Promise<void> {
  const before = cpuSeconds(server.child.pid);
  await runLoad(server.url, shape, into);
  into.cpuSeconds += cpuSeconds(server.child.pid) - before;
}

function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN);
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  rps: number;
  cpuMicroseconds: number;
  responses: number;
}

export function summarize(load: Pick<Load, "latencies" | "requests" | "seconds" | "cpuSeconds">): LatencySummary {
  const sorted = Float64Array.from(load.latencies).sort();
  return {
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    rps: load.requests / Math.max(load.seconds, 1e-9),
    cpuMicroseconds: Math.round((load.cpuSeconds / Math.max(load.requests, 1)) * 1e6),
    responses: load.latencies.length,
  };
}

/** Ratio of two figures, to two decimals. */
export function ratio(mine: number, reference: number): number {
  return round(mine / reference);
}

// ---------------------------------------------------------------------------------------------
// /proc

export function mib(bytes: number): number {
  return round(bytes / 1024 / 1024, 1);
}

/** CPU time (user + system) a process has used so far, from Linux's /proc; NaN elsewhere. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    // utime and stime are fields 14 and 15 of stat(5), counted after the command name; USER_HZ is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of a process now and at its peak (VmRSS and VmHWM of Linux's /proc); NaN elsewhere. */
export function processMemory(pid: number | undefined): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: mib(kib("VmRSS") * 1024), peakMiB: mib(kib("VmHWM") * 1024) };
  } catch {
    return { rssMiB: Number.NaN, peakMiB: Number.NaN };
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();

/** Kills whatever the benchmark started and has not stopped (on exit, also after a failure). */
export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a child process and resolves with the URL it prints as "listening on <url>". */
export async function startChild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
  track(child);
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const url = /listening on (https?:\/\/\S+)/.exec(stdout)?.[1];
    if (url) return { url, child };
    if (!isRunning(child)) break;
    await sleep(50);
  }
  child.kill("SIGKILL");
  throw new Error(`${args.join(" ")} did not start`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // A stopped process would hold SIGTERM until it is continued.
  child.kill("SIGCONT");
  child.kill("SIGTERM");
  await exited;
}

/** One refresh as the exporter logged it. */
export interface RefreshLog {
  readonly ok: boolean;
  /** When it was logged (Unix ms): the refresh had just ended. */
  readonly at: number;
  readonly customers: number | undefined;
  /** Why it failed, as the exporter logged it (reason and message). */
  readonly failure?: string;
}

const logLine = z.object({
  msg: z.string(),
  time: z.number(),
  customers: z.number().optional(),
  reason: z.string().optional(),
  error: z.object({ message: z.string().optional() }).optional(),
});

/** The built CLI as its own process, as the image runs it; its refreshes read from its log. */
export interface ExporterProcess {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  readonly startedAt: number;
  readonly readyAt: number;
  /** Every refresh so far, the first (start-up) one included. */
  readonly refreshes: readonly RefreshLog[];
  /** Called with each refresh as it is logged. */
  onRefresh(listener: (refresh: RefreshLog) => void): void;
}

export interface ExporterProcessOptions {
  /** Graph and credential settings pointing at the simulator. */
  readonly graphEnv: Readonly<Record<string, string>>;
  readonly nodeOptions: string;
  readonly refreshInterval: string;
  readonly customerSeries?: "all" | "noncompliant" | "none";
  readonly readyTimeoutMs?: number;
}

/** Last lines of what a process wrote to stderr: "JavaScript heap out of memory" shows there. */
function tail(text: string, lines = 5): string {
  return text.trim().split("\n").slice(-lines).join(" | ");
}

function parseRefreshLog(line: string): RefreshLog | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const entry = logLine.safeParse(parsed);
  if (!entry.success) return undefined;
  if (entry.data.msg === "refresh succeeded") return { ok: true, at: entry.data.time, customers: entry.data.customers };
  if (entry.data.msg.startsWith("refresh failed")) {
    return { ok: false, at: entry.data.time, customers: undefined, failure: `${entry.data.reason ?? "?"}: ${entry.data.error?.message ?? "?"}` };
  }
  return undefined;
}

/** Splits a stream into lines and hands each whole line on. */
function onLines(stream: NodeJS.ReadableStream | null, handle: (line: string) => void): void {
  let partial = "";
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) handle(line);
  });
}

/** Starts the exporter and resolves once its first refresh has finished (it is ready); throws why not. */
export async function startExporterProcess(options: ExporterProcessOptions): Promise<ExporterProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const startedAt = Date.now();
  const child = spawn(process.execPath, [join(ROOT, "dist/cli.js")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...options.graphEnv,
      NODE_OPTIONS: options.nodeOptions,
      MALLOC_ARENA_MAX: imageMallocArenaMax(),
      PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`,
      PSE_REFRESH_INTERVAL: options.refreshInterval,
      PSE_CUSTOMER_SERIES: options.customerSeries ?? "all",
      PSE_LOG_LEVEL: "info",
      PSE_LOG_FORMAT: "json",
    },
  });
  track(child);
  const refreshes: RefreshLog[] = [];
  const listeners: Array<(refresh: RefreshLog) => void> = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  onLines(child.stdout, (line) => {
    const refresh = parseRefreshLog(line);
    if (!refresh) return;
    refreshes.push(refresh);
    for (const listener of listeners) listener(refresh);
  });
  const until = startedAt + (options.readyTimeoutMs ?? 120_000);
  while (Date.now() < until && isRunning(child)) {
    if (await fetch(`${base}/readyz`).then((response) => response.ok, () => false)) {
      return { child, metricsUrl: `${base}/metrics`, startedAt, readyAt: Date.now(), refreshes, onRefresh: (listener) => void listeners.push(listener) };
    }
    await sleep(100);
  }
  const how = isRunning(child) ? `not ready within ${Math.round((Date.now() - startedAt) / 1000)} s` : `exited (${child.exitCode ?? child.signalCode})`;
  child.kill("SIGKILL");
  throw new Error(`the exporter ${how}${stderr ? `: ${tail(stderr)}` : ""}`);
}

/** Resolves with the first refresh logged after the first `seen` ones; throws if the exporter exits or none comes in time. */
export async function nextRefresh(exporter: ExporterProcess, seen: number, timeoutMs: number): Promise<RefreshLog> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && isRunning(exporter.child)) {
    const refresh = exporter.refreshes[seen];
    if (refresh) return refresh;
    await sleep(20);
  }
  throw new Error(isRunning(exporter.child) ? `no refresh within ${timeoutMs / 1000} s` : "the exporter exited");
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** The response body exactly as sent (fetch would decompress it). */
export function rawBody(url: string, headers: Readonly<Record<string, string>>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: ${response.statusCode}`))));
    }).on("error", reject);
  });
}

/** The simulator's control API (see src/simulator/control.ts). */
export async function control(simulatorUrl: string, path: string, body: unknown = {}, method = "POST"): Promise<unknown> {
  const response = await fetch(`${simulatorUrl}_control/${path}`, { method, ...(method === "POST" ? { body: JSON.stringify(body) } : {}) });
  if (!response.ok) throw new Error(`simulator control ${method} ${path}: ${response.status}`);
  return response.json();
}

const recordedRequests = z.array(z.object({ at: z.number(), endpoint: z.string(), status: z.number() }));

/** Every request the simulator has answered since its last reset, in order. */
export async function simulatorRequests(simulatorUrl: string): Promise<Array<{ at: number; endpoint: string; status: number }>> {
  return recordedRequests.parse(await control(simulatorUrl, "requests", undefined, "GET"));
}

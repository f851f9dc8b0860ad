import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exporterEnvFor } from "../../src/simulator/exporter-env.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, freePort, sampleValue, startTestSimulator } from "../helpers.js";
import { chartMemoryLimitMiB, imageMallocArenaMax, imageNodeOptionsFor } from "../image/image-heap.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const TENANTS = 100_000;
const PAGE_SIZE = 500;
/** The chart's scrapeTimeout: a scrape slower than this is a failed scrape to Prometheus. */
const SCRAPE_TIMEOUT_MS = 10_000;
const LIMIT_MIB = chartMemoryLimitMiB();

interface Scrape {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly bytes: number;
}

/** One scrape as Prometheus sends it (OpenMetrics, gzip), counting the bytes as sent: fetch would inflate 70 MB each time. */
function scrape(url: string): Promise<Scrape> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: "application/openmetrics-text; version=1.0.0", "accept-encoding": "gzip" }, timeout: SCRAPE_TIMEOUT_MS }, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => resolve({ start, end: Date.now(), status: response.statusCode ?? 0, bytes }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${SCRAPE_TIMEOUT_MS} ms`)));
    request.on("error", reject);
  });
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

// The built CLI with the V8 settings the image derives from the chart's default memory limit, at
// 100,000 tenants in pages of 500, refreshing every 20 s while it is scraped (a refresh of 100,000
// tenants takes 4-6 s here against a local simulator; the deadline is half the interval).
describe(`${TENANTS} customer tenants in the image's configuration under the chart's default memory limit (${LIMIT_MIB} MiB)`, () => {
  let sim: Simulator;
  let exporter: ChildProcess;
  let base = "";
  let stdout = "";
  let stderr = "";
  const refreshesSucceeded = (): number => stdout.split("\n").filter((line) => line.includes('"msg":"refresh succeeded"')).length;

  beforeAll(async () => {
    sim = await startTestSimulator({ tenants: TENANTS, pageSize: PAGE_SIZE, driftPeriodMs: 1e12 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    exporter = spawn(process.execPath, [CLI], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "",
        NODE_OPTIONS: imageNodeOptionsFor(LIMIT_MIB),
        MALLOC_ARENA_MAX: imageMallocArenaMax(),
        ...exporterEnvFor(sim, { tenantId: "t", clientId: "c", clientSecret: "s" }),
        PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`,
        PSE_REFRESH_INTERVAL: "20s",
        PSE_LOG_LEVEL: "info",
      },
    });
    exporter.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    exporter.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  });

  afterAll(async () => {
    if (exporter.exitCode === null && exporter.signalCode === null) {
      const exited = new Promise((resolve) => exporter.once("exit", resolve));
      exporter.kill("SIGTERM");
      await exited;
    }
    await sim.close();
  });

  it("stays up, answers every scrape during a refresh and exposes every tenant after it", async () => {
    const exited = (): boolean => exporter.exitCode !== null || exporter.signalCode !== null;
    const first = await eventually("the first refresh", async () => (exited() ? "exited" : (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) ? "ready" : undefined), 40_000);
    // A heap too small for the data ends the process with "JavaScript heap out of memory" on stderr.
    expect(stderr).toBe("");
    expect(first).toBe("ready");
    // Readiness arrives over HTTP, the log line over the stdout pipe: either may come first.
    await eventually("the first refresh's log line", () => Promise.resolve(refreshesSucceeded() >= 1 ? true : undefined), 5_000);
    expect(refreshesSucceeded()).toBe(1);

    // Scrapes one after another, as a Prometheus would, until the second refresh has been published.
    const scrapes: Scrape[] = [];
    const until = Date.now() + 40_000;
    while (refreshesSucceeded() < 2 && Date.now() < until && !exited()) scrapes.push(await scrape(`${base}/metrics`));
    expect(stderr).toBe("");
    expect(exited()).toBe(false);
    expect(refreshesSucceeded()).toBe(2);
    expect(scrapes.filter((s) => s.status !== 200 || s.bytes === 0)).toEqual([]);

    // The second refresh ran from its score request until its last customerInsights page at least;
    // scrapes answered inside that window were served while the refresh read 100,000 tenants.
    const requests = sim.requests();
    const secondStart = requests.filter((r) => r.endpoint === "securityScore")[1]?.at ?? Number.NaN;
    const secondPages = requests.filter((r) => r.endpoint === "customerInsights" && r.at >= secondStart);
    expect(secondPages).toHaveLength(TENANTS / PAGE_SIZE);
    const lastPage = secondPages.at(-1)?.at ?? Number.NaN;
    expect(scrapes.filter((s) => s.start >= secondStart && s.end <= lastPage).length).toBeGreaterThanOrEqual(3);

    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sampleValue(text, "partner_security_customer_tenants")).toBe(TENANTS);
    const tenants = new Set([...text.matchAll(/^partner_security_customer_users\{customer_tenant_id="([^"]+)"\} /gm)].map((match) => match[1]));
    expect(tenants.size).toBe(TENANTS);

    // Resident memory at its peak (start-up, both refreshes and every scrape) stayed under the limit
    // the kernel would enforce.
    expect(peakRssMiB(exporter.pid)).toBeLessThan(LIMIT_MIB);
  }, 90_000);
});

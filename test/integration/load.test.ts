import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/main.js";
import { eventually, startTestExporter } from "../helpers.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const WORKER = fileURLToPath(new URL("./load-worker.mjs", import.meta.url));

interface Observation {
  status: number;
  generation?: number;
  graphDigest?: string;
  customers?: number;
  customerTenants?: number;
  parseable?: boolean;
}

let simulatorProcess: ChildProcess;
let simulatorUrl: string;
let exporter: RunningExporter;
const dir = mkdtempSync(join(tmpdir(), "pse-load-"));

beforeAll(async () => {
  // The simulator runs in its own process with the certificate this worker trusts, so only the
  // exporter runs on the thread whose event loop is measured.
  const tlsDir = process.env.PSE_TEST_TLS_DIR ?? "";
  simulatorProcess = spawn(
    process.execPath,
    [CLI, "simulate", "--port", "0", "--tenants", "1000", "--page-size", "500", "--drift-period", "100000", "--ca-file", join(dir, "ca.pem"), "--tls-cert", join(tlsDir, "cert.pem"), "--tls-key", join(tlsDir, "key.pem")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  simulatorProcess.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  simulatorUrl = await eventually("the simulator", () => /listening on (https:\/\/\S+)/.exec(stdout)?.[1], 20_000);
  exporter = await startTestExporter({ url: simulatorUrl, authorityHost: simulatorUrl.replace(/\/$/, "") });
}, 30_000);

afterAll(async () => {
  await exporter.close();
  const exited = new Promise((resolve) => simulatorProcess.once("exit", resolve));
  simulatorProcess.kill("SIGTERM");
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

describe("scrapes under load while refreshes swap snapshots", () => {
  it("answers every scrape with one whole snapshot, no 5xx, and no event-loop stall over 100 ms", async () => {
    const durationMs = 4000;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const load = new Worker(WORKER, { workerData: { url: `${exporter.url}/metrics`, workers: 8, maxRequests: 4000, durationMs } });
    const observed = new Promise<Observation[]>((resolve, reject) => {
      load.once("message", resolve);
      load.once("error", reject);
    });
    const deadline = Date.now() + durationMs;
    let refreshes = 0;
    while (Date.now() < deadline) {
      await fetch(`${simulatorUrl}_control/tenants`, { method: "POST", body: JSON.stringify({ count: 900 + ((refreshes * 37) % 200) }) });
      await exporter.poller.refreshNow();
      refreshes++;
    }
    const observations = await observed;
    delay.disable();
    await load.terminate();

    expect(refreshes).toBeGreaterThan(2);
    expect(observations.length).toBeGreaterThan(20);
    expect(observations.filter((o) => o.status !== 200)).toEqual([]);
    expect(observations.filter((o) => !o.parseable)).toEqual([]);
    // Each body carries exactly one snapshot: its tenant series match its own tenant count,
    // and every body of one generation has the same Graph-derived content.
    expect(observations.filter((o) => o.customers !== o.customerTenants)).toEqual([]);
    const digests = new Map<number | undefined, Set<string | undefined>>();
    for (const o of observations) digests.set(o.generation, (digests.get(o.generation) ?? new Set()).add(o.graphDigest));
    expect([...digests.values()].every((set) => set.size === 1)).toBe(true);
    expect(digests.size).toBeGreaterThan(2);
    expect(delay.max / 1e6).toBeLessThan(100);
  });
});

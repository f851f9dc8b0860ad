import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, freePort } from "../helpers.js";

export const JOB = "partner-security-exporter";

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a real server binary on loopback in a temporary folder; stop() kills it by PID and removes the folder. */
async function startServer(binary: string, args: (dir: string, port: number) => string[], files: (dir: string) => void, readyPath: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `pse-${binary}-`));
  files(dir);
  const port = await freePort();
  const child: ChildProcess = spawn(binary, args(dir, port), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(`${binary} ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${binary} exited with ${child.exitCode}: ${stderr}`);
      return (await fetch(`${url}${readyPath}`)).ok ? true : undefined;
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

export interface RunningPrometheus extends Server {
  /** Instant query; the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
}

export interface PrometheusOptions {
  /** Rule file contents to load. */
  readonly rules?: string;
  /** host:port of an Alertmanager to send alerts to. */
  readonly alertmanager?: string;
  /** Extra lines of the scrape job (scheme, tls_config, basic_auth), indented four spaces. */
  readonly scrape?: readonly string[];
}

/** A real Prometheus (Debian package) on loopback with temporary storage, scraping `target` every second. */
export async function startPrometheus(target: string, options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    ...(options.rules ? ["rule_files:", "  - alerts.yml"] : []),
    ...(options.alertmanager ? ["alerting:", "  alertmanagers:", "    - static_configs:", `        - targets: ["${options.alertmanager}"]`] : []),
    "scrape_configs:",
    `  - job_name: ${JOB}`,
    ...(options.scrape ?? []),
    "    static_configs:",
    `      - targets: ["${target}"]`,
    "",
  ].join("\n");
  const server = await startServer(
    "prometheus",
    (dir, port) => [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    (dir) => {
      writeFileSync(join(dir, "prometheus.yml"), config);
      if (options.rules) writeFileSync(join(dir, "alerts.yml"), options.rules);
    },
    "/-/ready",
  );
  return {
    ...server,
    async query(expr) {
      const response = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== "success" || !body.data) throw new Error(`query ${expr} failed: ${body.error ?? response.status}`);
      return body.data.result;
    },
  };
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

export interface RunningAlertmanager extends Server {
  /** host:port, for Prometheus' alerting config. */
  readonly address: string;
  alerts(): Promise<AlertmanagerAlert[]>;
}

/** A real Alertmanager (Debian package prometheus-alertmanager) on loopback, gossip off. */
export async function startAlertmanager(): Promise<RunningAlertmanager> {
  const config = ["route:", "  receiver: blackhole", "  group_wait: 1s", "  group_interval: 1s", "receivers:", "  - name: blackhole", ""].join("\n");
  const server = await startServer(
    "prometheus-alertmanager",
    (dir, port) => [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"],
    (dir) => writeFileSync(join(dir, "alertmanager.yml"), config),
    "/-/ready",
  );
  return {
    ...server,
    address: new URL(server.url).host,
    async alerts() {
      return (await (await fetch(`${server.url}/api/v2/alerts`)).json()) as AlertmanagerAlert[];
    },
  };
}

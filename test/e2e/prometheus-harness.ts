import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { eventually, freePort, requireTool } from "../helpers.js";

export const JOB = "partner-security-exporter";

export interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a real server binary on loopback in a temporary folder; stop() kills it by PID and removes the folder. */
export async function startServer(binary: string, args: (dir: string, port: number) => string[], files: (dir: string) => void, readyPath: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `pse-${basename(binary)}-`));
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

/** An alert as Prometheus' /api/v1/alerts lists it: pending or firing. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
  /** When the alert became active (RFC 3339); it restarts when the alert's series goes away. */
  activeAt: string;
  value: string;
}

export interface RunningPrometheus extends Server {
  /** Instant query; the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** The active alerts of the loaded rules. */
  alerts(): Promise<PrometheusAlert[]>;
}

export interface PrometheusOptions {
  /** Rule file contents to load. */
  readonly rules?: string;
  /** host:port of an Alertmanager to send alerts to. */
  readonly alertmanager?: string;
  /** Extra lines of the scrape job (scheme, tls_config, basic_auth), indented four spaces. */
  readonly scrape?: readonly string[];
  /** Labels the target gets, as service discovery would add them (prometheus-operator's `endpoint`, `pod`). */
  readonly targetLabels?: Readonly<Record<string, string>>;
}

/** A real Prometheus (the first on PATH) on loopback with temporary storage, scraping `target` every second. */
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
    ...(options.targetLabels ? ["        labels:", ...Object.entries(options.targetLabels).map(([name, value]) => `          ${name}: ${JSON.stringify(value)}`)] : []),
    "",
  ].join("\n");
  return launchPrometheus((dir) => {
    writeFileSync(join(dir, "prometheus.yml"), config);
    if (options.rules) writeFileSync(join(dir, "alerts.yml"), options.rules);
  });
}

/** A file_sd target group: addresses and the labels (meta labels included) every one of them gets. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface FileSdPrometheusOptions {
  /** Rule file contents to load. */
  readonly rules?: string;
  /** The scrape job, given the path of the file_sd file it is to read its targets from. */
  readonly scrapeJob: (sdFile: string) => Record<string, unknown>;
  readonly targets?: readonly TargetGroup[];
}

export interface FileSdPrometheus extends RunningPrometheus {
  /**
   * Replaces the discovered targets, as a Kubernetes rollout changes a Service's endpoints.
   * Prometheus applies discovery changes every 5 seconds.
   */
  setTargets(groups: readonly TargetGroup[]): void;
}

/** A real Prometheus whose one scrape job finds its targets in a file (file_sd), every second. */
export async function startPrometheusWithFileSd(options: FileSdPrometheusOptions): Promise<FileSdPrometheus> {
  let sdFile = "";
  const setTargets = (groups: readonly TargetGroup[]): void => {
    // Whole or not at all: Prometheus may read the file while it is being written.
    writeFileSync(`${sdFile}.tmp`, JSON.stringify(groups));
    renameSync(`${sdFile}.tmp`, sdFile);
  };
  const running = await launchPrometheus((dir) => {
    sdFile = join(dir, "targets.json");
    setTargets(options.targets ?? []);
    const config = {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      ...(options.rules ? { rule_files: ["alerts.yml"] } : {}),
      scrape_configs: [options.scrapeJob(sdFile)],
    };
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    if (options.rules) writeFileSync(join(dir, "alerts.yml"), options.rules);
  });
  return { ...running, setTargets };
}

async function launchPrometheus(files: (dir: string) => void): Promise<RunningPrometheus> {
  const server = await startServer(
    "prometheus",
    (dir, port) => [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    files,
    "/-/ready",
  );
  async function api<T>(path: string, what: string): Promise<T> {
    const response = await fetch(`${server.url}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; error?: string; data?: T };
    if (body.status !== "success" || !body.data) throw new Error(`${what} failed: ${body.error ?? response.status}`);
    return body.data;
  }
  return {
    ...server,
    async query(expr) {
      return (await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`query?query=${encodeURIComponent(expr)}`, `query ${expr}`)).result;
    },
    async alerts() {
      return (await api<{ alerts: PrometheusAlert[] }>("alerts", "alerts")).alerts;
    },
  };
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `suppressed` with the fingerprints of the alerts that inhibit it in `inhibitedBy`. */
  status: { state: string; inhibitedBy?: string[] };
  fingerprint?: string;
}

export interface RunningAlertmanager extends Server {
  /** host:port, for Prometheus' alerting config. */
  readonly address: string;
  alerts(): Promise<AlertmanagerAlert[]>;
}

/** A real Alertmanager (`alertmanager`, or Debian's `prometheus-alertmanager`) on loopback, gossip off; `config` defaults to one that routes everything nowhere. */
export async function startAlertmanager(
  config = ["route:", "  receiver: blackhole", "  group_wait: 1s", "  group_interval: 1s", "receivers:", "  - name: blackhole", ""].join("\n"),
): Promise<RunningAlertmanager> {
  const server = await startServer(
    requireTool("alertmanager"),
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

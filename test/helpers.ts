import type { TokenCredential } from "@azure/identity";
import { Writable } from "node:stream";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach } from "vitest";
import type { Logger } from "pino";
import { loadConfig } from "../src/config.js";
import type { Flags } from "../src/config.js";
import { startExporter } from "../src/main.js";
import type { ExporterOptions, RunningExporter } from "../src/main.js";
import { exporterEnvFor } from "../src/simulator/exporter-env.js";
import type { SimulatedClient, SimulatorAddress } from "../src/simulator/exporter-env.js";
import { startSimulator } from "../src/simulator/simulator.js";
import type { Simulator, SimulatorOptions } from "../src/simulator/simulator.js";
import type { TlsIdentity } from "../src/simulator/tls.js";

/** The certificate global-setup made and this worker already trusts. */
export function testTls(): TlsIdentity {
  const dir = process.env.PSE_TEST_TLS_DIR;
  if (!dir) throw new Error("PSE_TEST_TLS_DIR is not set: run the tests through vitest (test/global-setup.ts)");
  return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
}

export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ tls: testTls(), ...options });
}

/**
 * A fresh simulator for each test of the calling file, closed after it. The returned function gives
 * the current test's simulator.
 */
export function simulatorPerTest(options: SimulatorOptions = {}): () => Simulator {
  let current: Simulator | undefined;
  beforeEach(async () => {
    current = await startTestSimulator(options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("no simulator outside a test");
    return current;
  };
}

/** Polls until `check` returns a value, or fails with `what` after the deadline. */
/**
 * A credential that gets real tokens from the simulator's Entra ID (client credentials), for tests
 * of the Graph client below the credential layer. `simulator` is read on each call, as tests start a
 * fresh one per test; `onToken` hears of each token fetched.
 */
export function simulatorCredential(simulator: () => SimulatorAddress, onToken: () => void = () => undefined): TokenCredential {
  return {
    async getToken() {
      onToken();
      const response = await fetch(`${simulator().authorityHost}/partner/oauth2/v2.0/token`, { method: "POST", body: "client_id=c&client_secret=s" });
      const body = (await response.json()) as { access_token: string };
      return { token: body.access_token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 10_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`);
}

/** The value of one sample in an exposition, or undefined when the series is absent. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      const text = match[4] ?? "";
      return text === "+Inf" ? Number.POSITIVE_INFINITY : text === "-Inf" ? Number.NEGATIVE_INFINITY : Number(text);
    }
  }
  return undefined;
}

/** Every series name:labels line of an exposition, without comments. */
export function seriesLines(exposition: string): string[] {
  return exposition.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

/** The names a tool goes by: Debian installs the upstream `alertmanager` as `prometheus-alertmanager`. */
const TOOL_NAMES: Readonly<Record<string, readonly string[]>> = { alertmanager: ["alertmanager", "prometheus-alertmanager"] };

/**
 * The path of a real tool, found the way a shell finds it: the first PATH directory that holds it
 * under any of its names. So CI picks Prometheus 3 or Debian's 2.42 by what it puts first on PATH.
 */
export function toolPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const candidate of TOOL_NAMES[name] ?? [name]) {
      const path = join(dir, candidate);
      try {
        accessSync(path, constants.X_OK);
        if (statSync(path).isFile()) return path;
      } catch {
        // not here: try the next name and directory
      }
    }
  }
  return undefined;
}

/** The path of a tool the calling test already checked with hasTool. */
export function requireTool(name: string): string {
  const path = toolPath(name);
  if (!path) throw new Error(`${name} is not on PATH`);
  return path;
}

/**
 * Whether a real tool is on PATH. Locally a missing tool skips its tests; under CI=true it fails
 * them, so a green CI never hides a skipped real-tool check.
 */
export function hasTool(name: string): boolean {
  const found = toolPath(name) !== undefined;
  if (!found && process.env.CI === "true") throw new Error(`${name} is required when CI=true but is not on PATH`);
  return found;
}

/** Runs `promtool check metrics` on an exposition; returns its exit status and output. */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A port nothing listens on right now, for a child process that must be told its port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A pino destination that keeps every line, for tests that read the logs. */
export function captureLogs(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { lines, stream };
}

export interface TestExporterOptions extends Omit<ExporterOptions, "config" | "logger"> {
  /** Flags on top of a listen address of 127.0.0.1:0 and a refresh interval of 1 h. */
  readonly flags?: Flags;
  /** The client secret credential; a tenant "partner" by default. */
  readonly client?: Partial<SimulatedClient>;
  /** Silent by default. */
  readonly logger?: Logger;
  /** Whether to resolve only once the first refresh has finished (default true). */
  readonly awaitFirstRefresh?: boolean;
}

/** An exporter in this process against a simulator: how every integration and end-to-end test sets one up. */
export async function startTestExporter(simulator: SimulatorAddress, options: TestExporterOptions = {}): Promise<RunningExporter> {
  const { flags, client, logger, awaitFirstRefresh = true, ...seams } = options;
  const env = exporterEnvFor(simulator, { tenantId: "partner", clientId: "client", clientSecret: "secret", ...client });
  const config = loadConfig({ listenAddress: "127.0.0.1:0", refreshInterval: "1h", ...flags }, env);
  const exporter = await startExporter({ config, logger: logger ?? pino({ level: "silent" }), ...seams });
  if (awaitFirstRefresh) await exporter.poller.firstRefresh;
  return exporter;
}

/** The Graph-derived lines of an exposition: what "the snapshot" looks like to Prometheus. */
export function graphPart(exposition: string): string[] {
  return seriesLines(exposition).filter((line) => line.startsWith("partner_security_") && !line.startsWith("partner_security_exporter_"));
}

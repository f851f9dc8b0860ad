#!/usr/bin/env node
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { ConfigError, SETTINGS, describeConfig, loadConfig } from "./config.js";
import type { Flags } from "./config.js";
import { backfillHistory, parseLabels, parseUntil } from "./backfill/backfill.js";
import { createLogger } from "./log.js";
import { startExporter } from "./main.js";
import { exporterEnvFor } from "./simulator/exporter-env.js";
import type { startSimulator } from "./simulator/simulator.js";
import { readBuildInfo } from "./version.js";

const NAME = "partner-security-exporter";

function withSettings(command: Command): Command {
  for (const setting of SETTINGS) {
    command.addOption(new Option(`${setting.flag} <value>`, `${setting.description} (env ${setting.env}, default ${setting.fallback})`));
  }
  return command;
}

function flagsOf(command: Command): Flags {
  const values: Record<string, unknown> = command.opts();
  const flags: Flags = {};
  for (const setting of SETTINGS) {
    const value = values[setting.key];
    if (typeof value === "string") flags[setting.key] = value;
  }
  return flags;
}

/**
 * Only `simulate` and `demo` need the simulator; loaded then, so the exporter's serving thread never
 * holds its modules (and selfsigned's certificate code).
 */
function loadSimulator(): Promise<{ startSimulator: typeof startSimulator }> {
  return import("./simulator/simulator.js");
}

/** Stops start-up with exit code 2 and one line, as a broken config must. */
function exitWithConfigError(message: string): never {
  process.stderr.write(`${NAME}: ${message.split("\n")[0] ?? message}\n`);
  process.exit(2);
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${NAME}: ${signal} received, shutting down\n`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${NAME}: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}

async function run(command: Command): Promise<void> {
  const config = loadConfig(flagsOf(command));
  const logger = createLogger(config.logLevel, config.logFormat);
  const exporter = await startExporter({ config, logger });
  process.on("SIGHUP", () => {
    exporter.reloadWebConfig();
  });
  onShutdown(() => exporter.close());
}

/** `backfill`: the score history as OpenMetrics, to a file or stdout; exit 1 when there is nothing to write. */
async function backfill(command: Command): Promise<void> {
  const options: { output: string; label: string[]; until?: string } = command.opts();
  const config = loadConfig(flagsOf(command));
  const labels = parseLabels(options.label);
  const untilSeconds = parseUntil(options.until, Date.now());
  const warn = (message: string): void => void process.stderr.write(`${NAME}: warning: ${message}\n`);
  try {
    const { text, entries } = await backfillHistory(config, { labels, untilSeconds }, warn);
    if (options.output === "-") process.stdout.write(text);
    else writeFileSync(options.output, text);
    process.stderr.write(`${NAME}: wrote ${entries} history entries${options.output === "-" ? "" : ` to ${options.output}`}\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${NAME}: backfill failed: ${message.split("\n")[0] ?? message}\n`);
    process.exit(1);
  }
}

function intOption(name: string, min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(name, `"${text}" is not a whole number ≥ ${min}`);
    return value;
  };
}

async function simulate(options: { port: number; tenants: number; pageSize: number; seed: number; caFile: string; driftPeriod: number; tlsCert?: string; tlsKey?: string }): Promise<void> {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new ConfigError("--tls-cert/--tls-key", "give both or neither");
  const tls = options.tlsCert && options.tlsKey ? { cert: readFileSync(options.tlsCert, "utf8"), key: readFileSync(options.tlsKey, "utf8") } : undefined;
  const { startSimulator } = await loadSimulator();
  const simulator = await startSimulator({
    ...(tls ? { tls } : {}),
    port: options.port,
    tenants: options.tenants,
    pageSize: options.pageSize,
    seed: options.seed,
    caFile: options.caFile,
    driftPeriodMs: options.driftPeriod * 1000,
  });
  process.stdout.write(
    [
      `Graph simulator listening on ${simulator.url}`,
      `Certificate to trust: ${options.caFile}`,
      "Run the exporter against it with:",
      `  NODE_EXTRA_CA_CERTS=${options.caFile} PSE_GRAPH_BASE_URL=${simulator.url} AZURE_AUTHORITY_HOST=${simulator.authorityHost} \\`,
      `  AZURE_TENANT_ID=simulated AZURE_CLIENT_ID=simulated AZURE_CLIENT_SECRET=simulated ${NAME}`,
      "",
    ].join("\n"),
  );
  onShutdown(() => simulator.close());
}

async function waitForReady(url: string, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** The simulator in this process and the real exporter in a child that trusts its certificate. */
async function demo(options: { listenAddress: string; tenants: number; refreshInterval: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pse-demo-"));
  const caFile = join(dir, "simulator-ca.pem");
  const { startSimulator } = await loadSimulator();
  const simulator = await startSimulator({ tenants: options.tenants, pageSize: 100, caFile, driftPeriodMs: 10_000 });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      // The demo shows what a CSP team triages with: names and GDAP relationships (alerts are on by default).
      PSE_CUSTOMER_NAMES: "gdap",
      ...process.env,
      NODE_EXTRA_CA_CERTS: caFile,
      ...exporterEnvFor(simulator, { tenantId: "demo-tenant", clientId: "demo-client", clientSecret: "demo-secret" }),
      PSE_LISTEN_ADDRESS: options.listenAddress,
      PSE_REFRESH_INTERVAL: options.refreshInterval,
      PSE_LOG_FORMAT: "pretty",
    },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  };
  child.once("exit", (code) => {
    if (code !== 0 && code !== null) {
      void simulator.close().then(() => process.exit(code));
    }
  });
  onShutdown(stop);
  const [host = "127.0.0.1", port = "9717"] = options.listenAddress.split(/:(?=\d+$)/);
  const base = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  if (await waitForReady(`${base}/readyz`, 30_000)) {
    process.stdout.write(`\nDemo running: ${options.tenants} simulated customer tenants with names, GDAP relationships and security alerts, data drifting every 10s.\nMetrics: ${base}/metrics\nPress Ctrl-C to stop.\n\n`);
  }
}

function buildProgram(): Command {
  const program = new Command(NAME)
    .description("Prometheus exporter for the Microsoft Graph (beta) partner security score")
    .version(readBuildInfo().version)
    .exitOverride()
    .addHelpText(
      "after",
      `\nSettings of run and check-config (flag, environment variable, default):\n${SETTINGS.map((s) => `  ${s.flag.padEnd(20)} ${s.env.padEnd(22)} ${s.fallback}`).join("\n")}\n  plus the standard AZURE_* variables of @azure/identity (see README).\n`,
    );

  withSettings(program.command("run", { isDefault: true }).description("serve /metrics, refreshing from Microsoft Graph in the background (default)")).action(
    async (_options: unknown, command: Command) => run(command),
  );

  withSettings(program.command("check-config").description("validate flags and environment, then exit 0 (valid) or 2 (invalid)")).action(
    (_options: unknown, command: Command) => {
      const config = loadConfig(flagsOf(command));
      process.stdout.write(`configuration is valid: ${JSON.stringify(describeConfig(config))}\n`);
    },
  );

  withSettings(program.command("backfill").description("write the score history as OpenMetrics for promtool tsdb create-blocks-from openmetrics (README: Backfill)"))
    .requiredOption("--output <file>", "where to write; - for stdout")
    .option("--label <name=value>", "label of every written series, e.g. job=partner-security-exporter (repeatable)", (value: string, all: string[]) => [...all, value], [])
    .option("--until <date-time>", "write only entries before this time (default: now), so none overlaps live samples")
    .action(async (_options: unknown, command: Command) => backfill(command));

  program
    .command("simulate")
    .description("run the Graph and Entra ID simulator over HTTPS (for demos and tests)")
    .option("--port <port>", "port on 127.0.0.1 (0 = any free port)", intOption("--port", 0), 8443)
    .option("--tenants <n>", "simulated customer tenants", intOption("--tenants", 0), 50)
    .option("--page-size <n>", "page size of every collection", intOption("--page-size", 1), 100)
    .option("--seed <n>", "seed of the deterministic data", intOption("--seed", 0), 1)
    .option("--drift-period <seconds>", "seconds between data drift steps", intOption("--drift-period", 1), 60)
    .option("--ca-file <path>", "where to write the certificate to trust", join(tmpdir(), "partner-security-simulator-ca.pem"))
    .option("--tls-cert <file>", "serve this certificate (PEM) instead of a fresh self-signed one")
    .option("--tls-key <file>", "the key of --tls-cert (PEM)")
    .action(simulate);

  program
    .command("demo")
    .description("start the simulator and the exporter against it")
    .option("--listen-address <host:port>", "where the exporter listens", "127.0.0.1:9717")
    .option("--tenants <n>", "simulated customer tenants", intOption("--tenants", 0), 50)
    .option("--refresh-interval <duration>", "exporter refresh interval", "10s")
    .action(demo);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof ConfigError) exitWithConfigError(error.message);
  exitWithConfigError(error instanceof Error ? error.message : String(error));
}

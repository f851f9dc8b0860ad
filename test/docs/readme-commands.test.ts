import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, hasTool, sampleValue, startTestSimulator } from "../helpers.js";

/*
 * The fenced shell blocks of README.md and the chart README, run as written (bash -e) in a fresh
 * copy of the repository after replacing the documented placeholders. Commands that cannot run on
 * a build machine are replaced by a recording stub (test/docs/tool-stub.mjs), and what they were
 * given is checked against the chart and the repository instead:
 */
const CANNOT_RUN_HERE = {
  docker: "no container engine on the build machines; the image's runtime stage is proven by test/image/runtime-layout.test.ts",
  az: "needs an Azure subscription",
  kubectl: "needs a cluster",
  helm: "`helm install` and `helm upgrade` need a cluster: the same arguments go to the real `helm template` (other helm commands run as they are)",
  npm: "`npm test`, `npm run lint` and `npm run typecheck` are what .ci/run itself runs on the checkout (every other npm command runs as it is)",
  bash: "`bash .ci/run` is the CI run this test is part of",
} as const;
type StubbedTool = keyof typeof CANNOT_RUN_HERE;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHART_README = "helm/partner-security-exporter/README.md";
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

const PLACEHOLDERS: Record<string, string> = {
  "<partner tenant id>": "00000000-0000-0000-0000-000000000001",
  "<app id>": "00000000-0000-0000-0000-000000000002",
  "<secret>": "not-a-real-secret",
  "<your registry>": "registry.example.test",
  "<repository URL>": "https://github.com/example/partner-security-exporter",
  "<org>": "example",
  "<oidc issuer url>": "https://oidc.example.test/issuer/",
  "<release>": "kube-prometheus-stack",
  "<time of the first live scrape, RFC 3339>": "2026-12-01T00:00:00Z",
};
const BUILT_IMAGE = `registry.example.test/partner-security-exporter:${PACKAGE_VERSION}`;

interface ShellBlock {
  file: string;
  line: number;
  text: string;
}

function fencedBlocks(file: string, language: string): ShellBlock[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^( *)```(\S*)$/.exec(lines[index] ?? "");
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const end = lines.findIndex((line, at) => at > index && line.trim() === "```");
    if (open[2] === language) blocks.push({ file, line: index + 1, text: lines.slice(index + 1, end).map((line) => line.slice(indent)).join("\n") });
    index = end;
  }
  return blocks;
}

const BLOCKS = [...fencedBlocks("README.md", "sh"), ...fencedBlocks(CHART_README, "sh")];
const claimed = new Set<ShellBlock>();

/**
 * The one block of `file` that starts with `start` (and contains `containing`); claimed, so the
 * last test can tell which blocks no test ran.
 */
function block(file: string, start: string, containing = ""): ShellBlock {
  const found = BLOCKS.filter((candidate) => candidate.file === file && candidate.text.startsWith(start) && candidate.text.includes(containing));
  if (found.length !== 1) throw new Error(`${file}: ${found.length} shell blocks start with ${JSON.stringify(start)}`);
  const [only] = found as [ShellBlock];
  claimed.add(only);
  return only;
}

function substitute(text: string, extra: Record<string, string> = {}): string {
  let script = text;
  for (const [placeholder, value] of Object.entries({ ...PLACEHOLDERS, ...extra })) script = script.split(placeholder).join(value);
  const left = /<[a-zA-Z][^<>\n]*>/.exec(script);
  if (left) throw new Error(`no documented value for the placeholder ${left[0]}`);
  return script;
}

interface ToolCall {
  tool: StubbedTool;
  args: string[];
  cwd: string;
  rendered?: string;
  status?: number;
}
interface BlockRun {
  status: number | null;
  output: string;
  calls: ToolCall[];
}

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

let work = "";
let copy = "";
let stubs = "";
let simulator: Simulator;
const enabled = hasTool("helm") && hasTool("promtool") && hasTool("git");

/** The repository's files as they are now (uncommitted changes too), in a git clone, as a user's checkout is. */
function repositoryFiles(): string[] {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  return listed.stdout.split("\0").filter((file) => file && existsSync(join(ROOT, file)));
}

function cloneRepository(into: string): void {
  const cloned = spawnSync("git", ["clone", "-q", ROOT, into], { encoding: "utf8" });
  if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
  for (const file of repositoryFiles()) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(into, file));
  }
}

function environment(stubbed: StubbedTool[], extra: Record<string, string>): NodeJS.ProcessEnv {
  const bin = join(work, `bin-${stubbed.join("-") || "none"}`);
  mkdirSync(bin, { recursive: true });
  for (const tool of stubbed) writeFileSync(join(bin, tool), `#!/bin/sh\nexec node ${join(ROOT, "test/docs/tool-stub.mjs")} ${tool} "$@"\n`, { mode: 0o755 });
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")));
  const which = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  return {
    ...inherited,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    DOCS_STUB_DIR: stubs,
    DOCS_STUB_REASONS: JSON.stringify(CANNOT_RUN_HERE),
    DOCS_REAL_HELM: which("helm"),
    DOCS_REAL_NPM: which("npm"),
    ...extra,
  };
}

function callsSoFar(): ToolCall[] {
  const file = join(stubs, "calls.jsonl");
  if (!existsSync(file)) return [];
  const calls = readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as ToolCall);
  rmSync(file);
  return calls;
}

interface RunOptions {
  stubs?: StubbedTool[];
  env?: Record<string, string>;
  extra?: Record<string, string>;
}

/** Runs a block to its end, as a user pasting it into bash would, but stopping at the first failing command. */
function runBlock(shell: ShellBlock, options: RunOptions = {}): Promise<BlockRun> {
  callsSoFar();
  const child = spawn("/bin/bash", ["-e", "-o", "pipefail", "-c", substitute(shell.text, options.extra)], { cwd: copy, env: environment(options.stubs ?? [], options.env ?? {}) });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.on("close", (status) => done({ status, output, calls: callsSoFar() })));
}

interface Running {
  child: ChildProcess;
  output: () => string;
  /** Sends the signal to the block's whole process group, as Ctrl-C in a terminal does, and waits until every process of it has ended. */
  stop: (signal: NodeJS.Signals) => Promise<void>;
}

/** Starts a block that runs until stopped (a server). */
function startBlock(shell: ShellBlock, options: RunOptions = {}): Running {
  const child = spawn("/bin/bash", ["-e", "-o", "pipefail", "-c", substitute(shell.text, options.extra)], { cwd: copy, env: environment(options.stubs ?? [], options.env ?? {}), detached: true });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.on("close", () => done()));
  return {
    child,
    output: () => output,
    stop: async (signal) => {
      if (groupAlive(child)) process.kill(-(child.pid ?? 0), signal);
      await exited;
      // bash itself ends at once; its children take their time to shut down.
      await eventually("every process of the block to end", () => (groupAlive(child) ? undefined : true), 20_000);
    },
  };
}

async function metricsAt(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Whether any process of a detached child's group still runs. */
function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-(child.pid ?? 0), 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

function renderedObjects(call: ToolCall | undefined): K8sObject[] {
  expect(call?.rendered, "helm install/upgrade was called").toBeDefined();
  return parseAllDocuments(readFileSync(call?.rendered ?? "", "utf8"))
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

function find(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.find((object) => object.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}
/** A workload's pod labels and its containers, init containers first. */
function podOf(object: K8sObject): { labels: Record<string, string>; containers: Container[] } {
  const template = (object.spec as { template: { metadata: { labels: Record<string, string> }; spec: { initContainers?: Container[]; containers: Container[] } } }).template;
  return { labels: template.metadata.labels, containers: [...(template.spec.initContainers ?? []), ...template.spec.containers] };
}

/** The value after a flag in a recorded call. */
function flag(call: ToolCall | undefined, name: string): string | undefined {
  const args = call?.args ?? [];
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

/** The arguments of a kubectl call that are neither flags nor flag values. */
function positional(args: string[]): string[] {
  const withValue = new Set(["-n", "--namespace", "-c", "--container", "-l", "--selector", "-o", "--output"]);
  return args.filter((arg, index) => !arg.startsWith("-") && !withValue.has(args[index - 1] ?? ""));
}

function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  return selector.split(",").every((pair) => {
    const [name = "", value] = pair.split("=");
    return labels[name] === value;
  });
}

beforeAll(async () => {
  if (!enabled) return;
  work = mkdtempSync(join(tmpdir(), "pse-docs-"));
  copy = join(work, "repository");
  stubs = join(work, "calls");
  mkdirSync(stubs);
  cloneRepository(copy);
  // The README's credentials: the simulator refuses any other client or secret.
  simulator = await startTestSimulator({ clients: { [PLACEHOLDERS["<app id>"] ?? ""]: PLACEHOLDERS["<secret>"] ?? "" } });
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!enabled).sequential("the README's shell blocks, run as written", () => {
  // Set by the blocks that produce them, checked by the ones that use them.
  let federatedSubject = "";
  let backfillFile = "";

  it("Quick start: npm run demo serves /metrics, the curl line reads the score, Ctrl-C stops both", async () => {
    const demo = startBlock(block("README.md", "npm ci && npm run demo"));
    try {
      await eventually("the demo to print its /metrics URL", () => (demo.output().includes("Metrics: http://127.0.0.1:9717/metrics") ? true : demo.child.exitCode === null ? undefined : Promise.reject(new Error(demo.output()))), 240_000);
      const curl = await runBlock(block("README.md", "curl -s http://127.0.0.1:9717/metrics"));
      expect(curl.status, curl.output).toBe(0);
      expect(curl.output).toMatch(/^partner_security_score \d/m);
      expect(curl.output).toMatch(/^partner_security_score_max \d/m);
    } finally {
      await demo.stop("SIGINT");
    }
    expect(demo.output()).toContain("SIGINT received, shutting down");
    expect(await portOpen(9717), "the exporter stopped").toBe(false);
  }, 300_000);

  it("Quick start: npm ci && npm test is what CI runs", async () => {
    const run = await runBlock(block("README.md", "npm ci && npm test"), { stubs: ["npm"] });
    expect(run.status, run.output).toBe(0);
    expect(run.calls.map((call) => call.args.join(" "))).toEqual(["test"]);
    expect(readFileSync(join(ROOT, ".ci/run"), "utf8")).toMatch(/\bnpm test\b/);
  }, 300_000);

  it("Running against Microsoft Graph: the exporter authenticates with the README's variables and serves the score", async () => {
    const metricsUrl = "http://127.0.0.1:9717/metrics";
    const exporter = startBlock(block("README.md", "npm ci && npm run build\nAZURE_TENANT_ID="), {
      // Where Graph and Entra ID are: what `partner-security-exporter simulate` prints.
      env: { PSE_GRAPH_BASE_URL: simulator.url, AZURE_AUTHORITY_HOST: simulator.authorityHost },
    });
    try {
      const metrics = await eventually(
        "the exporter to serve the score",
        async () => {
          if (exporter.child.exitCode !== null) throw new Error(exporter.output());
          const text = await metricsAt(metricsUrl);
          return text !== undefined && sampleValue(text, "partner_security_score") !== undefined ? text : undefined;
        },
        240_000,
      );
      expect(sampleValue(metrics, "partner_security_exporter_refresh_success")).toBe(1);
    } finally {
      await exporter.stop("SIGTERM");
    }
    expect(exporter.output()).toContain("SIGTERM received, shutting down");
  }, 300_000);

  it("Run the container: builds and pushes the tag the chart pulls, and runs the CLI with arguments it accepts", async () => {
    const run = await runBlock(block("README.md", "version=$(node -p"), { stubs: ["docker"] });
    expect(run.status, run.output).toBe(0);
    const [build, push, runSecret, runDemo] = run.calls;
    expect(run.calls.map((call) => call.args[0])).toEqual(["build", "push", "run", "run"]);
    expect(flag(build, "-t")).toBe(BUILT_IMAGE);
    expect(build?.args).toContain(`VERSION=${PACKAGE_VERSION}`);
    expect(build?.args.at(-1)).toBe(".");
    expect(push?.args).toEqual(["push", BUILT_IMAGE]);
    // The image's version label, the chart's appVersion and the tag: one version.
    const chart = parse(readFileSync(join(ROOT, "helm/partner-security-exporter/Chart.yaml"), "utf8")) as { appVersion: string };
    expect(chart.appVersion).toBe(PACKAGE_VERSION);
    expect(/^ARG VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1]).toBe(PACKAGE_VERSION);
    for (const call of [runSecret, runDemo]) expect(call?.args).toContain(BUILT_IMAGE);
    // What follows the image goes to the entrypoint (the CLI): its settings are ones it accepts.
    const cliArgs = runSecret?.args.slice(runSecret.args.indexOf(BUILT_IMAGE) + 1) ?? [];
    const env = Object.fromEntries((runSecret?.args ?? []).flatMap((arg, index, all) => (all[index - 1] === "-e" ? [arg.split("=") as [string, string]] : [])));
    const check = spawnSync("node", [join(copy, "dist/cli.js"), "check-config", ...cliArgs], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);
    expect(runDemo?.args.slice(runDemo.args.indexOf(BUILT_IMAGE) + 1)).toEqual(["demo", "--listen-address", "0.0.0.0:9717"]);
  }, 60_000);

  it("The compose demo stack: docker compose up in a folder that has the compose file", async () => {
    const run = await runBlock(block("README.md", "cd examples/compose && docker compose up"), { stubs: ["docker"] });
    expect(run.status, run.output).toBe(0);
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0]?.args).toEqual(["compose", "up", "--build"]);
    expect(existsSync(join(run.calls[0]?.cwd ?? "", "docker-compose.yml"))).toBe(true);
  });

  it("Install with Helm, step 3: the federated credential's subject", async () => {
    const run = await runBlock(block("README.md", "az ad app federated-credential create"), { stubs: ["az"] });
    expect(run.status, run.output).toBe(0);
    const parameters = JSON.parse(flag(run.calls[0], "--parameters") ?? "{}") as { subject: string; audiences: string[]; issuer: string };
    expect(parameters.audiences).toEqual(["api://AzureADTokenExchange"]);
    expect(parameters.issuer).toBe(PLACEHOLDERS["<oidc issuer url>"]);
    federatedSubject = parameters.subject;
  });

  it("Install with Helm, step 4: renders the built image, the service account step 3 federates, the rules, the dashboards and customer names", async () => {
    const run = await runBlock(block("README.md", "helm install pse", "serviceMonitor.enabled=true"), { stubs: ["helm"] });
    expect(run.status, run.output).toBe(0);
    const [install] = run.calls;
    const objects = renderedObjects(install);
    const deployment = find(objects, "Deployment");
    const [exporter] = podOf(deployment).containers;
    expect(exporter?.image).toBe(BUILT_IMAGE);
    expect(exporter?.env).toContainEqual({ name: "PSE_CUSTOMER_NAMES", value: "gdap" });
    const account = find(objects, "ServiceAccount");
    expect(federatedSubject).toBe(`system:serviceaccount:${flag(install, "-n") ?? ""}:${account.metadata.name}`);
    expect(account.metadata.annotations?.["azure.workload.identity/client-id"]).toBe(PLACEHOLDERS["<app id>"]);
    expect(find(objects, "ServiceMonitor").metadata.labels?.release).toBe("kube-prometheus-stack");
    const rule = find(objects, "PrometheusRule");
    expect(rule.metadata.labels?.release).toBe("kube-prometheus-stack");
    expect(JSON.stringify(rule.spec)).toContain('"runbook_url":"https://github.com/example/partner-security-exporter/blob/main/docs/alerts.md#');
    expect(objects.filter((object) => object.kind === "ConfigMap" && object.metadata.labels?.grafana_dashboard === "1").length).toBeGreaterThan(0);
  });

  it("Other credentials: the Secret kubectl creates is the one, and the key, the exporter reads its client secret from", async () => {
    const run = await runBlock(block("README.md", "kubectl -n monitoring create secret generic"), { stubs: ["kubectl", "helm"] });
    expect(run.status, run.output).toBe(0);
    const [create, install] = run.calls;
    expect(positional(create?.args ?? []).slice(0, 3)).toEqual(["create", "secret", "generic"]);
    const [name] = positional(create?.args ?? []).slice(3);
    const literal = create?.args.find((arg) => arg.startsWith("--from-literal="))?.slice("--from-literal=".length) ?? "";
    const key = literal.slice(0, literal.indexOf("="));
    expect(literal.slice(key.length + 1)).toBe(PLACEHOLDERS["<secret>"]);
    expect(flag(install, "-n")).toBe(flag(create, "-n"));
    const [exporter] = podOf(find(renderedObjects(install), "Deployment")).containers;
    expect(exporter?.image).toBe(BUILT_IMAGE);
    expect(exporter?.env).toContainEqual({ name: "AZURE_CLIENT_SECRET", valueFrom: { secretKeyRef: { name, key } } });
  });

  it("Other credentials: a certificate file reaches the exporter whole, lines intact", async () => {
    const pem = join(work, "client.pem");
    const certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    writeFileSync(pem, certificate);
    const run = await runBlock(block("README.md", "helm install pse", "credentials.mode=clientCertificate"), {
      stubs: ["helm"],
      extra: { "<certificate and key PEM file>": pem },
    });
    expect(run.status, run.output).toBe(0);
    const objects = renderedObjects(run.calls[0]);
    const secret = objects.find((object) => object.kind === "Secret") as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data["client-certificate.pem"] ?? "", "base64").toString("utf8")).toBe(certificate);
    const [exporter] = podOf(find(objects, "Deployment")).containers;
    expect(exporter?.env).toContainEqual({ name: "PSE_CREDENTIAL", value: "client-certificate" });
  });

  it("Grafana without the chart: mounts folders that exist where the provisioning looks", async () => {
    const run = await runBlock(block("README.md", "docker run -p 3000:3000"), { stubs: ["docker"] });
    expect(run.status, run.output).toBe(0);
    const mounts = run.calls[0]?.args.flatMap((arg, index, all) => (all[index - 1] === "-v" ? [arg.split(":") as [string, string]] : [])) ?? [];
    expect(mounts).toHaveLength(2);
    for (const [host] of mounts) expect(readdirSync(host).length, host).toBeGreaterThan(0);
    const provider = parse(readFileSync(join(ROOT, "grafana/provisioning/dashboards/partner-security.yml"), "utf8")) as { providers: Array<{ options: { path: string } }> };
    expect(mounts.map(([, container]) => container)).toContain(provider.providers[0]?.options.path);
    expect(mounts.find(([, container]) => container === provider.providers[0]?.options.path)?.[0]).toBe(join(copy, "grafana/dashboards"));
  });

  it("Backfill: writes the history as OpenMetrics with the label given", async () => {
    const run = await runBlock(block("README.md", "npx partner-security-exporter backfill"), {
      env: { PSE_GRAPH_BASE_URL: simulator.url, AZURE_AUTHORITY_HOST: simulator.authorityHost, AZURE_TENANT_ID: PLACEHOLDERS["<partner tenant id>"] ?? "", AZURE_CLIENT_ID: PLACEHOLDERS["<app id>"] ?? "", AZURE_CLIENT_SECRET: PLACEHOLDERS["<secret>"] ?? "" },
    });
    expect(run.status, run.output).toBe(0);
    backfillFile = join(work, "history.om");
    copyFileSync(join(copy, "history.om"), backfillFile);
    const text = readFileSync(backfillFile, "utf8");
    expect(text).toMatch(/^partner_security_history_score\{job="partner-security-exporter"[^}]*\} [\d.]+ \d+/m);
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
  }, 60_000);

  it("Backfill, locally: promtool writes blocks and they move into the data folder", async () => {
    const data = join(work, "prometheus-data");
    mkdirSync(data);
    const run = await runBlock(block("README.md", "promtool tsdb create-blocks-from openmetrics"), { extra: { "/path/to/prometheus/data/": `${data}/` } });
    expect(run.status, run.output).toBe(0);
    const moved = readdirSync(data);
    expect(moved.length).toBeGreaterThan(0);
    for (const id of moved) expect(existsSync(join(data, id, "meta.json")), id).toBe(true);
    expect(readdirSync(join(copy, "blocks"))).toEqual([]);
  }, 60_000);

  it("Backfill in Kubernetes: the Job, pod labels, containers and file path the kubectl lines name are the chart's, and every block reaches Prometheus under a temporary name first", async () => {
    rmSync(join(copy, "history.om"));
    rmSync(join(copy, "blocks"), { recursive: true, force: true });
    const pod = "pse-partner-security-exporter-backfill-x7k2p";
    const run = await runBlock(block("README.md", "helm upgrade pse ./helm/partner-security-exporter -n monitoring --reuse-values \\\n  --set backfill.enabled=true"), {
      stubs: ["helm", "kubectl"],
      env: { DOCS_POD_NAME: pod, DOCS_BACKFILL_FILE: backfillFile },
    });
    expect(run.status, run.output).toBe(0);
    const [enable, ...rest] = run.calls;
    const disable = rest.at(-1);
    const kubectl = rest.filter((call) => call.tool === "kubectl");
    const job = find(renderedObjects(enable), "Job");
    const { labels, containers } = podOf(job);
    const backfill = containers.find((container) => container.name === "backfill");
    expect(backfill?.image).toBe(BUILT_IMAGE);
    expect(backfill?.args).toEqual(expect.arrayContaining(["--until", "2026-12-01T00:00:00Z"]));
    const verbs = kubectl.map((call) => positional(call.args)[0]);
    expect(verbs.slice(0, 4)).toEqual(["wait", "logs", "get", "cp"]);
    const [wait, logs, get, copyOut] = kubectl;
    for (const call of [wait, get]) expect(selectorMatches(flag(call, "-l") ?? "", labels), call?.args.join(" ")).toBe(true);
    expect(logs?.args).toContain(`job/${job.metadata.name}`);
    for (const [call, container] of [
      [logs, "backfill"],
      [copyOut, "keep-alive"],
    ] as const) {
      expect(flag(call, "-c")).toBe(container);
      expect(containers.map((each) => each.name)).toContain(container);
    }
    const source = copyOut?.args.find((arg) => arg.includes(":/")) ?? "";
    expect(source.startsWith(`${pod}:`)).toBe(true);
    const written = source.slice(pod.length + 1);
    expect(backfill?.args?.[(backfill.args.indexOf("--output") ?? 0) + 1]).toBe(written);
    // The loop: one copy under a temporary name and one rename per block promtool wrote.
    const blocks = kubectl.slice(4);
    const ids = blocks.filter((call) => call.args.includes("exec")).map((call) => call.args.at(-1)?.replace("/prometheus/", ""));
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(blocks).toContainEqual(expect.objectContaining({ args: expect.arrayContaining(["cp", "-c", "prometheus", `prometheus-kube-prometheus-stack-prometheus-0:/prometheus/${id}.tmp`]) }));
      expect(existsSync(join(copy, "blocks", id ?? "", "meta.json"))).toBe(true);
    }
    expect(renderedObjects(disable).some((object) => object.kind === "Job")).toBe(false);
  }, 60_000);

  it("Development: the generators leave the repository as committed, the rule tests and golden tests pass, the rest is CI's own", async () => {
    const run = await runBlock(block("README.md", "npm ci\nnpm run lint"), { stubs: ["npm", "bash"] });
    expect(run.status, run.output).toBe(0);
    expect(run.calls.map((call) => `${call.tool} ${call.args.join(" ")}`)).toEqual(["npm run lint", "npm run typecheck", "npm test", "bash .ci/run"]);
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    for (const command of ["npm run lint", "npm run typecheck", "npm test"]) expect(ci).toContain(command);
    const changed = repositoryFiles().filter((file) => !readFileSync(join(copy, file)).equals(readFileSync(join(ROOT, file))));
    expect(changed, "files the documented commands rewrote differently").toEqual([]);
  }, 300_000);

  it("the chart README's install renders the image the README builds", async () => {
    const run = await runBlock(block(CHART_README, "helm install pse"), { stubs: ["helm"] });
    expect(run.status, run.output).toBe(0);
    const [exporter] = podOf(find(renderedObjects(run.calls[0]), "Deployment")).containers;
    expect(exporter?.image).toBe(BUILT_IMAGE);
  });

  it("the README's NetworkPolicy example opens its proxy and points the exporter at it", async () => {
    const [example] = fencedBlocks("README.md", "yaml").filter((candidate) => candidate.text.startsWith("networkPolicy:"));
    const values = join(work, "network-policy-values.yaml");
    writeFileSync(values, example?.text ?? "");
    const run = await runBlock({ file: "(test)", line: 0, text: `helm install pse ./helm/partner-security-exporter -n monitoring --set azure.tenantId=t --set azure.clientId=c --set image.repository=r/pse -f ${values}` }, { stubs: ["helm"] });
    expect(run.status, run.output).toBe(0);
    const objects = renderedObjects(run.calls[0]);
    const egress = (find(objects, "NetworkPolicy").spec as { egress: unknown[] }).egress;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: "10.20.0.5/32" } }], ports: [{ port: 3128, protocol: "TCP" }] });
    // The proxy the policy lets through is the one the exporter is told to use, as test/integration/proxy.test.ts needs it.
    const [exporter] = podOf(find(objects, "Deployment")).containers;
    expect(exporter?.env).toEqual(expect.arrayContaining([{ name: "HTTPS_PROXY", value: "http://10.20.0.5:3128" }, { name: "NODE_USE_ENV_PROXY", value: "1" }]));
  });

  it("runs or checks every shell block of README.md and the chart README", () => {
    const unclaimed = BLOCKS.filter((each) => !claimed.has(each)).map((each) => `${each.file}:${each.line} ${each.text.split("\n")[0] ?? ""}`);
    expect(unclaimed).toEqual([]);
  });
});

describe("the docs test's own parts", () => {
  it("finds every fenced shell block, indented ones in lists included", () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(12);
    expect(BLOCKS.some((each) => each.text.startsWith("az ad app federated-credential create"))).toBe(true);
  });

  it("refuses a block with a placeholder it has no value for", () => {
    expect(() => substitute("docker push <your registry>/x:<tag>")).toThrow("<tag>");
  });
});

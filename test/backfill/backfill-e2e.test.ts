import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exporterEnvFor } from "../../src/simulator/exporter-env.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { committedDashboards, panelsOf } from "../grafana/dashboard-model.js";
import { escapeValue, substitute } from "../grafana/grafana-variables.js";
import { hasTool, startTestSimulator } from "../helpers.js";
import { startServer } from "../e2e/prometheus-harness.js";

// The backfill end to end with the real tools: the built CLI against the simulator, promtool
// turning its output into blocks, and a real Prometheus started on those blocks answering the
// history and the dashboard's score-over-time query with exactly the simulator's entries.

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const JOB = "partner-security-exporter";
const NAMESPACE = "monitoring";
const PARTNER_TENANT = "partner-tenant";
const CLIENT = { tenantId: PARTNER_TENANT, clientId: "backfill-client", clientSecret: "backfill-secret-0123456789" };
const SCORE_PATH = "beta/security/partner/securityScore";
const DAY = 86_400;
const NAME = "partner-security-exporter";

interface Entry {
  readonly seconds: number;
  readonly score: number;
  readonly compliant: number;
  readonly total: number;
}

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a child: nothing of this process's PSE_/AZURE_ settings, the simulator's CA (NODE_EXTRA_CA_CERTS) kept. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(PSE_|AZURE_)/.test(key) || key === "PSE_TEST_TLS_DIR") env[key] = value;
  return { ...env, ...extra };
}

const children: ChildProcess[] = [];

/** Runs the built CLI asynchronously: the simulator answers from this process, so spawnSync would block it. */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`backfill ${args.join(" ")} did not finish in 20s: ${stderr}`));
    }, 20_000);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function envFor(simulator: Simulator, extra: Record<string, string> = {}): Record<string, string> {
  return { ...exporterEnvFor(simulator, CLIENT), ...extra };
}

/** The simulator's history as Graph serves it (every page), read with a token of its own, oldest first. */
async function simulatorHistory(simulator: Simulator): Promise<Entry[]> {
  const tokenResponse = await fetch(`${simulator.authorityHost}/${CLIENT.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const items: Array<Record<string, unknown>> = [];
  for (let next: string | undefined = `${simulator.url}${SCORE_PATH}/history`; next; ) {
    const page = (await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json()) as { value: Array<Record<string, unknown>>; "@odata.nextLink"?: string };
    items.push(...page.value);
    next = page["@odata.nextLink"];
  }
  return items
    .map((item) => ({
      seconds: Date.parse(String(item.createdDateTime)) / 1000,
      score: Number(item.score),
      compliant: Number(item.compliantRequirementsCount),
      total: Number(item.totalRequirementsCount),
    }))
    .sort((a, b) => a.seconds - b.seconds);
}

interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

interface BackfilledPrometheus {
  readonly url: string;
  queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on an existing data dir (the harness in test/e2e always starts on a fresh one).
 * Retention covers the whole history: with the default 15 days Prometheus would delete the older
 * backfilled blocks as soon as it opens them.
 */
async function startPrometheusOn(dataDir: string): Promise<BackfilledPrometheus> {
  const server = await startServer(
    "prometheus",
    (dir, port) => [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${dataDir}`, "--storage.tsdb.retention.time=3650d", `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    (dir) => writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\nscrape_configs: []\n"),
    "/-/ready",
  );
  const { url } = server;
  return {
    url,
    async queryRange(expr, start, end, step) {
      const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
      const body = (await (await fetch(`${url}/api/v1/query_range?${params.toString()}`)).json()) as { status: string; error?: string; data?: { result: RangeSeries[] } };
      if (body.status !== "success" || !body.data) throw new Error(`query_range ${expr} failed: ${body.error ?? "no data"}`);
      return body.data.result;
    },
    stop: () => server.stop(),
  };
}

/** The committed dashboard's score-over-time query, with the variables at their defaults (All). */
function scoreOverTimeQuery(): string {
  const dashboard = committedDashboards().find(([file]) => file === "partner-security-overview.json")?.[1];
  const expr = dashboard && panelsOf(dashboard).find((panel) => panel.title === "Score over time")?.targets?.find((target) => target.refId === "A")?.expr;
  if (!expr) throw new Error("no score-over-time query A in partner-security-overview.json");
  // job has no allValue: All stands for the jobs listed, as test/e2e/dashboards.test.ts resolves it.
  return substitute(expr, { cluster: ".*", namespace: ".*", partner: ".*", job: `(${escapeValue(JOB)})`, instance: ".*" });
}

function sampleLines(text: string, metric: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `));
}

function lines(stderr: string): string[] {
  return stderr.trim().split("\n").filter((line) => line !== "");
}

let work = "";
let simulator: Simulator | undefined;

const enabled = hasTool("promtool") && hasTool("prometheus");

describe.skipIf(!enabled)("backfill into a real Prometheus", () => {
  beforeAll(() => {
    const build = spawnSync("npm", ["run", "-s", "build"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
    work = mkdtempSync(join(tmpdir(), "pse-backfill-"));
  }, 150_000);

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
    await simulator?.close();
    simulator = undefined;
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("writes every history entry, promtool makes blocks of it, and Prometheus answers the history and the score-over-time panel with exactly the simulator's entries", async () => {
    simulator = await startTestSimulator({ tenants: 5, clients: { [CLIENT.clientId]: CLIENT.clientSecret } });
    const expected = await simulatorHistory(simulator);
    expect(expected.length).toBe(180);
    const output = join(work, "h.om");
    const result = await runCli(["backfill", "--output", output, "--label", `job=${JOB}`, "--label", `namespace=${NAMESPACE}`], envFor(simulator));
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stderr)).toEqual([`${NAME}: wrote ${expected.length} history entries to ${output}`]);
    const text = readFileSync(output, "utf8");
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(sampleLines(text, "partner_security_exporter_partner_info")).toHaveLength(expected.length);
    // The exposition rules that apply (HELP, TYPE, names) on one entry's samples: promtool lints a
    // scrape, and promtool 3 reports each series the file repeats at another time as "not unique".
    const firstTime = text.split("\n").find((line) => line !== "" && !line.startsWith("#"))?.split(" ").at(-1);
    const oneEntry = text.split("\n").filter((line) => line.startsWith("#") || line === "" || line.split(" ").at(-1) === firstTime).join("\n");
    expect(sampleLines(oneEntry, "partner_security_exporter_partner_info")).toHaveLength(1);
    const lint = spawnSync("promtool", ["check", "metrics"], { input: oneEntry, encoding: "utf8", timeout: 60_000 });
    expect(`${lint.stdout}${lint.stderr}`).toBe("");
    expect(lint.status).toBe(0);

    const dataDir = join(work, "data");
    mkdirSync(dataDir);
    const blocks = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", output, dataDir], { encoding: "utf8", timeout: 60_000 });
    expect(blocks.status, `${blocks.stdout}${blocks.stderr}`).toBe(0);

    const prometheus = await startPrometheusOn(dataDir);
    try {
      const start = expected[0]?.seconds ?? 0;
      const end = expected.at(-1)?.seconds ?? 0;
      expect(end - start).toBe((expected.length - 1) * DAY);
      const selector = `{job="${JOB}"}`;
      const expectSeries = async (expr: string, read: (entry: Entry) => number, labels: Record<string, string>): Promise<void> => {
        const series = await prometheus.queryRange(expr, start, end, DAY);
        expect(series, expr).toHaveLength(1);
        expect(series[0]?.metric).toEqual(labels);
        expect(series[0]?.values.map(([time, value]) => [time, Number(value)])).toEqual(expected.map((entry) => [entry.seconds, read(entry)]));
      };
      const stored = { job: JOB, namespace: NAMESPACE };
      await expectSeries(`partner_security_history_score${selector}`, (entry) => entry.score, { __name__: "partner_security_history_score", ...stored });
      await expectSeries(`partner_security_history_compliant_requirements${selector}`, (entry) => entry.compliant, { __name__: "partner_security_history_compliant_requirements", ...stored });
      await expectSeries(`partner_security_history_requirements${selector}`, (entry) => entry.total, { __name__: "partner_security_history_requirements", ...stored });
      await expectSeries(`partner_security_score${selector}`, (entry) => entry.score, { __name__: "partner_security_score", ...stored });
      // Each entry exactly at its time, not just within the lookback window of a range step.
      const exact = await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: `timestamp(partner_security_history_score${selector})`, time: String(end) }).toString()}`);
      expect(((await exact.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result.map((row) => Number(row.value[1]))).toEqual([end]);
      // The dashboard's score-over-time query, as Grafana sends it with every variable at All.
      const panel = scoreOverTimeQuery();
      expect(panel).not.toMatch(/\$(?![0-9])/);
      await expectSeries(panel, (entry) => entry.score, { ...stored, partner_tenant_id: PARTNER_TENANT });
    } finally {
      await prometheus.stop();
    }
  }, 90_000);

  it("keeps one sample per date when Graph returns two entries for one date, with a warning", async () => {
    simulator = await startTestSimulator({ tenants: 5, clients: { [CLIENT.clientId]: CLIENT.clientSecret } });
    const entry = (date: string, score: number) => ({ createdDateTime: date, score, compliantRequirementsCount: 3, totalRequirementsCount: 9 });
    simulator.injectFault({ endpoint: "history", body: JSON.stringify({ value: [entry("2026-10-02T00:00:00Z", 50), entry("2026-10-01T00:00:00Z", 40), entry("2026-10-02T00:00:00Z", 55)] }) });
    const output = join(work, "duplicates.om");
    const result = await runCli(["backfill", "--output", output, "--label", `job=${JOB}`], envFor(simulator));
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stderr)).toEqual([`${NAME}: warning: history: two entries for 2026-10-02T00:00:00.000Z, the first kept`, `${NAME}: wrote 2 history entries to ${output}`]);
    const text = readFileSync(output, "utf8");
    const day = (date: string) => Date.parse(date) / 1000;
    expect(sampleLines(text, "partner_security_history_score")).toEqual([
      `partner_security_history_score{job="${JOB}"} 40 ${day("2026-10-01T00:00:00Z")}`,
      `partner_security_history_score{job="${JOB}"} 50 ${day("2026-10-02T00:00:00Z")}`,
    ]);
    const blocks = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", output, join(work, "duplicates-data")], { encoding: "utf8", timeout: 60_000 });
    expect(blocks.status, `${blocks.stdout}${blocks.stderr}`).toBe(0);
  });

  it("writes to stdout with --output -, the same OpenMetrics and the count on stderr", async () => {
    simulator = await startTestSimulator({ tenants: 5, clients: { [CLIENT.clientId]: CLIENT.clientSecret } });
    const result = await runCli(["backfill", "--output", "-", "--label", `job=${JOB}`], envFor(simulator));
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stderr)).toEqual([`${NAME}: wrote 180 history entries`]);
    expect(sampleLines(result.stdout, "partner_security_history_score")).toHaveLength(180);
    expect(result.stdout.endsWith("# EOF\n")).toBe(true);
  });

  const noDate = JSON.stringify({ value: [{ score: 50, compliantRequirementsCount: 3, totalRequirementsCount: 9 }, { createdDateTime: null, score: 51 }] });
  it.each<[string, Record<string, unknown> | undefined, string[], RegExp]>([
    ["history answering 404", { endpoint: "history", status: 404 }, [], /history: Graph answered 404/],
    ["history answering an empty collection", { endpoint: "history", body: '{"value":[]}' }, [], /history: Graph returned no history entries; nothing written/],
    ["history entries without createdDateTime only", { endpoint: "history", body: noDate }, [], /history: Graph returned no history entries; nothing written/],
    ["--until before every entry", undefined, ["--until", "2000-01-01T00:00:00Z"], /all 180 history entries are at or after --until; nothing written/],
  ])("exits 1 with one line and writes no file on %s", async (_name, fault, args, message) => {
    simulator = await startTestSimulator({ tenants: 5, clients: { [CLIENT.clientId]: CLIENT.clientSecret } });
    if (fault) simulator.injectFault(fault as unknown as Parameters<Simulator["injectFault"]>[0]);
    const output = join(work, `failed-${Math.random().toString(36).slice(2)}.om`);
    const result = await runCli(["backfill", "--output", output, ...args], envFor(simulator));
    expect(result.status, result.stderr).toBe(1);
    const failures = lines(result.stderr).filter((line) => !line.startsWith(`${NAME}: warning: `));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(new RegExp(`^${NAME}: backfill failed: `));
    expect(failures[0]).toMatch(message);
    expect(result.stdout).toBe("");
    expect(existsSync(output)).toBe(false);
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ["a label name that is no Prometheus label name", ["--output", "OUT", "--label", "1x=y"], {}, "--label"],
    ["a label without a value", ["--output", "OUT", "--label", "job"], {}, "--label"],
    ["a label given twice", ["--output", "OUT", "--label", "job=a", "--label", "job=b"], {}, "--label"],
    ["an --until that is no date-time", ["--output", "OUT", "--until", "yesterday"], {}, "--until"],
    ["no --output", [], {}, "--output"],
    ["an http Graph URL", ["--output", "OUT"], { PSE_GRAPH_BASE_URL: "http://graph.microsoft.com" }, "PSE_GRAPH_BASE_URL"],
  ])("exits 2 with one line naming the setting and writes no file on %s", async (_name, args, env, named) => {
    const output = join(work, `invalid-${Math.random().toString(36).slice(2)}.om`);
    // No simulator: a bad setting stops the command before it reaches Graph.
    const result = await runCli(["backfill", ...args.map((arg) => (arg === "OUT" ? output : arg))], { ...exporterEnvFor({ url: "https://127.0.0.1:9/", authorityHost: "https://127.0.0.1:9" }, CLIENT), ...env });
    expect(result.status, result.stderr).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain(named);
    expect(result.stderr).not.toContain(CLIENT.clientSecret);
    expect(existsSync(output)).toBe(false);
  });
});

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import bcrypt from "bcryptjs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../src/simulator/simulator.js";
import { eventually, freePort, sampleValue, startTestSimulator } from "./helpers.js";

/** The built CLI, as `npx partner-security-exporter` runs it; `npm test` builds it first. */
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SECRET = "cli-test-secret-0123456789";
const CREDENTIALS = { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: SECRET };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(PSE_|AZURE_)/.test(key) || key === "PSE_TEST_TLS_DIR") env[key] = value;
  return { ...env, ...extra };
}

function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: cleanEnv(env), encoding: "utf8", timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

const children: ChildProcess[] = [];
let simulator: Simulator | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await simulator?.close();
  simulator = undefined;
});

describe("the command line", () => {
  it("documents every setting in --help", () => {
    const help = runCli(["--help"]);
    expect(help.status).toBe(0);
    for (const text of ["--listen-address", "PSE_LISTEN_ADDRESS", "--metrics-path", "--refresh-interval", "--max-staleness", "--graph-base-url", "--request-timeout", "--log-level", "PSE_LOG_FORMAT", "--customer-series", "PSE_CUSTOMER_SERIES", "--customer-names", "PSE_CUSTOMER_NAMES", "--gdap-relationships", "PSE_GDAP_RELATIONSHIPS", "--security-alerts", "PSE_SECURITY_ALERTS", "check-config", "backfill", "simulate", "demo"]) {
      expect(help.stdout).toContain(text);
    }
  });

  it("check-config exits 0 on a valid config without printing the secret", () => {
    const result = runCli(["check-config"], CREDENTIALS);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("configuration is valid");
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ["a bad duration flag", ["check-config", "--refresh-interval", "often"], CREDENTIALS, "--refresh-interval"],
    ["a port out of range", ["check-config"], { ...CREDENTIALS, PSE_LISTEN_ADDRESS: "0.0.0.0:99999" }, "PSE_LISTEN_ADDRESS"],
    ["an http Graph URL", ["--graph-base-url", "http://graph.microsoft.com"], CREDENTIALS, "--graph-base-url"],
    ["a missing credential", [], {}, "credential"],
    ["an unknown customer series mode", ["check-config"], { ...CREDENTIALS, PSE_CUSTOMER_SERIES: "some" }, 'PSE_CUSTOMER_SERIES: "some" is not one of all, noncompliant, none'],
    ["an unknown customer name source", ["check-config", "--customer-names", "names"], CREDENTIALS, '--customer-names: "names" is not one of none, gdap, contracts'],
    ["a security alerts switch that is no boolean", ["check-config"], { ...CREDENTIALS, PSE_SECURITY_ALERTS: "yes" }, 'PSE_SECURITY_ALERTS: "yes" is not one of true, false'],
    ["an unknown flag", ["--no-such-flag"], CREDENTIALS, "unknown option"],
  ])("stops with exit code 2 and one line on %s", (_name, args, env, named) => {
    const result = runCli(args, env);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toContain(named);
    expect(lines).toHaveLength(1);
    expect(result.stderr).not.toContain(SECRET);
  });

  it("exports the simulator's data with the real credential and stops cleanly on SIGTERM", async () => {
    simulator = await startTestSimulator({ tenants: 12, pageSize: 5, clients: { c: SECRET } });
    const port = await freePort();
    const child = spawn(process.execPath, [CLI], {
      env: cleanEnv({ ...CREDENTIALS, PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`, PSE_GRAPH_BASE_URL: simulator.url, AZURE_AUTHORITY_HOST: simulator.authorityHost, PSE_LOG_LEVEL: "debug" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    await eventually("readiness", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sampleValue(text, "partner_security_exporter_refresh_success")).toBe(1);
    expect(sampleValue(text, "partner_security_customer_tenants")).toBe(12);
    expect(text.split("\n").filter((line) => line.startsWith("partner_security_customer_users{"))).toHaveLength(12);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(output).not.toContain(SECRET);
    for (const request of simulator.requests()) if (request.token) expect(output).not.toContain(request.token);
  });

  it("demo starts the simulator and the exporter, prints the metrics URL and stops on Ctrl-C", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "demo", "--listen-address", `127.0.0.1:${port}`, "--tenants", "7"], { env: cleanEnv({}), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await eventually("the metrics URL", () => /Metrics: (http:\/\/\S+)/.exec(stdout)?.[1], 20_000);
    expect(url).toBe(`http://127.0.0.1:${port}/metrics`);
    const text = await (await fetch(url)).text();
    expect(sampleValue(text, "partner_security_customer_tenants")).toBe(7);
    expect(sampleValue(text, "partner_security_score")).toBeGreaterThan(0);
    // What a CSP team triages with: names from GDAP, relationships and alerts.
    expect(text).toMatch(/^partner_security_customer_info\{customer_tenant_id="[^"]+",customer_name="[^"]+"/m);
    expect(sampleValue(text, "partner_security_gdap_relationships", { status: "active" })).toBeGreaterThan(0);
    expect(text).toMatch(/^partner_security_customer_alerts_active\{/m);
    child.kill("SIGINT");
    expect(await exited(child)).toBe(0);
  });

  it("simulate serves Graph over HTTPS with a certificate written to the CA file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pse-cli-sim-"));
    const caFile = join(dir, "ca.pem");
    const child = spawn(process.execPath, [CLI, "simulate", "--port", "0", "--tenants", "3", "--ca-file", caFile], { env: cleanEnv({}), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await eventually("the simulator URL", () => /listening on (https:\/\/\S+)/.exec(stdout)?.[1], 20_000);
    expect(stdout).toContain(`NODE_EXTRA_CA_CERTS=${caFile}`);
    // Trusting only the written file proves it is the certificate the server presents.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${url}t/v2.0/.well-known/openid-configuration`, { ca: readFileSync(caFile) }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on("error", reject);
    });
    expect(status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("stops with exit code 2 naming the key of an invalid web config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "pse-cli-web-"));
    writeFileSync(join(dir, "web.yml"), "basic_auth_users:\n  prometheus: hunter2\n");
    const result = runCli(["check-config", "--web-config-file", join(dir, "web.yml")], CREDENTIALS);
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([`partner-security-exporter: web config ${join(dir, "web.yml")}: basic_auth_users.prometheus: is not a bcrypt hash (generate one with htpasswd -nBC 10 "" | tr -d ':\\n')`]);
    expect(result.stderr).not.toContain("hunter2");
  });

  it("re-reads the web config on SIGHUP and keeps the old one when the new one is invalid", async () => {
    simulator = await startTestSimulator({ tenants: 2 });
    const dir = mkdtempSync(join(tmpdir(), "pse-cli-hup-"));
    const web = join(dir, "web.yml");
    writeFileSync(web, `basic_auth_users:\n  alice: ${bcrypt.hashSync("alice-pw", 4)}\n`);
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "--web-config-file", web], {
      env: cleanEnv({ ...CREDENTIALS, PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`, PSE_GRAPH_BASE_URL: simulator.url, AZURE_AUTHORITY_HOST: simulator.authorityHost }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    const as = (user: string, password: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
    await eventually("readiness", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    expect((await fetch(`${base}/metrics`, as("alice", "alice-pw"))).status).toBe(200);

    writeFileSync(web, `basic_auth_users:\n  bob: ${bcrypt.hashSync("bob-pw", 4)}\n`);
    child.kill("SIGHUP");
    await eventually("bob accepted", async () => ((await fetch(`${base}/metrics`, as("bob", "bob-pw"))).status === 200 ? true : undefined));
    expect((await fetch(`${base}/metrics`, as("alice", "alice-pw"))).status).toBe(401);

    writeFileSync(web, "basic_auth_users: [broken\n");
    child.kill("SIGHUP");
    await eventually("the reload error in the log", () => (output.includes("web config reload failed") ? true : undefined));
    expect((await fetch(`${base}/metrics`, as("bob", "bob-pw"))).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});

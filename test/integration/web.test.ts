import { rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import bcrypt from "bcryptjs";
import { pino } from "pino";
import selfsigned from "selfsigned";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { JOB, startPrometheus } from "../e2e/prometheus-harness.js";
import type { RunningPrometheus } from "../e2e/prometheus-harness.js";
import { captureLogs, eventually, hasTool, startTestExporter, startTestSimulator } from "../helpers.js";
import { makeTlsFiles } from "../tls-fixtures.js";
import type { TlsFiles } from "../tls-fixtures.js";

const PASSWORD = "scrape-password-7f3a";
let files: TlsFiles;
let simulator: Simulator;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;

interface Reply {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The common name of the certificate a fresh connection is served, trusting any of `ca`. */
function peerCommonName(url: string, ca: string[]): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, method: "HEAD" }, (response) => {
      const subject = (response.socket as TLSSocket).getPeerCertificate().subject;
      response.resume();
      resolve(typeof subject.CN === "string" ? subject.CN : undefined);
    });
    req.on("error", reject);
    req.end();
  });
}

/** One request on a connection of its own (no keep-alive, no TLS session to resume), as a new scraper's. */
function get(url: string, options: { auth?: string; cert?: string; key?: string; ca?: string[] } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ca: options.ca ?? files.serverCert, ...(options.cert ? { cert: options.cert, key: options.key } : {}), ...(options.auth ? { auth: options.auth } : {}) }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function startWith(webConfigYaml: string): Promise<RunningExporter> {
  return (await startWithFile(webConfigYaml)).running;
}

/** The exporter and the web config file it reads, to rewrite and reload. */
async function startWithFile(webConfigYaml: string): Promise<{ running: RunningExporter; path: string }> {
  const path = join(files.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, webConfigYaml);
  exporter = await startTestExporter(simulator, { flags: { webConfigFile: path } });
  return { running: exporter, path };
}

function tlsYaml(extra = ""): string {
  return `tls_server_config:\n  cert_file: serverCert.pem\n  key_file: serverKey.pem\n${extra}`;
}

beforeAll(async () => {
  files = await makeTlsFiles();
  simulator = await startTestSimulator({ tenants: 5 });
});
afterAll(async () => {
  await simulator.close();
  rmSync(files.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await prometheus?.stop();
  await exporter?.close();
  prometheus = exporter = undefined;
});

describe("the web config (exporter-toolkit format)", () => {
  it("serves /metrics over HTTPS with a self-signed certificate", async () => {
    const running = await startWith(tlsYaml());
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await get(`${running.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("partner_security_score ");
  });

  it("asks for basic auth, refuses a wrong password and accepts the right one", async () => {
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const running = await startWith(`${tlsYaml()}basic_auth_users:\n  prometheus: ${hash}\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=31536000\n`);
    const anonymous = await get(`${running.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    const wrong = await get(`${running.url}/metrics`, { auth: "prometheus:not-the-password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain("partner_security");
    const unknownUser = await get(`${running.url}/metrics`, { auth: `someone:${PASSWORD}` });
    expect(unknownUser.status).toBe(401);
    const right = await get(`${running.url}/metrics`, { auth: `prometheus:${PASSWORD}` });
    expect(right.status).toBe(200);
    expect(right.headers["strict-transport-security"]).toBe("max-age=31536000");
    expect((await get(`${running.url}/`)).status).toBe(401);
    // Probes stay open, and say nothing about the data.
    expect((await get(`${running.url}/healthz`)).status).toBe(200);
    expect((await get(`${running.url}/readyz`)).status).toBe(200);
  });

  it("refuses the handshake without a client certificate when one is required", async () => {
    const running = await startWith(tlsYaml("  client_ca_file: caCert.pem\n  client_auth_type: RequireAndVerifyClientCert\n"));
    await expect(get(`${running.url}/metrics`)).rejects.toThrow();
    await expect(get(`${running.url}/metrics`, { cert: files.strangerCert, key: files.strangerKey })).rejects.toThrow();
    const trusted = await get(`${running.url}/metrics`, { cert: files.clientCert, key: files.clientKey });
    expect(trusted.status).toBe(200);
  });

  it("RequireAnyClientCert wants a certificate but not a known CA", async () => {
    const running = await startWith(tlsYaml("  client_auth_type: RequireAnyClientCert\n"));
    await expect(get(`${running.url}/metrics`)).rejects.toThrow();
    expect((await get(`${running.url}/metrics`, { cert: files.strangerCert, key: files.strangerKey })).status).toBe(200);
  });

  it("applies a reloaded client-certificate policy to new connections, both ways", async () => {
    const { running, path } = await startWithFile(tlsYaml());
    expect((await get(`${running.url}/metrics`)).status).toBe(200);

    writeFileSync(path, tlsYaml("  client_ca_file: caCert.pem\n  client_auth_type: RequireAndVerifyClientCert\n"));
    expect(running.reloadWebConfig()).toBeUndefined();
    await expect(get(`${running.url}/metrics`)).rejects.toThrow();
    await expect(get(`${running.url}/metrics`, { cert: files.strangerCert, key: files.strangerKey })).rejects.toThrow();
    expect((await get(`${running.url}/metrics`, { cert: files.clientCert, key: files.clientKey })).status).toBe(200);

    writeFileSync(path, tlsYaml());
    expect(running.reloadWebConfig()).toBeUndefined();
    expect((await get(`${running.url}/metrics`)).status).toBe(200);
  });

  it("closes idle keep-alive connections on a TLS reload, so a scraper cannot keep the old client-auth policy", async () => {
    const { running, path } = await startWithFile(tlsYaml());
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: files.serverCert });
    const viaAgent = () =>
      new Promise<number | undefined>((resolve, reject) => {
        request(`${running.url}/metrics`, { agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode));
        })
          .on("error", reject)
          .end();
      });
    expect(await viaAgent()).toBe(200);
    writeFileSync(path, tlsYaml("  client_ca_file: caCert.pem\n  client_auth_type: RequireAndVerifyClientCert\n"));
    expect(running.reloadWebConfig()).toBeUndefined();
    // The agent's connection was closed, so its next request makes a new handshake, without a certificate.
    await expect(viaAgent()).rejects.toThrow();
    agent.destroy();
  });

  it.skipIf(!hasTool("prometheus"))("is scraped by a real Prometheus over TLS with basic auth", async () => {
    const running = await startWith(`${tlsYaml()}basic_auth_users:\n  prometheus: ${bcrypt.hashSync(PASSWORD, 4)}\n`);
    prometheus = await startPrometheus(new URL(running.url).host, {
      scrape: ["    scheme: https", "    tls_config:", `      ca_file: ${join(files.dir, "serverCert.pem")}`, "    basic_auth:", "      username: prometheus", `      password: ${PASSWORD}`],
    });
    const prom = prometheus;
    const up = await eventually("an authenticated TLS scrape", async () => {
      const result = await prom.query(`up{job="${JOB}"} == 1`);
      return result.length > 0 ? result : undefined;
    }, 20_000);
    expect(up).toHaveLength(1);
    expect((await prom.query("partner_security_customer_tenants"))[0]?.value[1]).toBe("5");
  });

  it("reloads on request: new users apply, an invalid file keeps the running config", async () => {
    const path = join(files.dir, "reload.yml");
    writeFileSync(path, `basic_auth_users:\n  alice: ${bcrypt.hashSync("alice-pw", 4)}\n`);
    exporter = await startTestExporter(simulator, { flags: { webConfigFile: path }, awaitFirstRefresh: false });
    const base = exporter.url;
    const auth = (user: string, password: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
    expect((await fetch(`${base}/metrics`, auth("alice", "alice-pw"))).status).toBe(200);

    writeFileSync(path, `basic_auth_users:\n  bob: ${bcrypt.hashSync("bob-pw", 4)}\n`);
    expect(exporter.reloadWebConfig()).toBeUndefined();
    expect((await fetch(`${base}/metrics`, auth("alice", "alice-pw"))).status).toBe(401);
    expect((await fetch(`${base}/metrics`, auth("bob", "bob-pw"))).status).toBe(200);

    writeFileSync(path, "basic_auth_users:\n  bob: not-a-hash\n");
    expect(exporter.reloadWebConfig()?.message).toContain("basic_auth_users.bob: is not a bcrypt hash");
    expect((await fetch(`${base}/metrics`, auth("bob", "bob-pw"))).status).toBe(200);

    writeFileSync(path, tlsYaml());
    expect(exporter.reloadWebConfig()?.message).toContain("turning TLS on needs a restart");
    expect((await fetch(`${base}/metrics`, auth("bob", "bob-pw"))).status).toBe(200);
  });

  it("notices by itself when the web config or the certificate it names changes (a Secret update, cert-manager)", async () => {
    const path = join(files.dir, "watched.yml");
    writeFileSync(join(files.dir, "rotating-cert.pem"), files.serverCert);
    writeFileSync(join(files.dir, "rotating-key.pem"), files.serverKey);
    const tls = "tls_server_config:\n  cert_file: rotating-cert.pem\n  key_file: rotating-key.pem\n";
    writeFileSync(path, `${tls}basic_auth_users:\n  alice: ${bcrypt.hashSync("alice-pw", 4)}\n`);
    const logs = captureLogs();
    exporter = await startTestExporter(simulator, { flags: { webConfigFile: path }, logger: pino({ level: "info" }, logs.stream), webConfigCheckMs: 50, awaitFirstRefresh: false });
    const url = `${exporter.url}/metrics`;
    const rotated = await selfsigned.generate([{ name: "commonName", value: "rotated" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
      ],
    });
    const servedCertificate = () => peerCommonName(url, [files.serverCert, rotated.cert]);
    expect(await get(url, { auth: "alice:alice-pw" })).toMatchObject({ status: 200 });
    expect(await servedCertificate()).toBe("exporter");

    writeFileSync(path, `${tls}basic_auth_users:\n  bob: ${bcrypt.hashSync("bob-pw", 4)}\n`);
    await eventually("bob is accepted", async () => ((await get(url, { auth: "bob:bob-pw" })).status === 200 ? true : undefined));
    expect((await get(url, { auth: "alice:alice-pw" })).status).toBe(401);

    // A check between these two writes sees a key that does not fit the certificate: it keeps the running one.
    writeFileSync(join(files.dir, "rotating-key.pem"), rotated.private);
    writeFileSync(join(files.dir, "rotating-cert.pem"), rotated.cert);
    await eventually("the rotated certificate is served", async () => ((await servedCertificate()) === "rotated" ? true : undefined));

    writeFileSync(path, `${tls}basic_auth_users:\n  bob: not-a-hash\n`);
    const brokenReports = () => logs.lines.filter((line) => line.includes("web config reload failed") && line.includes("is not a bcrypt hash"));
    await eventually("the broken file is reported", () => (brokenReports().length > 0 ? true : undefined));
    expect((await get(url, { auth: "bob:bob-pw", ca: [files.serverCert, rotated.cert] })).status).toBe(200);
    writeFileSync(path, `${tls}basic_auth_users:\n  carol: ${bcrypt.hashSync("carol-pw", 4)}\n`);
    await eventually("carol is accepted", async () => ((await get(url, { auth: "carol:carol-pw", ca: [files.serverCert, rotated.cert] })).status === 200 ? true : undefined));
    // Many checks ran while the file was broken; it was reported once.
    expect(brokenReports()).toHaveLength(1);
  });
});

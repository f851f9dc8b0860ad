import bcrypt from "bcryptjs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { captureLogs, startTestExporter, startTestSimulator } from "../helpers.js";

const CLIENT_SECRET = "kV8~q.Secret-Value_0123456789abcdef";
const BASIC_PASSWORD = "basic-auth-password-9z8y7x";
const dir = mkdtempSync(join(tmpdir(), "pse-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("secrets", () => {
  it("never reach logs, errors, metrics or HTTP responses, even at debug level with a failing token endpoint", async () => {
    const simulator = await startTestSimulator({ tenants: 3, clients: { "app-id": CLIENT_SECRET } });
    const web = join(dir, "web.yml");
    writeFileSync(web, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync(BASIC_PASSWORD, 4)}\n`);
    const { lines: logs, stream: sink } = captureLogs();
    // The first refresh meets a failing token endpoint.
    simulator.injectFault({ endpoint: "token", reset: true, times: 1 });
    const exporter = await startTestExporter(simulator, {
      flags: { logLevel: "debug", webConfigFile: web },
      client: { tenantId: "partner", clientId: "app-id", clientSecret: CLIENT_SECRET },
      logger: pino({ level: "debug" }, sink),
      retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 },
    });
    // Then a good refresh, a revoked token (401, a fresh token) and a failing Graph.
    await exporter.poller.refreshNow();
    simulator.revokeTokens();
    await exporter.poller.refreshNow();
    simulator.injectFault({ endpoint: "requirements", status: 500 });
    await exporter.poller.refreshNow();

    const auth = (password: string) => ({ headers: { authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString("base64")}` } });
    const responses: string[] = [];
    for (const [path, init] of [
      ["/metrics", auth(BASIC_PASSWORD)],
      ["/metrics", auth(`${BASIC_PASSWORD}-wrong`)],
      ["/metrics", {}],
      ["/", auth(BASIC_PASSWORD)],
      ["/healthz", {}],
      ["/readyz", {}],
      ["/nope", {}],
    ] as const) {
      const response = await fetch(`${exporter.url}${path}`, init);
      responses.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
    }
    await exporter.close();
    await simulator.close();

    const tokens = simulator.requests().flatMap((request) => (request.token ? [request.token] : []));
    expect(tokens.length).toBeGreaterThan(1);
    const everything = [...logs, ...responses].join("\n");
    expect(everything).toContain("refresh failed");
    expect(everything).toContain("partner_security_exporter_refresh_success 0");
    for (const secret of [CLIENT_SECRET, BASIC_PASSWORD, Buffer.from(`prometheus:${BASIC_PASSWORD}`).toString("base64"), ...tokens]) {
      expect(everything.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});

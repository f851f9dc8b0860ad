import type { IncomingMessage, ServerResponse } from "node:http";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { createAccessControl, denyUnauthorized } from "../../src/server/access.js";
import type { WebConfig } from "../../src/web-config.js";

const PASSWORD = "s3cret:with:colons";
const HASH = bcrypt.hashSync(PASSWORD, 4);

function webConfig(users: Record<string, string>, headers: Record<string, string> = {}): WebConfig {
  return { path: "web.yml", tls: undefined, basicAuthUsers: new Map(Object.entries(users)), headers, files: [], fingerprint: "" };
}

const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

describe("basic auth on the scrape", () => {
  it("lets everyone in when the web config has no users, or there is none", async () => {
    expect(await createAccessControl(undefined).authorize(request())).toBe(true);
    expect(await createAccessControl(webConfig({})).authorize(request())).toBe(true);
  });

  it.each([
    ["the header as Prometheus sends it", basic(`prometheus:${PASSWORD}`)],
    ["the scheme in lower case", basic(`prometheus:${PASSWORD}`).replace("Basic", "basic")],
    ["more spaces, and trailing ones", basic(`prometheus:${PASSWORD}`).replace(" ", "   ") + "  "],
  ])("accepts %s (the password may hold colons)", async (_what, header) => {
    expect(await createAccessControl(webConfig({ prometheus: HASH })).authorize(request(header))).toBe(true);
  });

  it.each([
    ["no header", undefined],
    ["another scheme", `Bearer ${PASSWORD}`],
    ["a prefix before the scheme", `X${basic(`prometheus:${PASSWORD}`)}`],
    ["text after the credentials", `${basic(`prometheus:${PASSWORD}`)} extra`],
    ["no space after the scheme", basic(`prometheus:${PASSWORD}`).replace(" ", "")],
    ["credentials without a colon", basic(`prometheus${PASSWORD}`)],
    ["a wrong password", basic("prometheus:wrong")],
    ["an unknown user with the password", basic(`grafana:${PASSWORD}`)],
    ["an empty user", basic(`:${PASSWORD}`)],
  ])("refuses %s", async (_what, header) => {
    expect(await createAccessControl(webConfig({ prometheus: HASH })).authorize(request(header))).toBe(false);
  });

  it("forgets every accepted password when the web config changes", async () => {
    const access = createAccessControl(webConfig({ prometheus: HASH }));
    const header = basic(`prometheus:${PASSWORD}`);
    expect(await access.authorize(request(header))).toBe(true);
    expect(await access.authorize(request(header))).toBe(true);
    access.update(webConfig({ prometheus: bcrypt.hashSync("new password", 4) }));
    expect(await access.authorize(request(header))).toBe(false);
    expect(await access.authorize(request(basic("prometheus:new password")))).toBe(true);
    access.update(undefined);
    expect(await access.authorize(request())).toBe(true);
  });

  it("answers a refusal with 401, the realm Prometheus and browsers show, and a one-line body", () => {
    const written: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
    const response = {
      writeHead: (status: number, headers: Record<string, unknown>) => Object.assign(written, { status, headers }),
      end: (body: string) => Object.assign(written, { body }),
    } as unknown as ServerResponse;
    denyUnauthorized(response);
    expect(written).toEqual({
      status: 401,
      headers: { "WWW-Authenticate": 'Basic realm="partner-security-exporter", charset="UTF-8"', "Content-Type": "text/plain; charset=utf-8", "Content-Length": 13 },
      body: "unauthorized\n",
    });
  });

  it("sets the configured response headers, and none without a web config", () => {
    const set: Array<[string, string]> = [];
    const response = { setHeader: (name: string, value: string) => set.push([name, value]) } as unknown as ServerResponse;
    createAccessControl(undefined).applyHeaders(response);
    expect(set).toEqual([]);
    createAccessControl(webConfig({}, { "X-Frame-Options": "DENY", "Strict-Transport-Security": "max-age=31536000" })).applyHeaders(response);
    expect(set).toEqual([
      ["X-Frame-Options", "DENY"],
      ["Strict-Transport-Security", "max-age=31536000"],
    ]);
  });
});

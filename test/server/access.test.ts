import type { IncomingMessage, ServerResponse } from "node:http";
import bcrypt from "bcryptjs";
import { describe, expect, it, vi } from "vitest";
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

  it("refuses credentials without a colon, even ones that read as a user's name and password run together", async () => {
    // Read as "user:password" with the colon left out: "prometheus" + "!" and the password "prometheus!".
    const access = createAccessControl(webConfig({ prometheus: bcrypt.hashSync("prometheus!", 4) }));
    expect(await access.authorize(request(basic("prometheus!")))).toBe(false);
    expect(await access.authorize(request(basic("prometheus:prometheus!")))).toBe(true);
  });

  it("accepts an empty user name when the web config lists one, as exporter-toolkit does", async () => {
    expect(await createAccessControl(webConfig({ "": HASH })).authorize(request(basic(`:${PASSWORD}`)))).toBe(true);
  });

  it("keeps refusing a wrong password after the right one was accepted, however often it is tried", async () => {
    const access = createAccessControl(webConfig({ prometheus: HASH, grafana: bcrypt.hashSync("grafana-password", 4) }));
    expect(await access.authorize(request(basic(`prometheus:${PASSWORD}`)))).toBe(true);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await access.authorize(request(basic("prometheus:wrong")))).toBe(false);
      expect(await access.authorize(request(basic(`grafana:${PASSWORD}`)))).toBe(false);
    }
    expect(await access.authorize(request(basic("grafana:grafana-password")))).toBe(true);
  });

  it("does not remember a password whose check was under way when the web config changed", async () => {
    const access = createAccessControl(webConfig({ prometheus: HASH }));
    const header = basic(`prometheus:${PASSWORD}`);
    // Started under the old config, the check finishes under it; the new config must not inherit its result.
    const underway = access.authorize(request(header));
    access.update(webConfig({ prometheus: bcrypt.hashSync("rotated password", 4) }));
    expect(await underway).toBe(true);
    expect(await access.authorize(request(header))).toBe(false);

    const removed = createAccessControl(webConfig({ prometheus: HASH }));
    const beforeRemoval = removed.authorize(request(header));
    removed.update(undefined);
    expect(await beforeRemoval).toBe(true);
  });

  // bcrypt's cost is what a scrape or an attacker's guess pays; counted, not timed (speed belongs to `npm run bench`).
  it("answers a scraper's repeated password with one bcrypt comparison, not one per scrape", async () => {
    const compare = vi.spyOn(bcrypt, "compare");
    try {
      const access = createAccessControl(webConfig({ prometheus: HASH }));
      for (let scrape = 0; scrape < 4; scrape++) expect(await access.authorize(request(basic(`prometheus:${PASSWORD}`)))).toBe(true);
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      compare.mockRestore();
    }
  });

  it("pays a bcrypt comparison to refuse an unknown user, as for a wrong password, so timing does not tell which users exist", async () => {
    const compare = vi.spyOn(bcrypt, "compare");
    try {
      const access = createAccessControl(webConfig({ prometheus: HASH }));
      expect(await access.authorize(request(basic("prometheus:wrong")))).toBe(false);
      expect(await access.authorize(request(basic(`grafana:${PASSWORD}`)))).toBe(false);
      expect(compare).toHaveBeenCalledTimes(2);
      // Against a whole bcrypt hash, so the refusal does the work a wrong password's does.
      expect(compare.mock.calls[1]?.[1]).toMatch(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/);
    } finally {
      compare.mockRestore();
    }
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

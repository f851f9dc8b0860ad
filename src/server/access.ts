import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import bcrypt from "bcryptjs";
import type { WebConfig } from "../web-config.js";

/**
 * Basic auth and extra response headers from the web config; swapped whole on reload. Written
 * against node:http so the scrape path, which does not go through Express, uses the same checks.
 */
export interface AccessControl {
  /** Sets the configured headers on a response. */
  applyHeaders(response: ServerResponse): void;
  /** True when the web config has no users, or the request carries a user and password it accepts. */
  authorize(request: IncomingMessage): Promise<boolean>;
  update(web: WebConfig | undefined): void;
}

export function denyUnauthorized(response: ServerResponse): void {
  const body = "unauthorized\n";
  response.writeHead(401, {
    "WWW-Authenticate": 'Basic realm="partner-security-exporter", charset="UTF-8"',
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}

// Compared against when the user is unknown, so an unknown user takes as long as a wrong password.
const DUMMY_HASH = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z7r1H.EX5M9vbyAbMt7QXMSa";

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function createAccessControl(initial: WebConfig | undefined): AccessControl {
  let web = initial;
  // bcrypt is deliberately slow; a user/password pair that passed once is remembered (by digest) until the config changes.
  let verified = new Set<string>();

  async function check(user: string, password: string): Promise<boolean> {
    const users = web?.basicAuthUsers;
    const hash = users?.get(user);
    const key = `${user}\0${sha256(password).toString("hex")}`;
    if (hash !== undefined && verified.has(key)) return true;
    const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
    if (ok && hash !== undefined && users === web?.basicAuthUsers) verified.add(key);
    return ok && hash !== undefined;
  }

  return {
    applyHeaders(response) {
      if (!web) return;
      for (const [name, value] of Object.entries(web.headers)) response.setHeader(name, value);
    },
    authorize(request) {
      if (!web || web.basicAuthUsers.size === 0) return Promise.resolve(true);
      const credentials = parseBasic(request.headers.authorization);
      return credentials ? check(credentials.user, credentials.password) : Promise.resolve(false);
    },
    update(next) {
      web = next;
      verified = new Set();
    },
  };
}

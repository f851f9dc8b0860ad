import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import type { RequestHandler } from "express";
import type { WebConfig } from "../web-config.js";

/** Basic auth and extra response headers from the web config; swapped whole on reload. */
export interface AccessControl {
  /** Sets the configured headers on every response. */
  readonly headers: RequestHandler;
  /** Requires basic auth when the web config has users. */
  readonly authenticate: RequestHandler;
  update(web: WebConfig | undefined): void;
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
    headers(_request, response, next) {
      if (web) response.set(web.headers);
      next();
    },
    authenticate(request, response, next) {
      if (!web || web.basicAuthUsers.size === 0) {
        next();
        return;
      }
      const credentials = parseBasic(request.headers.authorization);
      const deny = (): void => {
        response.status(401).set("WWW-Authenticate", 'Basic realm="partner-security-exporter", charset="UTF-8"').type("text/plain").send("unauthorized\n");
      };
      if (!credentials) {
        deny();
        return;
      }
      check(credentials.user, credentials.password).then((ok) => (ok ? next() : deny()), next);
    },
    update(next) {
      web = next;
      verified = new Set();
    },
  };
}

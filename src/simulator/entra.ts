import type { IncomingMessage, ServerResponse } from "node:http";
import { applyFault, waitForLatency } from "./faults.js";
import type { FaultQueue } from "./faults.js";
import { readBody, sendJson } from "./http.js";

/** `/{tenant}/v2.0/.well-known/openid-configuration`, the tenant in group 1. */
export const OPENID_CONFIGURATION_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
/** `/{tenant}/oauth2/v2.0/token`, the tenant in group 1. */
export const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;

/** The OpenID discovery document of a tenant whose authority is `tenantRoot`. */
export function openIdConfiguration(tenantRoot: string): Record<string, unknown> {
  return {
    issuer: `${tenantRoot}/v2.0`,
    authorization_endpoint: `${tenantRoot}/oauth2/v2.0/authorize`,
    token_endpoint: `${tenantRoot}/oauth2/v2.0/token`,
    end_session_endpoint: `${tenantRoot}/oauth2/v2.0/logout`,
    jwks_uri: `${tenantRoot}/discovery/v2.0/keys`,
    response_types_supported: ["code", "token"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
  };
}

export interface TokenIssuerOptions {
  /** When set, only these client id → secret pairs get tokens. */
  readonly clients: Readonly<Record<string, string>> | undefined;
  readonly lifetimeSeconds: number;
  readonly faults: FaultQueue;
}

/** Entra ID's token endpoint: issues opaque bearer tokens and remembers which are valid. */
export interface TokenIssuer {
  /** Answers a client-credentials token request; returns the status it answered with. */
  answer(request: IncomingMessage, response: ServerResponse, tenant: string): Promise<number>;
  isValid(token: string): boolean;
  revokeAll(): void;
  issuedCount(): number;
}

export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const validTokens = new Set<string>();
  let issued = 0;

  async function answer(request: IncomingMessage, response: ServerResponse, tenant: string): Promise<number> {
    const form = new URLSearchParams(await readBody(request));
    const fault = options.faults.take("token", 0);
    if (fault?.status) {
      // Entra ID answers in OAuth's error shape, not Graph's.
      await waitForLatency(fault);
      sendJson(response, fault.status, { error: "temporarily_unavailable", error_description: `AADSTS50000: Simulated HTTP ${fault.status} from the token endpoint.`, error_codes: [50000] });
      return fault.status;
    }
    const faulted = await applyFault(fault, response, undefined);
    if (faulted !== undefined) return faulted;
    const clientId = form.get("client_id") ?? "";
    const expected = options.clients?.[clientId];
    if (options.clients && (expected === undefined || expected !== form.get("client_secret"))) {
      sendJson(response, 401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] });
      return 401;
    }
    issued++;
    const token = `sim-${tenant}-${issued}-${Math.random().toString(36).slice(2)}`;
    validTokens.add(token);
    sendJson(response, 200, { token_type: "Bearer", expires_in: options.lifetimeSeconds, ext_expires_in: options.lifetimeSeconds, access_token: token });
    return 200;
  }

  return {
    answer,
    isValid: (token) => validTokens.has(token),
    revokeAll() {
      validTokens.clear();
    },
    issuedCount: () => issued,
  };
}

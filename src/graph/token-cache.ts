import type { TokenCredential } from "@azure/identity";
import { GRAPH_SCOPE, tokenTenantId } from "./credential.js";
import { GraphError, firstLine } from "./errors.js";
import type { GraphObserver } from "./graph-observer.js";
import type { Endpoint } from "./snapshot.js";

export interface TokenCache {
  /** A bearer token for one attempt on `endpoint`, never `rejected` (the token Graph last answered 401 to). */
  tokenFor(endpoint: Endpoint, rejected: string | undefined): Promise<string>;
}

/**
 * One token for all concurrent requests: without this the four endpoints of a refresh ask the
 * token endpoint four times. A token Graph answered 401 to is never handed out again.
 */
export function createTokenCache(credential: TokenCredential, observer: GraphObserver | undefined): TokenCache {
  let current: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function acquire(fresh: boolean): Promise<string> {
    // A claims challenge is the documented way to make MSAL skip its own token cache.
    const claims = fresh ? JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } }) : undefined;
    let acquired: { token: string; expiresAt: number };
    try {
      const token = await credential.getToken(GRAPH_SCOPE, claims ? { claims } : {});
      if (!token) throw new Error("the credential returned no token");
      acquired = { token: token.token, expiresAt: token.expiresOnTimestamp };
    } catch (error) {
      // One acquisition is shared by every endpoint waiting on it; tokenFor names the endpoint.
      throw new GraphError(`could not acquire a Graph token: ${firstLine(error)}`, "securityScore", 0, "token", undefined, { cause: error });
    }
    current = acquired;
    observer?.onToken?.({ tenantId: tokenTenantId(acquired.token) });
    return acquired.token;
  }

  async function accessToken(rejected: string | undefined): Promise<string> {
    if (current && current.token !== rejected && current.expiresAt - Date.now() > 60_000) return current.token;
    if (pending) {
      const shared = await pending;
      if (shared !== rejected) return shared;
    }
    pending ??= acquire(rejected !== undefined).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function tokenFor(endpoint: Endpoint, rejected: string | undefined): Promise<string> {
    try {
      return await accessToken(rejected);
    } catch (error) {
      if (error instanceof GraphError) throw new GraphError(`${endpoint}: ${error.message}`, endpoint, 0, "token", undefined, { cause: error.cause });
      throw error;
    }
  }

  return { tokenFor };
}

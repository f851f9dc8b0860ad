import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import type { CredentialConfig } from "../config.js";

/** The scope of an app-only Graph token. */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** One explicit credential for a daemon; no developer-tool fallbacks that could pick up a stray login. */
export function createCredential(config: CredentialConfig): TokenCredential {
  if (config.kind === "managed-identity") {
    return config.clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId: config.clientId });
  }
  const options = {
    ...(config.authority.host === undefined ? {} : { authorityHost: config.authority.host }),
    disableInstanceDiscovery: config.authority.disableInstanceDiscovery,
  };
  switch (config.kind) {
    case "client-secret":
      return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, options);
    case "client-certificate":
      return new ClientCertificateCredential(
        config.tenantId,
        config.clientId,
        { certificatePath: config.certificatePath, certificatePassword: config.certificatePassword },
        { ...options, sendCertificateChain: config.sendCertificateChain },
      );
    case "workload-identity":
      return new WorkloadIdentityCredential({
        ...options,
        tenantId: config.tenantId,
        clientId: config.clientId,
        tokenFilePath: config.tokenFilePath,
      });
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `tid` claim of an access token that is a JWT, read from its payload without verifying
 * anything (Graph verifies it; the exporter only wants to name the tenant). `undefined` for a token
 * that is not a JWT or has no tenant id of GUID form, so no arbitrary text becomes a label value.
 */
export function tokenTenantId(token: string): string | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    if (!payload || typeof payload !== "object" || !("tid" in payload) || typeof payload.tid !== "string") return undefined;
    return GUID.test(payload.tid) ? payload.tid.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

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

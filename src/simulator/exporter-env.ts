/** Where a simulator answers, as an exporter's settings need it. */
export interface SimulatorAddress {
  /** Graph root, e.g. `https://127.0.0.1:PORT/`. */
  readonly url: string;
  /** Entra ID authority host. */
  readonly authorityHost: string;
}

export interface SimulatedClient {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The environment that points an exporter at a simulator with a client secret (the demo, the tests
 * and the benchmark): the one place that knows which settings that takes.
 */
export function exporterEnvFor(simulator: SimulatorAddress, client: SimulatedClient): Record<string, string> {
  return {
    PSE_GRAPH_BASE_URL: simulator.url,
    AZURE_AUTHORITY_HOST: simulator.authorityHost,
    AZURE_TENANT_ID: client.tenantId,
    AZURE_CLIENT_ID: client.clientId,
    AZURE_CLIENT_SECRET: client.clientSecret,
  };
}

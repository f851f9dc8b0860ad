/**
 * The Graph endpoints the simulator serves. The exporter keeps its own list (src/graph/snapshot.ts,
 * which this layer may not import); test/simulator/endpoints.test.ts holds the two equal.
 */
export const GRAPH_ENDPOINTS = [
  "securityScore",
  "requirements",
  "history",
  "customerInsights",
  "delegatedAdminCustomers",
  "delegatedAdminRelationships",
  "contracts",
  "securityAlerts",
] as const;
export type GraphEndpoint = (typeof GRAPH_ENDPOINTS)[number];

/** Every endpoint a fault can target and a recorded request can name: the Graph ones and Entra ID's token endpoint. */
export const SIMULATED_ENDPOINTS = [...GRAPH_ENDPOINTS, "token"] as const;
export type SimulatedEndpoint = (typeof SIMULATED_ENDPOINTS)[number];

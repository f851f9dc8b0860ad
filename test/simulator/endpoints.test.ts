import { describe, expect, it } from "vitest";
import { ENDPOINTS } from "../../src/graph/snapshot.js";
import { GRAPH_ENDPOINTS, SIMULATED_ENDPOINTS } from "../../src/simulator/endpoints.js";

describe("the simulated endpoints", () => {
  it("are the Graph endpoints the exporter reads, in its order", () => {
    expect(GRAPH_ENDPOINTS).toEqual(ENDPOINTS);
  });

  it("are the Graph endpoints and the token endpoint", () => {
    expect(SIMULATED_ENDPOINTS).toEqual([...ENDPOINTS, "token"]);
  });
});

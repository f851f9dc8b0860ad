import { describe, expect, it } from "vitest";
import { isoDurationSeconds, parseContract, parseGdapCustomer, parseGdapRelationship, parseSecurityAlert } from "../../src/graph/triage-schema.js";
import { wireFixture } from "../fixtures/graph-fixtures.js";

function items(endpoint: "delegatedAdminCustomers" | "contracts" | "delegatedAdminRelationships" | "securityAlerts"): unknown[] {
  return (wireFixture(endpoint) as { value: unknown[] }).value;
}

function collecting(): { warn: (message: string) => void; warnings: string[] } {
  const warnings: string[] = [];
  return { warn: (message) => warnings.push(message), warnings };
}

describe("GDAP customers and contracts as customer names", () => {
  it("reads GDAP customers, trimming names, keeping quotes and backslashes, a null name without a warning", () => {
    const { warn, warnings } = collecting();
    const names = items("delegatedAdminCustomers").map((item) => parseGdapCustomer(item, warn));
    expect(names.map((name) => name?.name)).toEqual(['Fabrikam "EU"', "Contoso\\Legacy", undefined, "Müller Bau GmbH"]);
    expect(names.every((name) => name?.domain === "")).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("names a contract by its display name, else its default domain; drops one without a customerId quietly", () => {
    const { warn, warnings } = collecting();
    const names = items("contracts").map((item) => parseContract(item, warn));
    expect(names).toEqual([
      { tenantId: "4b3c5d0e-aaaa-4c1e-9f3d-1a2b3c4d5e6f", name: 'Fabrikam "EU"', domain: "fabrikameu.onmicrosoft.com" },
      { tenantId: "9e8d7c6b-cccc-4b5a-9f8e-3c4d5e6f7081", name: "tailspin.onmicrosoft.com", domain: "tailspin.onmicrosoft.com" },
      { tenantId: "0a1b2c3d-dddd-4e5f-8a9b-4d5e6f708192", name: undefined, domain: "" },
      undefined,
    ]);
    expect(warnings).toEqual([]);
  });

  it("drops a GDAP customer without a tenantId, saying which field", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapCustomer({ displayName: "No id" }, warn)).toBeUndefined();
    expect(warnings).toEqual(["delegatedAdminCustomers[].tenantId: customer without a tenantId dropped"]);
  });
});

describe("GDAP relationships", () => {
  it("reads status, end and auto-extension, with nulls absent and unknown statuses as unknown", () => {
    const { warn, warnings } = collecting();
    const relationships = items("delegatedAdminRelationships").map((item) => parseGdapRelationship(item, warn));
    expect(relationships.map((relationship) => [relationship?.status, relationship?.endSeconds, relationship?.autoExtendSeconds, relationship?.customerTenantId])).toEqual([
      ["active", Date.parse("2026-12-02T10:00:00Z") / 1000, 180 * 86_400, "4b3c5d0e-aaaa-4c1e-9f3d-1a2b3c4d5e6f"],
      ["active", Date.parse("2026-12-09T09:00:00Z") / 1000, 0, "7c1f0e2d-bbbb-4d2a-8e4f-2b3c4d5e6f70"],
      ["active", undefined, undefined, "9e8d7c6b-cccc-4b5a-9f8e-3c4d5e6f7081"],
      ["expired", Date.parse("2025-01-01T00:00:00Z") / 1000, 0, "0a1b2c3d-dddd-4e5f-8a9b-4d5e6f708192"],
      ["approvalPending", undefined, 0, undefined],
      ["unknown", undefined, 180 * 86_400, "0a1b2c3d-dddd-4e5f-8a9b-4d5e6f708192"],
    ]);
    // One line per kind of problem, not one per relationship id.
    expect(warnings).toEqual(['delegatedAdminRelationships[].status: unknown value "suspended" exported as unknown']);
  });

  it("reads unknownFutureValue as unknown without a warning", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapRelationship({ id: "r", status: "unknownFutureValue" }, warn)?.status).toBe("unknown");
    expect(warnings).toEqual([]);
  });

  it("drops an unreadable autoExtendDuration with a warning naming the field", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapRelationship({ id: "r", status: "active", autoExtendDuration: "six months" }, warn)?.autoExtendSeconds).toBeUndefined();
    expect(warnings).toEqual(['delegatedAdminRelationships[].autoExtendDuration: dropped, expected an ISO 8601 duration but got "six months"']);
  });

  it.each([
    ["PT0S", 0],
    ["P0D", 0],
    ["P180D", 15_552_000],
    ["P1W", 604_800],
    ["P1DT12H", 129_600],
    ["PT1H30M", 5400],
    ["P2Y", 63_072_000],
    ["P", undefined],
    ["PT", undefined],
    ["180D", undefined],
    ["P-1D", undefined],
  ])("reads the ISO 8601 duration %s as %s seconds", (text, seconds) => {
    expect(isoDurationSeconds(text)).toBe(seconds);
  });
});

describe("partner security alerts", () => {
  it("reads every documented quirk: isTest as a string, null fields, empty alertType, unknown severity", () => {
    const { warn, warnings } = collecting();
    const alerts = items("securityAlerts").map((item) => parseSecurityAlert(item, warn));
    expect(alerts.map((alert) => [alert?.status, alert?.severity, alert?.alertType, alert?.isTest])).toEqual([
      ["active", "high", "networkConnectionsToCryptoMiningPools", false],
      ["investigating", "high", "usageAnomalyDetection", false],
      ["active", "medium", "usageAnomalyDetection", false],
      ["resolved", "low", "usageAnomalyDetection", false],
      ["active", "high", "networkConnectionsToCryptoMiningPools", true],
      ["active", "unknown", "unknown", false],
    ]);
    expect(alerts[0]?.detectedSeconds).toBe(Date.parse("2026-12-06T08:00:00Z") / 1000);
    expect(warnings).toEqual(['securityAlerts[].severity: unknown value "critical" exported as unknown']);
  });

  it("reads an isTest it cannot understand as a real alert, with a warning", () => {
    const { warn, warnings } = collecting();
    expect(parseSecurityAlert({ id: "a", status: "active", severity: "low", isTest: "maybe" }, warn)?.isTest).toBe(false);
    expect(warnings).toEqual(["securityAlerts[].isTest: expected a boolean, read as false"]);
  });

  it("drops an alert without an id", () => {
    const { warn, warnings } = collecting();
    expect(parseSecurityAlert({ status: "active" }, warn)).toBeUndefined();
    expect(warnings).toEqual(["securityAlerts[].id: alert without an id dropped"]);
  });
});

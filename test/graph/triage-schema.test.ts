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
    ["-P1D", undefined],
    ["xP1D", undefined],
    [" P1D ", 86_400],
    [" P ", undefined],
    ["PT ", undefined],
    ["P10Y", 10 * 365 * 86_400],
    ["P10M", 10 * 30 * 86_400],
    ["P10W", 10 * 7 * 86_400],
    ["P10D", 10 * 86_400],
    ["PT10H", 10 * 3600],
    ["PT10M", 600],
    ["PT10S", 10],
    ["P1.25Y", 1.25 * 365 * 86_400],
    ["P1.25M", 1.25 * 30 * 86_400],
    ["P1.25W", 1.25 * 7 * 86_400],
    ["P1.25D", 1.25 * 86_400],
    ["PT1.25H", 1.25 * 3600],
    ["PT1.25M", 75],
    ["PT1.25S", 1.25],
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

describe("items dropped or read in part, with warnings naming the field", () => {
  it.each<[string, (item: unknown, warn: (message: string) => void) => unknown, string]>([
    ["a GDAP customer", parseGdapCustomer, "delegatedAdminCustomers[]"],
    ["a contract", parseContract, "contracts[]"],
    ["a GDAP relationship", parseGdapRelationship, "delegatedAdminRelationships[]"],
    ["a security alert", parseSecurityAlert, "securityAlerts[]"],
  ])("drops %s that is not an object, with a warning", (_, parse, where) => {
    const { warn, warnings } = collecting();
    expect(parse("x", warn)).toBeUndefined();
    expect(warnings).toEqual([`${where}: dropped, expected an object but got "x"`]);
  });

  it("drops a GDAP customer whose tenantId is not a string, and keeps one whose name is not, unnamed", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapCustomer({ tenantId: 42, displayName: "Fabrikam" }, warn)).toBeUndefined();
    expect(parseGdapCustomer({ tenantId: "t-1", displayName: 42 }, warn)).toEqual({ tenantId: "t-1", name: undefined, domain: "" });
    expect(warnings).toEqual([
      "delegatedAdminCustomers[].tenantId: dropped, expected a string but got number",
      "delegatedAdminCustomers[].tenantId: customer without a tenantId dropped",
      "delegatedAdminCustomers[].displayName: dropped, expected a string but got number",
    ]);
  });

  it("drops a contract whose customerId is not a string, and keeps one whose names are not, unnamed", () => {
    const { warn, warnings } = collecting();
    expect(parseContract({ customerId: 42, displayName: "Fabrikam" }, warn)).toBeUndefined();
    expect(parseContract({ customerId: "t-1", displayName: 42, defaultDomainName: true }, warn)).toEqual({ tenantId: "t-1", name: undefined, domain: "" });
    expect(warnings).toEqual([
      "contracts[].customerId: dropped, expected a string but got number",
      "contracts[].defaultDomainName: dropped, expected a string but got boolean",
      "contracts[].displayName: dropped, expected a string but got number",
    ]);
  });

  it("drops a relationship without an id and reads an unreadable customer as none, saying which field", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapRelationship({ status: "active" }, warn)).toBeUndefined();
    expect(parseGdapRelationship({ id: "r1", status: "active", customer: "Fabrikam" }, warn)?.customerTenantId).toBeUndefined();
    expect(parseGdapRelationship({ id: "r2", status: "active", customer: { tenantId: 42 } }, warn)?.customerTenantId).toBeUndefined();
    expect(warnings).toEqual([
      "delegatedAdminRelationships[].id: relationship without an id dropped",
      'delegatedAdminRelationships[].customer: dropped, expected an object but got "Fabrikam"',
      "delegatedAdminRelationships[].customer.tenantId: dropped, expected a string but got number",
    ]);
  });

  it("reads a missing status or severity as unknown without a warning", () => {
    const { warn, warnings } = collecting();
    expect(parseGdapRelationship({ id: "r" }, warn)?.status).toBe("unknown");
    expect(parseSecurityAlert({ id: "a" }, warn)).toMatchObject({ status: "unknown", severity: "unknown", alertType: "unknown", isTest: false });
    expect(warnings).toEqual([]);
  });

  it("reads an unknown alert status as unknown, with a warning naming the field and value", () => {
    const { warn, warnings } = collecting();
    expect(parseSecurityAlert({ id: "a", status: "dismissed", severity: "low" }, warn)?.status).toBe("unknown");
    expect(warnings).toEqual(['securityAlerts[].status: unknown value "dismissed" exported as unknown']);
  });

  it.each<[unknown, boolean, string[]]>([
    [undefined, false, []],
    [null, false, []],
    [true, true, []],
    [false, false, []],
    ["true", true, []],
    ["FALSE", false, []],
    [" true ", true, []],
    [" TRUE ", true, []],
    ["untrue", false, ["securityAlerts[].isTest: expected a boolean, read as false"]],
    ["trueish", false, ["securityAlerts[].isTest: expected a boolean, read as false"]],
    [1, false, ["securityAlerts[].isTest: expected a boolean, read as false"]],
  ])("reads isTest %j as %s", (isTest, expected, expectedWarnings) => {
    const { warn, warnings } = collecting();
    expect(parseSecurityAlert({ id: "a", status: "active", severity: "low", isTest }, warn)?.isTest).toBe(expected);
    expect(warnings).toEqual(expectedWarnings);
  });
});

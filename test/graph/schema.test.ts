import { describe, expect, it } from "vitest";
import { SchemaError } from "../../src/graph/errors.js";
import { graphNumber, latestHistory, parseCollectionPage, parseCustomerInsight, parseRequirement, parseScore } from "../../src/graph/schema.js";
import { wireFixture } from "../fixtures/graph-fixtures.js";

function collect(): { warnings: string[]; warn: (message: string) => void } {
  const warnings: string[] = [];
  return { warnings, warn: (message) => warnings.push(message) };
}

function requirementsFixture(): unknown[] {
  return parseCollectionPage("requirements", wireFixture("requirements")).items as unknown[];
}

describe("graphNumber", () => {
  it.each<[unknown, number]>([
    [14.29, 14.29],
    ["1.2", 1.2],
    ["20", 20],
    ["NaN", Number.NaN],
    ["INF", Number.POSITIVE_INFINITY],
    ["-INF", Number.NEGATIVE_INFINITY],
  ])("reads %j", (input, expected) => {
    expect(graphNumber.parse(input)).toBe(expected);
  });

  it.each([["abc"], [""], [null], [true]])("rejects %j", (input) => {
    expect(graphNumber.safeParse(input).success).toBe(false);
  });
});

describe("parseScore", () => {
  it("reads the singleton wrapped in value, as the docs show it", () => {
    const { warn, warnings } = collect();
    expect(parseScore(wireFixture("securityScore"), warn)).toEqual({
      currentScore: 14.29,
      maxScore: 100,
      lastRefreshSeconds: Date.parse("2024-02-28T00:00:00Z") / 1000,
      updatedSeconds: Date.parse("2024-01-17T00:00:00Z") / 1000,
    });
    expect(warnings).toEqual([]);
  });

  it("reads the bare singleton the same way", () => {
    const wrapped = wireFixture("securityScore") as { value: unknown };
    expect(parseScore(wrapped.value, collect().warn)).toEqual(parseScore(wrapped, collect().warn));
  });

  it("drops a field of the wrong type with a warning naming it, and keeps the rest", () => {
    const { warn, warnings } = collect();
    const score = parseScore({ currentScore: "high", maxScore: null, updatedDateTime: "yesterday", lastRefreshDateTime: "2024-02-28T00:00:00Z" }, warn);
    expect(score.currentScore).toBeUndefined();
    expect(score.maxScore).toBeUndefined();
    expect(score.updatedSeconds).toBeUndefined();
    expect(score.lastRefreshSeconds).toBe(Date.parse("2024-02-28T00:00:00Z") / 1000);
    expect(warnings).toEqual([
      'securityScore.currentScore: dropped, expected a number but got "high"',
      "securityScore.maxScore: dropped, expected a number but got null",
      'securityScore.updatedDateTime: dropped, expected a date-time but got "yesterday"',
    ]);
  });

  it("fails on a body that is not an object", () => {
    expect(() => parseScore([1, 2], collect().warn)).toThrow(SchemaError);
  });
});

describe("parseRequirement", () => {
  it("reads the typed admins requirement with string numbers and nonCompliant", () => {
    const { warn, warnings } = collect();
    const admins = parseRequirement(requirementsFixture()[1], warn);
    expect(admins).toMatchObject({ id: "mfaEnforcedForAdmins", type: "mfaEnforcedForAdmins", complianceStatus: "noncompliant", state: "preview", score: 0, maxScore: 20 });
    expect(admins?.details).toEqual({
      kind: "adminsMfa",
      totalAdmins: 5,
      adminsMfaEnabled: 3,
      adminsRequiredNotUsingMfa: 2,
      totalUsers: 40,
      usersMfaEnabled: 36,
      usersRequiredNotUsingMfa: 4,
      policies: { securityDefaults: false, conditionalAccess: true, legacyPerUser: undefined },
    });
    expect(warnings).toEqual([]);
  });

  it("reads noncomplaint (the enum's spelling), INF and an hours string", () => {
    const { warn } = collect();
    const [, , customers, spending, response] = requirementsFixture().map((item) => parseRequirement(item, warn));
    expect(customers?.details).toEqual({ kind: "customersMfa", totalTenants: 79, compliantTenants: 20 });
    expect(spending?.complianceStatus).toBe("noncompliant");
    expect(spending?.details).toEqual({ kind: "spendingBudget", totalCustomers: 12, customersWithBudget: Number.POSITIVE_INFINITY });
    expect(response?.details).toEqual({ kind: "responseTime", averageResponseTimeHours: 1.2 });
  });

  it("keeps unknown enum members and @odata.types as unknown with a warning", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement(
      { "@odata.type": "#microsoft.graph.partner.security.futureSecurityRequirement", id: "r1", requirementType: "somethingNew", complianceStatus: "partial", state: "retired" },
      warn,
    );
    expect(requirement).toMatchObject({ id: "r1", type: "unknown", complianceStatus: "unknown", state: "unknown", details: { kind: "none" } });
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('unknown type "futureSecurityRequirement"');
  });

  it("treats unknownFutureValue as unknown without a warning", () => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ id: "r1", complianceStatus: "unknownFutureValue", state: "unknownFutureValue" }, warn)).toMatchObject({ complianceStatus: "unknown", state: "unknown" });
    expect(warnings).toEqual([]);
  });

  it("reads the typed properties by requirementType when @odata.type is missing", () => {
    const requirement = parseRequirement({ id: "x", requirementType: "securityAlertsPromptlyResolved", averageResponseTimeInHours: 30 }, collect().warn);
    expect(requirement?.details).toEqual({ kind: "responseTime", averageResponseTimeHours: 30 });
  });

  it("drops a requirement without an id, with a warning", () => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ requirementType: "securityContactProvided" }, warn)).toBeUndefined();
    expect(warnings).toEqual(["requirements[].id: requirement without an id dropped"]);
  });

  it("drops only the bad field of a requirement", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement({ id: "r", score: "lots", maxScore: 10, complianceStatus: 7 }, warn);
    expect(requirement).toMatchObject({ score: undefined, maxScore: 10, complianceStatus: "unknown" });
    expect(warnings).toEqual(["requirements[r].complianceStatus: dropped, expected a string but got number", 'requirements[r].score: dropped, expected a number but got "lots"']);
  });
});

describe("history and customer insights", () => {
  it("takes the newest history entry, whatever the order", () => {
    const items = parseCollectionPage("history", wireFixture("history")).items;
    const latest = latestHistory([...items].reverse(), collect().warn);
    expect(latest).toEqual({ createdSeconds: Date.parse("2024-01-17T00:00:00Z") / 1000, score: 14.29, compliantRequirements: 4, totalRequirements: 5 });
  });

  it("reads a customer insight and its MFA policies", () => {
    const [first] = parseCollectionPage("customerInsights", wireFixture("customerInsights")).items;
    expect(parseCustomerInsight(first, collect().warn)).toEqual({
      tenantId: "d90cb160-123d-0608-3fd6-c53551dcc20c",
      compliantAdmins: 1,
      compliantNonAdmins: 2,
      totalUsers: 5,
      policies: { securityDefaults: true, conditionalAccess: false, legacyPerUser: false },
    });
  });

  it("reads mfa: null (nullable in the CSDL) as a tenant without MFA insight, without a warning", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight({ tenantId: "t-1", mfa: null }, warn)).toEqual({
      tenantId: "t-1",
      compliantAdmins: undefined,
      compliantNonAdmins: undefined,
      totalUsers: undefined,
      policies: { securityDefaults: undefined, conditionalAccess: undefined, legacyPerUser: undefined },
    });
    expect(warnings).toEqual([]);
    // A value that is neither an object nor null still is one.
    parseCustomerInsight({ tenantId: "t-2", mfa: "none" }, warn);
    expect(warnings).toEqual(['customerInsights[].mfa: dropped, expected an object but got "none"']);
  });

  it("drops a customer without a tenantId", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight({ mfa: {} }, warn)).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it("returns the nextLink of a page and rejects a page without value", () => {
    expect(parseCollectionPage("customerInsights", wireFixture("customerInsights")).nextLink).toContain("$skiptoken=abc");
    expect(() => parseCollectionPage("customerInsights", { values: [] })).toThrow(/customerInsights: response is not an OData collection page/);
  });
});

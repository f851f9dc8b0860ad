import { afterEach, describe, expect, it } from "vitest";
import { EnvelopeError, SchemaError } from "../../src/graph/errors.js";
import { graphDateTime, graphNumber, latestHistory, parseCollectionPage, parseCustomerInsight, parseRequirement, parseScore } from "../../src/graph/schema.js";
import { wireFixture } from "../fixtures/graph-fixtures.js";

function collect(): { warnings: string[]; warn: (message: string) => void } {
  const warnings: string[] = [];
  return { warnings, warn: (message) => warnings.push(message) };
}

/** The error a call throws, to compare its class and whole message. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
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
    [" INF ", Number.POSITIVE_INFINITY],
    ["1e3", 1000],
    [".5", 0.5],
    [".25", 0.25],
    ["1e+3", 1000],
    ["2.5E-3", 0.0025],
    ["1e10", 1e10],
    ["-2", -2],
  ])("reads %j", (input, expected) => {
    expect(graphNumber.parse(input)).toBe(expected);
  });

  // A blank string is no number: Number("  ") would be 0.
  // Number() would read the hexadecimal, binary and octal forms too: Graph never sends them, so they are no number.
  it.each([["abc"], [""], ["   "], [null], [true], ["0x10"], ["0b11"], ["0o7"], ["1,5"], ["1.2.3"]])("rejects %j", (input) => {
    expect(graphNumber.safeParse(input).success).toBe(false);
  });
});

describe("graphDateTime", () => {
  const TZ = process.env.TZ;
  afterEach(() => {
    if (TZ === undefined) delete process.env.TZ;
    else process.env.TZ = TZ;
  });

  it.each<[string, number]>([
    ["2024-01-17T00:00:00Z", Date.UTC(2024, 0, 17) / 1000],
    ["2023-09-26T04:04:01.4261872Z", Date.UTC(2023, 8, 26, 4, 4, 1, 426) / 1000],
    ["2024-01-17T01:00:00+01:00", Date.UTC(2024, 0, 17) / 1000],
    ["2024-01-17T01:00:00+0100", Date.UTC(2024, 0, 17) / 1000],
    ["2024-01-17T10:30Z", Date.UTC(2024, 0, 17, 10, 30) / 1000],
    ["2024-01-17", Date.UTC(2024, 0, 17) / 1000],
  ])("reads %j as Unix seconds", (text, seconds) => {
    expect(graphDateTime.parse(text)).toBe(seconds);
  });

  it("reads a time without an offset as UTC, as Graph means it, whatever the exporter's time zone", () => {
    process.env.TZ = "Europe/Berlin";
    expect(graphDateTime.parse("2024-01-17T00:00:00")).toBe(Date.UTC(2024, 0, 17) / 1000);
  });

  // Date.parse alone reads all of these as some date: a believable wrong timestamp instead of a dropped field.
  it.each([["1"], ["Jan 5 2024"], ["2024-01-17 00:00:00"], ["17/01/2024"], [""], ["12024-01-17"]])("rejects %j", (text) => {
    expect(graphDateTime.safeParse(text).success).toBe(false);
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
    parseCustomerInsight({ tenantId: "t-3", mfa: [] }, warn);
    expect(warnings.at(-1)).toBe("customerInsights[].mfa: dropped, expected an object but got an array");
  });

  it("drops a customer without a tenantId", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight({ mfa: {} }, warn)).toBeUndefined();
    expect(warnings).toEqual(["customerInsights[].tenantId: customer without a tenantId dropped"]);
  });

  it("returns the nextLink of a page and rejects a page without value", () => {
    expect(parseCollectionPage("customerInsights", wireFixture("customerInsights")).nextLink).toContain("$skiptoken=abc");
    expect(() => parseCollectionPage("customerInsights", { values: [] })).toThrow(/customerInsights: response is not an OData collection page/);
  });
});

describe("refused responses and dropped fields say which field, on one line", () => {
  it.each<[string, unknown, string]>([
    ["a body without value", { values: [] }, "value: Invalid input: expected array, received undefined"],
    ["a null body", null, "body: Invalid input: expected object, received null"],
    ["an HTML page read as a string", "<html>", "body: Invalid input: expected object, received string"],
    ["a page with two bad fields", { value: "x", "@odata.nextLink": 5 }, "value: Invalid input: expected array, received string; @odata.nextLink: Invalid input: expected string, received number"],
  ])("refuses %s as a collection page, naming each bad field", (_, body, issues) => {
    const error = thrown(() => parseCollectionPage("requirements", body));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as Error).message).toBe(`requirements: response is not an OData collection page (${issues})`);
  });

  it.each([[null], ["<html>"], [5], [[1, 2]]])("refuses the score body %j with an envelope error, not a crash", (body) => {
    const error = thrown(() => parseScore(body, collect().warn));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as Error).message).toBe("securityScore: response is not a JSON object");
  });

  it.each([
    ["a value of 40 characters in full", "x".repeat(40), `"${"x".repeat(40)}"`],
    ["a longer value cut at 40 characters", "y".repeat(41), `"${"y".repeat(40)}…"`],
  ])("quotes %s in the warning", (_, value, quoted) => {
    const { warn, warnings } = collect();
    parseScore({ currentScore: value }, warn);
    expect(warnings).toEqual([`securityScore.currentScore: dropped, expected a number but got ${quoted}`]);
  });
});

describe("parseRequirement: derived types, enums and dropped items", () => {
  const adminsCounts = { totalAdminsCount: 5, mfaEnabledAdminsCount: 3, adminsRequiredNotUsingMfaCount: 2, totalUsersCount: 40, mfaEnabledUsersCount: 36, usersRequiredNotUsingMfaCount: 4 };
  const adminsDetails = {
    kind: "adminsMfa",
    totalAdmins: 5,
    adminsMfaEnabled: 3,
    adminsRequiredNotUsingMfa: 2,
    totalUsers: 40,
    usersMfaEnabled: 36,
    usersRequiredNotUsingMfa: 4,
    policies: { securityDefaults: undefined, conditionalAccess: undefined, legacyPerUser: undefined },
  };

  it.each<[string, Record<string, unknown>, unknown]>([
    ["mfaEnforcedForAdmins", adminsCounts, adminsDetails],
    ["mfaEnforcedForAdminsOfCustomers", { totalTenantCount: 79, compliantTenantCount: "20" }, { kind: "customersMfa", totalTenants: 79, compliantTenants: 20 }],
    ["spendingBudgetSetForCustomerAzureSubscriptions", { totalCustomersCount: 12, customersWithSpendBudgetCount: 3 }, { kind: "spendingBudget", totalCustomers: 12, customersWithBudget: 3 }],
    ["securityContactProvided", { totalTenantCount: 79 }, { kind: "none" }],
    ["somethingNew", { totalTenantCount: 79 }, { kind: "none" }],
  ])("without @odata.type, reads the typed properties of requirementType %s", (requirementType, properties, expected) => {
    expect(parseRequirement({ id: "r", requirementType, ...properties }, collect().warn)?.details).toEqual(expected);
  });

  it("reads the typed properties of a requirement without a requirementType as a plain one", () => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ id: "r", totalTenantCount: 79 }, warn)).toMatchObject({ type: "unknown", complianceStatus: "unknown", state: "unknown", details: { kind: "none" } });
    expect(warnings).toEqual([]);
  });

  it("selects the derived type from an @odata.type without the leading # (as the docs' customerMfaInsight shows)", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement({ "@odata.type": "microsoft.graph.partner.security.responseTimeSecurityRequirement", id: "r", averageResponseTimeInHours: "1.2" }, warn);
    expect(requirement?.details).toEqual({ kind: "responseTime", averageResponseTimeHours: 1.2 });
    expect(warnings).toEqual([]);
  });

  it("reads an unknown @odata.type as the base type even when requirementType names a derived one", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement(
      { "@odata.type": "#microsoft.graph.partner.security.futureSecurityRequirement", id: "r", requirementType: "securityAlertsPromptlyResolved", averageResponseTimeInHours: 30 },
      warn,
    );
    expect(requirement).toMatchObject({ type: "securityAlertsPromptlyResolved", details: { kind: "none" } });
    expect(warnings).toEqual(['requirements[r].@odata.type: unknown type "futureSecurityRequirement" read as a plain securityRequirement']);
  });

  it("names a type of another namespace in full, not as one of ours", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement({ "@odata.type": "#contoso.microsoft.graph.partner.security.responseTimeSecurityRequirement", id: "r", averageResponseTimeInHours: 30 }, warn);
    expect(requirement?.details).toEqual({ kind: "none" });
    expect(warnings).toEqual(['requirements[r].@odata.type: unknown type "#contoso.microsoft.graph.partner.security.responseTimeSecurityRequirement" read as a plain securityRequirement']);
  });

  it.each<[string, string, string[]]>([
    ["compliant", "compliant", []],
    ["noncomplaint", "noncompliant", []],
    ["nonCompliant", "noncompliant", []],
    ["non-compliant", "noncompliant", []],
    ["NONCOMPLIANT", "noncompliant", []],
    ["unknownFutureValue", "unknown", []],
    ["partiallyNonCompliant", "unknown", ['requirements[r].complianceStatus: unknown value "partiallyNonCompliant" exported as unknown']],
    ["nonCompliantPending", "unknown", ['requirements[r].complianceStatus: unknown value "nonCompliantPending" exported as unknown']],
  ])("reads complianceStatus %s as %s", (raw, expected, expectedWarnings) => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ id: "r", complianceStatus: raw }, warn)?.complianceStatus).toBe(expected);
    expect(warnings).toEqual(expectedWarnings);
  });

  it("warns about an unknown state or requirementType by field and value, but not about unknownFutureValue", () => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ id: "r", state: "retired", requirementType: "somethingNew" }, warn)).toMatchObject({ state: "unknown", type: "unknown" });
    expect(parseRequirement({ id: "s", state: "unknownFutureValue", requirementType: "unknownFutureValue" }, warn)).toMatchObject({ state: "unknown", type: "unknown" });
    expect(warnings).toEqual(['requirements[r].requirementType: unknown value "somethingNew" exported as unknown', 'requirements[r].state: unknown value "retired" exported as unknown']);
  });

  it("exports an unknown policyStatus as unknown, with a warning naming the field and value", () => {
    const { warn, warnings } = collect();
    const requirement = parseRequirement({ id: "r", requirementType: "mfaEnforcedForAdmins", securityDefaultsStatus: "enforced", mfaConditionalAccessPolicyStatus: "enabled" }, warn);
    expect(requirement?.details).toMatchObject({ policies: { securityDefaults: undefined, conditionalAccess: true, legacyPerUser: undefined } });
    expect(warnings).toEqual(['requirements[r].securityDefaultsStatus: unknown policyStatus "enforced" exported as unknown']);
  });

  it.each<[unknown, string]>([
    ["x", 'requirements[]: dropped, expected an object but got "x"'],
    [null, "requirements[]: dropped, expected an object but got null"],
    [7, "requirements[]: dropped, expected an object but got number"],
  ])("drops the requirement item %j with a warning", (item, warning) => {
    const { warn, warnings } = collect();
    expect(parseRequirement(item, warn)).toBeUndefined();
    expect(warnings).toEqual([warning]);
  });

  it("drops a requirement whose id is not a string, saying so", () => {
    const { warn, warnings } = collect();
    expect(parseRequirement({ id: 5, requirementType: "securityContactProvided" }, warn)).toBeUndefined();
    expect(warnings).toEqual(["requirements[].id: dropped, expected a string but got number", "requirements[].id: requirement without an id dropped"]);
  });
});

describe("latestHistory: what it skips", () => {
  const newest = { createdDateTime: "2024-01-17T00:00:00Z", score: 14.29, compliantRequirementsCount: 4, totalRequirementsCount: 5 };
  const newestEntry = { createdSeconds: Date.parse("2024-01-17T00:00:00Z") / 1000, score: 14.29, compliantRequirements: 4, totalRequirements: 5 };

  it("keeps the newest entry past items that are not objects or have no readable date, with a warning for each", () => {
    const { warn, warnings } = collect();
    expect(latestHistory([newest, "junk", { score: 99 }, { createdDateTime: "soon", score: 98 }], warn)).toEqual(newestEntry);
    expect(warnings).toEqual(['history[]: dropped, expected an object but got "junk"', 'history[].createdDateTime: dropped, expected a date-time but got "soon"']);
  });

  it("keeps the first of two entries with the same date", () => {
    expect(latestHistory([newest, { ...newest, score: 50 }], collect().warn)).toEqual(newestEntry);
  });

  it("drops the unreadable fields of the newest entry with warnings naming them", () => {
    const { warn, warnings } = collect();
    expect(latestHistory([{ createdDateTime: newest.createdDateTime, score: "high", compliantRequirementsCount: "four", totalRequirementsCount: true }], warn)).toEqual({
      createdSeconds: newestEntry.createdSeconds,
      score: undefined,
      compliantRequirements: undefined,
      totalRequirements: undefined,
    });
    expect(warnings).toEqual([
      'history[].score: dropped, expected a number but got "high"',
      'history[].compliantRequirementsCount: dropped, expected a number but got "four"',
      "history[].totalRequirementsCount: dropped, expected a number but got boolean",
    ]);
  });
});

describe("parseCustomerInsight: dropped items and absent MFA insight", () => {
  it("drops an item that is not an object, with a warning", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight(null, warn)).toBeUndefined();
    expect(warnings).toEqual(["customerInsights[]: dropped, expected an object but got null"]);
  });

  it("drops a customer whose tenantId is not a string, saying so", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight({ tenantId: 42, mfa: {} }, warn)).toBeUndefined();
    expect(warnings).toEqual(["customerInsights[].tenantId: dropped, expected a string but got number", "customerInsights[].tenantId: customer without a tenantId dropped"]);
  });

  it("reads a customer without mfa as one without MFA insight, without a warning", () => {
    const { warn, warnings } = collect();
    expect(parseCustomerInsight({ tenantId: "t-1" }, warn)).toMatchObject({ tenantId: "t-1", compliantAdmins: undefined, totalUsers: undefined });
    expect(warnings).toEqual([]);
  });
});

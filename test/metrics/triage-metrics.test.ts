import { describe, expect, it } from "vitest";
import type { CustomerSeries } from "../../src/metrics/customer-series.js";
import type { SecurityAlert } from "../../src/graph/snapshot.js";
import { ALERT_TYPES_NAMED, OTHER_ALERT_TYPE, summarizeAlerts } from "../../src/metrics/alert-series.js";
import { renderSnapshot } from "../../src/metrics/render.js";
import { ALL_SOURCES, fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { hasTool, promtoolCheckMetrics, sampleValue, seriesLines } from "../helpers.js";

const FABRIKAM = "4b3c5d0e-aaaa-4c1e-9f3d-1a2b3c4d5e6f";
const CONTOSO = "7c1f0e2d-bbbb-4d2a-8e4f-2b3c4d5e6f70";
const TAILSPIN = "9e8d7c6b-cccc-4b5a-9f8e-3c4d5e6f7081";
const MULLER = "0a1b2c3d-dddd-4e5f-8a9b-4d5e6f708192";

async function exposition(customerSeries: CustomerSeries = "all", sources = ALL_SOURCES): Promise<string> {
  const rendered = await renderSnapshot(await fixtureSnapshot([], sources), { customerSeries });
  return Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
}

function lines(text: string, name: string): string[] {
  return seriesLines(text).filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe("customer names", () => {
  it("exports one info series per named customer, escaping quotes and backslashes, none for a customer without a name", async () => {
    const text = await exposition();
    expect(lines(text, "partner_security_customer_info")).toEqual([
      `partner_security_customer_info{customer_tenant_id="${FABRIKAM}",customer_name="Fabrikam \\"EU\\"",customer_domain=""} 1`,
      `partner_security_customer_info{customer_tenant_id="${CONTOSO}",customer_name="Contoso\\\\Legacy",customer_domain=""} 1`,
      `partner_security_customer_info{customer_tenant_id="${MULLER}",customer_name="Müller Bau GmbH",customer_domain=""} 1`,
    ]);
  });

  it("names a contracts customer by its domain where it has no display name", async () => {
    const text = await exposition("all", { customerNames: "contracts", gdapRelationships: false, securityAlerts: false });
    expect(lines(text, "partner_security_customer_info")).toEqual([
      `partner_security_customer_info{customer_tenant_id="${FABRIKAM}",customer_name="Fabrikam \\"EU\\"",customer_domain="fabrikameu.onmicrosoft.com"} 1`,
      `partner_security_customer_info{customer_tenant_id="${TAILSPIN}",customer_name="tailspin.onmicrosoft.com",customer_domain="tailspin.onmicrosoft.com"} 1`,
    ]);
  });

  it("with PSE_CUSTOMER_SERIES=none names only customers another series of the scrape names (alerts, GDAP)", async () => {
    const names = await exposition("none", { customerNames: "gdap", gdapRelationships: false, securityAlerts: false });
    expect(lines(names, "partner_security_customer_info")).toEqual([]);
    const withAlerts = await exposition("none", { customerNames: "gdap", gdapRelationships: false, securityAlerts: true });
    // Fabrikam and Contoso have open alerts; Tailspin has one too but no name.
    expect(lines(withAlerts, "partner_security_customer_info").map((line) => /customer_tenant_id="([^"]+)"/.exec(line)?.[1])).toEqual([FABRIKAM, CONTOSO]);
  });

  it("has no series at all when names are off", async () => {
    const text = await exposition("all", { customerNames: "none", gdapRelationships: false, securityAlerts: false });
    expect(text).not.toContain("partner_security_customer_info");
    expect(text).not.toContain("partner_security_gdap_");
    expect(text).not.toContain("partner_security_alerts");
  });
});

describe("GDAP relationships", () => {
  it("counts every status, unknown ones as unknown, zeros included", async () => {
    const text = await exposition();
    const counts = Object.fromEntries(lines(text, "partner_security_gdap_relationships").map((line) => [/status="([^"]+)"/.exec(line)?.[1], Number(line.split(" ")[1])]));
    expect(counts).toEqual({
      activating: 0, active: 3, approvalPending: 1, approved: 0, created: 0, expired: 1, expiring: 0, terminated: 0, terminating: 0, terminationRequested: 0, unknown: 1,
    });
  });

  it("exports the end of active relationships, whether each auto-extends as a label, none where Graph sent no end", async () => {
    const text = await exposition();
    expect(lines(text, "partner_security_gdap_relationship_end_timestamp_seconds")).toEqual([
      `partner_security_gdap_relationship_end_timestamp_seconds{customer_tenant_id="${FABRIKAM}",relationship_id="5e5594d3-6f82-458b-b567-77db4811f0cd-00000000-0000-0000-0000-000000001234",auto_extend="true"} ${Date.parse("2026-12-02T10:00:00Z") / 1000}`,
      `partner_security_gdap_relationship_end_timestamp_seconds{customer_tenant_id="${CONTOSO}",relationship_id="6f6605e4-7093-469c-c678-88ec5922f1de-00000000-0000-0000-0000-000000005678",auto_extend="false"} ${Date.parse("2026-12-09T09:00:00Z") / 1000}`,
    ]);
  });

  it("keeps the end of an expiring relationship (past its end, access being removed), not of an expired one", async () => {
    const snapshot = await fixtureSnapshot([], ALL_SOURCES);
    const ending = {
      ...snapshot,
      gdapRelationships: [
        { id: "going", customerTenantId: FABRIKAM, status: "expiring" as const, endSeconds: 100, autoExtendSeconds: 0 },
        { id: "gone", customerTenantId: CONTOSO, status: "expired" as const, endSeconds: 50, autoExtendSeconds: 0 },
      ],
    };
    const rendered = await renderSnapshot(ending, { customerSeries: "all" });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    expect(lines(text, "partner_security_gdap_relationship_end_timestamp_seconds")).toEqual([
      `partner_security_gdap_relationship_end_timestamp_seconds{customer_tenant_id="${FABRIKAM}",relationship_id="going",auto_extend="false"} 100`,
    ]);
  });

  it("labels an active relationship whose auto-extension Graph does not give as unknown", async () => {
    const snapshot = await fixtureSnapshot([], ALL_SOURCES);
    const unknown = { ...snapshot, gdapRelationships: [{ id: "r", customerTenantId: FABRIKAM, status: "active" as const, endSeconds: 100, autoExtendSeconds: undefined }] };
    const rendered = await renderSnapshot(unknown, { customerSeries: "all" });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    expect(lines(text, "partner_security_gdap_relationship_end_timestamp_seconds")).toEqual([
      `partner_security_gdap_relationship_end_timestamp_seconds{customer_tenant_id="${FABRIKAM}",relationship_id="r",auto_extend="unknown"} 100`,
    ]);
  });
});

describe("partner security alerts", () => {
  it("counts every status and severity, zeros included, test alerts apart", async () => {
    const text = await exposition();
    expect(lines(text, "partner_security_alerts")).toHaveLength(20);
    expect(sampleValue(text, "partner_security_alerts", { status: "active", severity: "high" })).toBe(1);
    expect(sampleValue(text, "partner_security_alerts", { status: "investigating", severity: "high" })).toBe(1);
    expect(sampleValue(text, "partner_security_alerts", { status: "active", severity: "unknown" })).toBe(1);
    expect(sampleValue(text, "partner_security_alerts", { status: "resolved", severity: "low" })).toBe(1);
    expect(sampleValue(text, "partner_security_alerts", { status: "resolved", severity: "high" })).toBe(0);
    expect(sampleValue(text, "partner_security_alerts_test")).toBe(1);
  });

  it("breaks open alerts down by type and severity", async () => {
    const text = await exposition();
    expect(lines(text, "partner_security_alerts_active")).toEqual([
      'partner_security_alerts_active{alert_type="networkConnectionsToCryptoMiningPools",severity="high"} 1',
      'partner_security_alerts_active{alert_type="unknown",severity="unknown"} 1',
      'partner_security_alerts_active{alert_type="usageAnomalyDetection",severity="medium"} 1',
      'partner_security_alerts_active{alert_type="usageAnomalyDetection",severity="high"} 1',
    ]);
  });

  it("dates the oldest open alert per severity, an investigating one included, the test alert not", async () => {
    const text = await exposition();
    expect(sampleValue(text, "partner_security_alerts_oldest_active_detected_timestamp_seconds", { severity: "high" })).toBe(Date.parse("2026-12-05T20:00:00Z") / 1000);
    expect(sampleValue(text, "partner_security_alerts_oldest_active_detected_timestamp_seconds", { severity: "low" })).toBeUndefined();
  });

  it("counts and dates open alerts per customer, only customers with some", async () => {
    const text = await exposition();
    expect(sampleValue(text, "partner_security_customer_alerts_active", { customer_tenant_id: FABRIKAM, severity: "high" })).toBe(2);
    expect(sampleValue(text, "partner_security_customer_alerts_active", { customer_tenant_id: CONTOSO, severity: "medium" })).toBe(1);
    expect(sampleValue(text, "partner_security_customer_alerts_active", { customer_tenant_id: CONTOSO, severity: "low" })).toBeUndefined();
    expect(sampleValue(text, "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds", { customer_tenant_id: FABRIKAM, severity: "high" })).toBe(
      Date.parse("2026-12-05T20:00:00Z") / 1000,
    );
    expect(lines(text, "partner_security_customer_alerts_active").some((line) => line.includes(MULLER))).toBe(false);
  });

  it.skipIf(!hasTool("promtool"))("passes promtool check metrics with every source on", async () => {
    const result = promtoolCheckMetrics(await exposition());
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("the alert_type breakdown is bounded", () => {
  function alert(index: number, alertType: string): SecurityAlert {
    return { id: `a${index}`, status: "active", severity: "low", alertType, customerTenantId: "t", detectedSeconds: index, isTest: false };
  }

  it(`keeps the ${ALERT_TYPES_NAMED} types with the most open alerts and counts the rest as ${OTHER_ALERT_TYPE}`, () => {
    // Type t00 has 1 alert, t01 2, … t29 30: the 20 largest are t10..t29.
    const alerts = Array.from({ length: 30 }, (_, type) => Array.from({ length: type + 1 }, (_, n) => alert(type * 100 + n, `t${String(type).padStart(2, "0")}`))).flat();
    const summary = summarizeAlerts(alerts);
    const types = summary.openByType.map((entry) => entry.alertType);
    expect(types).toHaveLength(ALERT_TYPES_NAMED + 1);
    expect(types).toContain(OTHER_ALERT_TYPE);
    expect(types).not.toContain("t09");
    expect(types).toContain("t10");
    const other = summary.openByType.find((entry) => entry.alertType === OTHER_ALERT_TYPE)?.count;
    expect(other).toBe((10 * 11) / 2);
    expect(summary.openByType.reduce((total, entry) => total + entry.count, 0)).toBe(alerts.length);
  });
});

describe("open alerts, whatever order Graph lists them in", () => {
  const OPEN_HELP = "open (active or investigating, test alerts not counted) partner security alerts";

  function openAlert(id: string, fields: Partial<SecurityAlert>): SecurityAlert {
    return { id, status: "active", severity: "high", alertType: "usageAnomalyDetection", customerTenantId: FABRIKAM, detectedSeconds: undefined, isTest: false, ...fields };
  }

  async function alertExposition(securityAlerts: readonly SecurityAlert[]): Promise<string> {
    const snapshot = { ...(await fixtureSnapshot([], ALL_SOURCES)), securityAlerts };
    const rendered = await renderSnapshot(snapshot, { customerSeries: "all" });
    return Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
  }

  it.each([
    ["oldest first", [100, 200, undefined]],
    ["oldest last", [undefined, 200, 100]],
    ["oldest in the middle", [200, 100, undefined]],
  ] as const)("dates the oldest open alert of a severity and of a customer by its detection time (%s), one without a time not counting", async (_order, times) => {
    const text = await alertExposition(times.map((detectedSeconds, index) => openAlert(`a${index}`, { detectedSeconds })));
    expect(lines(text, "partner_security_alerts_oldest_active_detected_timestamp_seconds")).toEqual(['partner_security_alerts_oldest_active_detected_timestamp_seconds{severity="high"} 100']);
    expect(lines(text, "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds")).toEqual([
      `partner_security_customer_alerts_oldest_active_detected_timestamp_seconds{customer_tenant_id="${FABRIKAM}",severity="high"} 100`,
    ]);
  });

  it("counts an open alert Graph names no customer for in the partner-wide series only", async () => {
    const text = await alertExposition([openAlert("mine", { customerTenantId: undefined, detectedSeconds: 50 }), openAlert("theirs", { detectedSeconds: 100 })]);
    expect(sampleValue(text, "partner_security_alerts_active", { alert_type: "usageAnomalyDetection", severity: "high" })).toBe(2);
    expect(sampleValue(text, "partner_security_alerts_oldest_active_detected_timestamp_seconds", { severity: "high" })).toBe(50);
    expect(lines(text, "partner_security_customer_alerts_active")).toEqual([`partner_security_customer_alerts_active{customer_tenant_id="${FABRIKAM}",severity="high"} 1`]);
    expect(lines(text, "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds")).toEqual([
      `partner_security_customer_alerts_oldest_active_detected_timestamp_seconds{customer_tenant_id="${FABRIKAM}",severity="high"} 100`,
    ]);
  });

  it.each([
    ["from most to least severe", ["unknown", "high", "medium", "low", "informational"]],
    ["shuffled", ["medium", "unknown", "informational", "high", "low"]],
  ] as const)("lists the severities of one alert type from informational to unknown (Graph's order %s)", async (_order, severities) => {
    const text = await alertExposition(severities.map((severity, index) => openAlert(`a${index}`, { severity })));
    expect(lines(text, "partner_security_alerts_active")).toEqual(
      ["informational", "low", "medium", "high", "unknown"].map((severity) => `partner_security_alerts_active{alert_type="usageAnomalyDetection",severity="${severity}"} 1`),
    );
  });

  it(`names, of the alert types tied at the cut-off, the first ${ALERT_TYPES_NAMED} by name and counts the rest as alert_type="other"`, async () => {
    // 21 types of one open alert each: t20, last by name, is the one counted as other.
    const types = Array.from({ length: ALERT_TYPES_NAMED + 1 }, (_, index) => `t${String(index).padStart(2, "0")}`);
    const expected = [
      'partner_security_alerts_active{alert_type="other",severity="low"} 1',
      ...types.slice(0, ALERT_TYPES_NAMED).map((type) => `partner_security_alerts_active{alert_type="${type}",severity="low"} 1`),
    ];
    const orders = [types, [...types].reverse(), [...types.slice(0, 10), ...types.slice(20), ...types.slice(10, 20)], types.filter((_, i) => i % 2 === 1).concat(types.filter((_, i) => i % 2 === 0))];
    for (const order of orders) {
      const text = await alertExposition(order.map((alertType) => openAlert(alertType, { alertType, severity: "low" })));
      expect(lines(text, "partner_security_alerts_active"), order.join(",")).toEqual(expected);
    }
  });

  it("says in the HELP of every open-alert metric what counts as open", async () => {
    const text = await exposition();
    expect(text).toContain(
      `# HELP partner_security_alerts_active Count of ${OPEN_HELP}, per alert type and severity; the 20 types with the most open alerts keep their name, the others are counted as alert_type="other". Cached between refreshes from Microsoft Graph; partner_security_exporter_refresh_interval_seconds gives the interval.\n`,
    );
    for (const name of ["partner_security_alerts_oldest_active_detected_timestamp_seconds", "partner_security_customer_alerts_active", "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds"]) {
      expect(text.split("\n").find((line) => line.startsWith(`# HELP ${name} `)), name).toContain(OPEN_HELP);
    }
  });
});

describe("customer names and GDAP relationships in the narrower modes", () => {
  it("with PSE_CUSTOMER_SERIES=none names the customers of active GDAP relationships", async () => {
    const text = await exposition("none", { customerNames: "gdap", gdapRelationships: true, securityAlerts: false });
    // Tailspin's active relationship has no name to give; Müller's are expired or unknown.
    expect(lines(text, "partner_security_customer_info").map((line) => /customer_tenant_id="([^"]+)"/.exec(line)?.[1])).toEqual([FABRIKAM, CONTOSO]);
  });

  it("with PSE_CUSTOMER_SERIES=noncompliant names the tenants that get per-tenant series, not the fully covered ones", async () => {
    const base = await fixtureSnapshot([], ALL_SOURCES);
    const covered = { tenantId: "c-covered", compliantAdmins: 2, compliantNonAdmins: 8, totalUsers: 10, policies: { securityDefaults: true, conditionalAccess: undefined, legacyPerUser: undefined } };
    const partial = { ...covered, tenantId: "c-partial", compliantNonAdmins: 1 };
    const snapshot = {
      ...base,
      customers: [covered, partial],
      customerNames: [covered, partial].map(({ tenantId }) => ({ tenantId, name: `Name of ${tenantId}`, domain: "" })),
      gdapRelationships: undefined,
      securityAlerts: undefined,
    };
    const rendered = await renderSnapshot(snapshot, { customerSeries: "noncompliant" });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    expect(lines(text, "partner_security_customer_info")).toEqual(['partner_security_customer_info{customer_tenant_id="c-partial",customer_name="Name of c-partial",customer_domain=""} 1']);
  });

  it("exports the end of an active relationship Graph names no customer for, with customer_tenant_id empty", async () => {
    const snapshot = await fixtureSnapshot([], ALL_SOURCES);
    const orphan = { ...snapshot, gdapRelationships: [{ id: "r", customerTenantId: undefined, status: "active" as const, endSeconds: 100, autoExtendSeconds: 0 }] };
    const rendered = await renderSnapshot(orphan, { customerSeries: "all" });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    expect(lines(text, "partner_security_gdap_relationship_end_timestamp_seconds")).toEqual([
      'partner_security_gdap_relationship_end_timestamp_seconds{customer_tenant_id="",relationship_id="r",auto_extend="false"} 100',
    ]);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { CustomerInsight, MfaPolicies, Snapshot } from "../../src/graph/snapshot.js";
import { COVERAGE_BANDS, CUSTOMER_SERIES_MODES, coverageBand, exportsCustomer } from "../../src/metrics/customer-series.js";
import type { CustomerSeries } from "../../src/metrics/customer-series.js";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { renderSnapshot } from "../../src/metrics/render.js";
import { createSelfMetrics } from "../../src/metrics/self-metrics.js";
import { fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { hasTool, sampleValue, seriesLines } from "../helpers.js";

const TENANTS = "partner_security_customer_insight_tenants";
const WITH_POLICY = "partner_security_customer_insight_tenants_with_mfa_policy";
const WITHOUT_POLICY = "partner_security_customer_insight_tenants_without_mfa_policy";
const BY_COVERAGE = "partner_security_customer_insight_tenants_by_mfa_coverage";
const AGGREGATES = [TENANTS, WITH_POLICY, WITHOUT_POLICY, BY_COVERAGE];
const PER_TENANT = GRAPH_METRICS.filter((row) => row.labelNames.includes("customer_tenant_id")).map((row) => row.name);

const OFF: MfaPolicies = { securityDefaults: false, conditionalAccess: false, legacyPerUser: false };
const UNKNOWN: MfaPolicies = { securityDefaults: undefined, conditionalAccess: undefined, legacyPerUser: undefined };

function tenant(tenantId: string, admins: number | undefined, nonAdmins: number | undefined, users: number | undefined, policies: Partial<MfaPolicies> = {}): CustomerInsight {
  return { tenantId, compliantAdmins: admins, compliantNonAdmins: nonAdmins, totalUsers: users, policies: { ...OFF, ...policies } };
}

/** Every edge of the bands and of "has a policy", with the band and whether `noncompliant` exports it. */
const CASES: ReadonlyArray<{ customer: CustomerInsight; band: string; noncompliant: boolean; withoutPolicy: boolean }> = [
  { customer: tenant("t-full", 2, 8, 10, { securityDefaults: true }), band: "100_percent", noncompliant: false, withoutPolicy: false },
  { customer: tenant("t-full-ca-only-known", 4, 6, 10, { ...UNKNOWN, conditionalAccess: true }), band: "100_percent", noncompliant: false, withoutPolicy: false },
  { customer: tenant("t-over", 3, 9, 10, { conditionalAccess: true }), band: "100_percent", noncompliant: false, withoutPolicy: false },
  { customer: tenant("t-legacy", 1, 4, 5, { legacyPerUser: true }), band: "100_percent", noncompliant: false, withoutPolicy: false },
  { customer: tenant("t-full-no-policy", 2, 8, 10), band: "100_percent", noncompliant: true, withoutPolicy: true },
  { customer: tenant("t-full-policy-unknown", 2, 8, 10, UNKNOWN), band: "100_percent", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-90", 1, 8, 10, { securityDefaults: true }), band: "90_to_100_percent", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-89", 9, 80, 100, { securityDefaults: true }), band: "50_to_90_percent", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-50", 1, 4, 10, { conditionalAccess: undefined }), band: "50_to_90_percent", noncompliant: true, withoutPolicy: true },
  { customer: tenant("t-49", 9, 40, 100, { securityDefaults: true, conditionalAccess: true }), band: "below_50_percent", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-zero", 0, 0, 12), band: "below_50_percent", noncompliant: true, withoutPolicy: true },
  { customer: tenant("t-no-users", 0, 0, 0, { securityDefaults: true }), band: "unknown", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-counts-missing", undefined, 3, 3, { securityDefaults: true }), band: "unknown", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-users-missing", 3, 0, undefined, UNKNOWN), band: "unknown", noncompliant: true, withoutPolicy: false },
  { customer: tenant("t-non-admins-missing", 3, undefined, 3, UNKNOWN), band: "unknown", noncompliant: true, withoutPolicy: false },
  // One policy state known, disabled, the others unknown: each alone makes a tenant one without an MFA policy.
  { customer: tenant("t-only-sd-known-off", 2, 8, 10, { ...UNKNOWN, securityDefaults: false }), band: "100_percent", noncompliant: true, withoutPolicy: true },
  { customer: tenant("t-only-ca-known-off", 2, 8, 10, { ...UNKNOWN, conditionalAccess: false }), band: "100_percent", noncompliant: true, withoutPolicy: true },
  { customer: tenant("t-only-legacy-known-off", 2, 8, 10, { ...UNKNOWN, legacyPerUser: false }), band: "100_percent", noncompliant: true, withoutPolicy: true },
];

async function snapshotOf(customers: readonly CustomerInsight[]): Promise<Snapshot> {
  return { ...(await fixtureSnapshot()), customers };
}

async function exposition(snapshot: Snapshot, customerSeries: CustomerSeries): Promise<string> {
  const rendered = await renderSnapshot(snapshot, { customerSeries });
  return Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
}

/** The customer tenants that have at least one series in the exposition. */
function tenantsWithSeries(text: string): string[] {
  return [...new Set(seriesLines(text).flatMap((line) => /customer_tenant_id="([^"]+)"/.exec(line)?.[1] ?? []))].sort();
}

function linesOf(text: string, names: readonly string[]): string[] {
  return seriesLines(text).filter((line) => names.includes(/^[^{ ]+/.exec(line)?.[0] ?? ""));
}

describe("the customer series mode", () => {
  it.each(CASES.map((c) => [c.customer.tenantId, c]))("puts %s in its band and exports it in noncompliant mode only when it is not fully covered", (_id, c) => {
    expect(coverageBand(c.customer)).toBe(c.band);
    expect(exportsCustomer(c.customer, "noncompliant")).toBe(c.noncompliant);
    expect(exportsCustomer(c.customer, "all")).toBe(true);
    expect(exportsCustomer(c.customer, "none")).toBe(false);
  });

  it("exports per-tenant series for every tenant (all), for the not fully covered ones (noncompliant), or for none", async () => {
    const snapshot = await snapshotOf(CASES.map((c) => c.customer));
    const ids = (filter: (c: (typeof CASES)[number]) => boolean) => CASES.filter(filter).map((c) => c.customer.tenantId).sort();
    expect(tenantsWithSeries(await exposition(snapshot, "all"))).toEqual(ids(() => true));
    expect(tenantsWithSeries(await exposition(snapshot, "noncompliant"))).toEqual(ids((c) => c.noncompliant));
    expect(tenantsWithSeries(await exposition(snapshot, "none"))).toEqual([]);
  });

  it("keeps every per-tenant series of an exported tenant, the same as in mode all", async () => {
    const snapshot = await snapshotOf(CASES.map((c) => c.customer));
    const exported = new Set(CASES.filter((c) => c.noncompliant).map((c) => c.customer.tenantId));
    const all = linesOf(await exposition(snapshot, "all"), PER_TENANT).filter((line) => exported.has(/customer_tenant_id="([^"]+)"/.exec(line)?.[1] ?? ""));
    expect(linesOf(await exposition(snapshot, "noncompliant"), PER_TENANT)).toEqual(all);
  });

  it("drops no family but the per-tenant ones in mode none", async () => {
    const snapshot = await snapshotOf(CASES.map((c) => c.customer));
    const families = (text: string) => [...new Set(seriesLines(text).map((line) => /^[^{ ]+/.exec(line)?.[0]))];
    expect(families(await exposition(snapshot, "none"))).toEqual(families(await exposition(snapshot, "all")).filter((name) => !PER_TENANT.includes(name ?? "")));
  });

  it("counts every tenant read in the aggregates, the same in every mode", async () => {
    const snapshot = await snapshotOf(CASES.map((c) => c.customer));
    const texts = await Promise.all(CUSTOMER_SERIES_MODES.map((mode) => exposition(snapshot, mode)));
    for (const text of texts) expect(linesOf(text, AGGREGATES)).toEqual(linesOf(texts[0] ?? "", AGGREGATES));
    const text = texts[0] ?? "";
    expect(sampleValue(text, TENANTS)).toBe(CASES.length);
    for (const band of COVERAGE_BANDS) expect(sampleValue(text, BY_COVERAGE, { coverage_band: band }), band).toBe(CASES.filter((c) => c.band === band).length);
    expect(sampleValue(text, WITH_POLICY, { policy: "security_defaults" })).toBe(6);
    expect(sampleValue(text, WITH_POLICY, { policy: "conditional_access" })).toBe(3);
    expect(sampleValue(text, WITH_POLICY, { policy: "legacy_per_user" })).toBe(1);
    expect(sampleValue(text, WITHOUT_POLICY)).toBe(CASES.filter((c) => c.withoutPolicy).length);
  });

  it("has bands that sum to the tenant count, and counts security defaults only where on, for many generated tenants", async () => {
    // Security defaults on for a quarter, off for half, unknown for the rest: no two counts alike.
    const securityDefaults = (i: number) => (i % 4 === 0 ? true : i % 4 < 3 ? false : undefined);
    const customers = Array.from({ length: 500 }, (_, i) => tenant(`t-${i}`, i % 7, (i * 13) % 11, i % 17, { securityDefaults: securityDefaults(i) }));
    const text = await exposition(await snapshotOf(customers), "none");
    const bands = COVERAGE_BANDS.map((band) => sampleValue(text, BY_COVERAGE, { coverage_band: band }) ?? Number.NaN);
    expect(bands.reduce((a, b) => a + b, 0)).toBe(500);
    expect(sampleValue(text, TENANTS)).toBe(500);
    expect(sampleValue(text, WITH_POLICY, { policy: "security_defaults" })).toBe(125);
  });

  it("counts without_mfa_policy as max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0 finds them", async () => {
    const snapshot = await snapshotOf(CASES.map((c) => c.customer));
    const text = await exposition(snapshot, "all");
    const max = new Map<string, number>();
    for (const line of linesOf(text, ["partner_security_customer_mfa_policy_enabled"])) {
      const id = /customer_tenant_id="([^"]+)"/.exec(line)?.[1] ?? "";
      max.set(id, Math.max(max.get(id) ?? Number.NEGATIVE_INFINITY, Number(line.split(" ").at(-1))));
    }
    expect(sampleValue(text, WITHOUT_POLICY)).toBe([...max.values()].filter((value) => value === 0).length);
  });

  it("exports every aggregate series at 0 when customerInsights lists no tenant, and none when it did not answer", async () => {
    const empty = await exposition(await snapshotOf([]), "all");
    expect(sampleValue(empty, TENANTS)).toBe(0);
    expect(sampleValue(empty, WITHOUT_POLICY)).toBe(0);
    expect(linesOf(empty, [WITH_POLICY])).toHaveLength(3);
    for (const band of COVERAGE_BANDS) expect(sampleValue(empty, BY_COVERAGE, { coverage_band: band }), band).toBe(0);
    const base = await fixtureSnapshot();
    const unavailable = await exposition({ ...base, customers: [], available: { ...base.available, customerInsights: false } }, "all");
    expect(linesOf(unavailable, AGGREGATES)).toEqual([]);
  });

  it.each(CUSTOMER_SERIES_MODES)("says which mode runs in partner_security_exporter_customer_series_info (%s)", async (mode) => {
    const self = createSelfMetrics({ version: "1", revision: "r" }, { refreshIntervalSeconds: 900, maxStalenessSeconds: 0, customerSeries: mode });
    for (const registry of Object.values(self.registries)) {
      expect(seriesLines(await registry.metrics()).filter((line) => line.startsWith("partner_security_exporter_customer_series_info"))).toEqual([
        `partner_security_exporter_customer_series_info{mode="${mode}"} 1`,
      ]);
    }
  });
});

describe("the aggregates against PromQL over the per-tenant series (promtool)", () => {
  /** Runs promql_expr_tests over the exposition loaded as one sample per series. */
  function promtoolExpect(text: string, tests: Array<{ expr: string; value: number }>): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), "pse-aggregates-"));
    try {
      const input_series = seriesLines(text).map((line) => {
        const at = line.lastIndexOf(" ");
        return { series: line.slice(0, at), values: line.slice(at + 1) };
      });
      const promql_expr_test = tests.map(({ expr, value }) => ({ expr, eval_time: "0m", exp_samples: [{ labels: "{}", value }] }));
      writeFileSync(join(dir, "rules.yml"), "groups: []\n");
      writeFileSync(join(dir, "test.yml"), stringify({ rule_files: ["rules.yml"], evaluation_interval: "1m", tests: [{ interval: "1m", input_series, promql_expr_test }] }));
      const result = spawnSync("promtool", ["test", "rules", "test.yml"], { cwd: dir, encoding: "utf8" });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.skipIf(!hasTool("promtool"))("finds the same counts from the per-tenant series of mode all as the aggregates say", async () => {
    const text = await exposition(await snapshotOf(CASES.map((c) => c.customer)), "all");
    const coverage = "((partner_security_customer_mfa_compliant_admins + partner_security_customer_mfa_compliant_non_admins) / (partner_security_customer_users > 0))";
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(text, name, labels) ?? Number.NaN;
    const band = (coverage_band: string) => value(BY_COVERAGE, { coverage_band });
    const result = promtoolExpect(text, [
      { expr: "count(max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0)", value: value(WITHOUT_POLICY) },
      { expr: 'count(max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled{policy="security_defaults"}) == 1)', value: value(WITH_POLICY, { policy: "security_defaults" }) },
      { expr: `count(${coverage} >= 1)`, value: band("100_percent") },
      { expr: `count(${coverage} >= 0.9 < 1)`, value: band("90_to_100_percent") },
      { expr: `count(${coverage} >= 0.5 < 0.9)`, value: band("50_to_90_percent") },
      { expr: `count(${coverage} < 0.5)`, value: band("below_50_percent") },
      { expr: `count(count by (customer_tenant_id) ({customer_tenant_id!=""})) - count(${coverage})`, value: band("unknown") },
    ]);
    expect(result.output).not.toContain("FAILED");
    expect(result.status, result.output).toBe(0);
  });
});

import type { CustomerInsight, MfaPolicies } from "../graph/snapshot.js";
import { inSlices } from "../slices.js";

/**
 * Which customer tenants get per-tenant series (PSE_CUSTOMER_SERIES): every one, only those not
 * fully covered (MFA coverage below 100% or unknown, or no MFA policy known to be enabled), or
 * none. The aggregates count every tenant read whatever the mode.
 */
export const CUSTOMER_SERIES_MODES = ["all", "noncompliant", "none"] as const;
export type CustomerSeries = (typeof CUSTOMER_SERIES_MODES)[number];

/** The `policy` label values and the snapshot fields they read, in exposition order. */
export const MFA_POLICIES: ReadonlyArray<readonly [string, keyof MfaPolicies]> = [
  ["security_defaults", "securityDefaults"],
  ["conditional_access", "conditionalAccess"],
  ["legacy_per_user", "legacyPerUser"],
];

/** The `coverage_band` label values, in exposition order: [0, 0.5), [0.5, 0.9), [0.9, 1), >= 1, no users or counts. */
export const COVERAGE_BANDS = ["below_50_percent", "50_to_90_percent", "90_to_100_percent", "100_percent", "unknown"] as const;
export type CoverageBand = (typeof COVERAGE_BANDS)[number];

/** (compliant admins + compliant non-admins) / users, as the dashboards compute it; undefined without users or counts. */
export function mfaCoverage(customer: CustomerInsight): number | undefined {
  const { compliantAdmins, compliantNonAdmins, totalUsers } = customer;
  if (compliantAdmins === undefined || compliantNonAdmins === undefined || totalUsers === undefined || totalUsers <= 0) return undefined;
  return (compliantAdmins + compliantNonAdmins) / totalUsers;
}

export function coverageBand(customer: CustomerInsight): CoverageBand {
  const coverage = mfaCoverage(customer);
  if (coverage === undefined) return "unknown";
  if (coverage >= 1) return "100_percent";
  if (coverage >= 0.9) return "90_to_100_percent";
  if (coverage >= 0.5) return "50_to_90_percent";
  return "below_50_percent";
}

function anyPolicyEnabled(policies: MfaPolicies): boolean {
  return policies.securityDefaults === true || policies.conditionalAccess === true || policies.legacyPerUser === true;
}

/**
 * At least one policy state known and none enabled: the tenants that
 * `max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0` finds (a
 * tenant with no known state has no series there).
 */
export function withoutMfaPolicy(policies: MfaPolicies): boolean {
  return !anyPolicyEnabled(policies) && (policies.securityDefaults === false || policies.conditionalAccess === false || policies.legacyPerUser === false);
}

/** Whether the tenant gets per-tenant series in this mode. */
export function exportsCustomer(customer: CustomerInsight, mode: CustomerSeries): boolean {
  if (mode === "all") return true;
  if (mode === "none") return false;
  return coverageBand(customer) !== "100_percent" || !anyPolicyEnabled(customer.policies);
}

/** What the aggregate metrics say about every tenant read. */
export interface CustomerCounts {
  readonly tenants: number;
  /** Per `policy` label value, in MFA_POLICIES order: tenants with that policy enabled. */
  readonly withPolicy: ReadonlyMap<string, number>;
  readonly withoutPolicy: number;
  /** Every band, 0 when empty. */
  readonly byCoverage: ReadonlyMap<CoverageBand, number>;
}

/** One pass over every tenant of a snapshot, made once before any metric row is read. */
export interface CustomerSummary {
  /** The tenants that get per-tenant series in the mode (PSE_CUSTOMER_SERIES), in snapshot order. */
  readonly exported: readonly CustomerInsight[];
  readonly counts: CustomerCounts;
}

/**
 * Counts the aggregates and selects the exported tenants in one pass, in slices: at 100,000
 * tenants one synchronous loop held the event loop for 10-17 ms, and each aggregate row ran it again.
 */
export async function summarizeCustomers(customers: readonly CustomerInsight[], mode: CustomerSeries): Promise<CustomerSummary> {
  const policyCounts: Record<keyof MfaPolicies, number> = { securityDefaults: 0, conditionalAccess: 0, legacyPerUser: 0 };
  const bandCounts: Record<CoverageBand, number> = { below_50_percent: 0, "50_to_90_percent": 0, "90_to_100_percent": 0, "100_percent": 0, unknown: 0 };
  let withoutPolicy = 0;
  const exported: CustomerInsight[] = [];
  for await (const slice of inSlices(customers)) {
    for (const customer of slice) {
      const { policies } = customer;
      if (policies.securityDefaults === true) policyCounts.securityDefaults++;
      if (policies.conditionalAccess === true) policyCounts.conditionalAccess++;
      if (policies.legacyPerUser === true) policyCounts.legacyPerUser++;
      if (withoutMfaPolicy(policies)) withoutPolicy++;
      bandCounts[coverageBand(customer)]++;
      if (exportsCustomer(customer, mode)) exported.push(customer);
    }
  }
  const counts: CustomerCounts = {
    tenants: customers.length,
    withPolicy: new Map(MFA_POLICIES.map(([policy, key]) => [policy, policyCounts[key]])),
    withoutPolicy,
    byCoverage: new Map(COVERAGE_BANDS.map((band) => [band, bandCounts[band]])),
  };
  return { exported, counts };
}

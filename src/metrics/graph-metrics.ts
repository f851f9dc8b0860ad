import type { CustomerInsight, MfaPolicies, PolicyEnabled, Requirement, RequirementDetails, Snapshot } from "../graph/snapshot.js";
import { COMPLIANCE_STATUSES, REQUIREMENT_STATES } from "../graph/snapshot.js";
import { COVERAGE_BANDS, MFA_POLICIES } from "./customer-series.js";
import type { CustomerCounts, CustomerSummary } from "./customer-series.js";

export type Labels = Readonly<Record<string, string>>;
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One Graph-derived metric: its contract and how to read its samples from a snapshot. */
export interface MetricRow {
  readonly name: string;
  /** Where the value comes from in Graph; the renderer adds that it is cached. */
  readonly help: string;
  readonly labelNames: readonly string[];
  /** The unit the name must end in, if any. */
  readonly unit?: "seconds";
  /** The Graph field, for docs/metrics.md. */
  readonly source: string;
  /**
   * Read lazily, a slice at a time between yields to the event loop. Rows labelled by
   * `customer_tenant_id` read only `customers.exported`; the aggregates read `customers.counts`.
   */
  samples(snapshot: Snapshot, customers: CustomerSummary): Iterable<Sample>;
}

const NO_LABELS: Labels = Object.freeze({});

/** One sample, or none when Graph did not say (absent data stays absent). */
function sampleIfKnown(value: number | undefined, labels: Labels = NO_LABELS): Sample[] {
  return value === undefined ? [] : [{ labels, value }];
}

function* policySamples(policies: MfaPolicies, labels: Labels = NO_LABELS): Generator<Sample> {
  for (const [policy, key] of MFA_POLICIES) {
    const value = policyValue(policies[key]);
    if (value !== undefined) yield { labels: { ...labels, policy }, value };
  }
}

function policyValue(enabled: PolicyEnabled): number | undefined {
  return enabled === undefined ? undefined : Number(enabled);
}

function requirementLabels(requirement: Requirement): Labels {
  return { requirement_id: requirement.id, requirement_type: requirement.type };
}

/** Typed requirements carry the counts; a second one of the same kind would repeat the same series, so the first wins. */
function detailsOf<K extends RequirementDetails["kind"]>(snapshot: Snapshot, kind: K): Extract<RequirementDetails, { kind: K }> | undefined {
  for (const requirement of snapshot.requirements) {
    const details = requirement.details;
    if (isKind(details, kind)) return details;
  }
  return undefined;
}

function isKind<K extends RequirementDetails["kind"]>(details: RequirementDetails, kind: K): details is Extract<RequirementDetails, { kind: K }> {
  return details.kind === kind;
}

function perRequirement(read: (requirement: Requirement) => number | undefined) {
  return (snapshot: Snapshot): Sample[] => snapshot.requirements.flatMap((requirement) => sampleIfKnown(read(requirement), requirementLabels(requirement)));
}

function stateset<T extends string>(label: string, states: readonly T[], read: (requirement: Requirement) => T) {
  return (snapshot: Snapshot): Sample[] =>
    snapshot.requirements.flatMap((requirement) =>
      states.map((state) => ({ labels: { ...requirementLabels(requirement), [label]: state }, value: Number(read(requirement) === state) })),
    );
}

function adminsCount(key: Exclude<keyof Extract<RequirementDetails, { kind: "adminsMfa" }>, "kind" | "policies">) {
  return (snapshot: Snapshot): Sample[] => sampleIfKnown(detailsOf(snapshot, "adminsMfa")?.[key]);
}

// Generators: these run over every exported tenant, 100,000 of them at the largest partners, and
// the renderer reads them a slice at a time.
function perCustomer(read: (customer: CustomerInsight) => number | undefined) {
  return function* customerSamples(_snapshot: Snapshot, customers: CustomerSummary): Generator<Sample> {
    for (const customer of customers.exported) {
      const value = read(customer);
      if (value !== undefined) yield { labels: { customer_tenant_id: customer.tenantId }, value };
    }
  };
}

function* customerPolicySamples(_snapshot: Snapshot, customers: CustomerSummary): Generator<Sample> {
  for (const customer of customers.exported) yield* policySamples(customer.policies, { customer_tenant_id: customer.tenantId });
}

/** Over every tenant customerInsights listed, whatever the mode; no series when the endpoint did not answer. */
function overAllCustomers(read: (counts: CustomerCounts) => Sample[]) {
  return (snapshot: Snapshot, customers: CustomerSummary): Sample[] => (snapshot.available.customerInsights ? read(customers.counts) : []);
}

const ALL_TENANTS = "counted over every tenant customerInsights listed whatever PSE_CUSTOMER_SERIES";

const REQUIREMENT_LABELS = ["requirement_id", "requirement_type"] as const;
const ADMINS = "requirement mfaEnforcedForAdmins";

/** Every Graph-derived metric, in exposition order. */
export const GRAPH_METRICS: readonly MetricRow[] = [
  { name: "partner_security_score", help: "Current partner security score.", labelNames: [], source: "securityScore.currentScore", samples: (s) => sampleIfKnown(s.score?.currentScore) },
  { name: "partner_security_score_max", help: "Highest partner security score possible.", labelNames: [], source: "securityScore.maxScore", samples: (s) => sampleIfKnown(s.score?.maxScore) },
  {
    name: "partner_security_score_last_refresh_timestamp_seconds",
    help: "When Microsoft last checked the partner security score, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "securityScore.lastRefreshDateTime",
    samples: (s) => sampleIfKnown(s.score?.lastRefreshSeconds),
  },
  {
    name: "partner_security_score_updated_timestamp_seconds",
    help: "When the partner security score last changed, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "securityScore.updatedDateTime",
    samples: (s) => sampleIfKnown(s.score?.updatedSeconds),
  },
  { name: "partner_security_requirement_score", help: "Points this security requirement contributes to the score.", labelNames: REQUIREMENT_LABELS, source: "requirements[].score", samples: perRequirement((r) => r.score) },
  { name: "partner_security_requirement_score_max", help: "Points this security requirement can contribute at most.", labelNames: REQUIREMENT_LABELS, source: "requirements[].maxScore", samples: perRequirement((r) => r.maxScore) },
  {
    name: "partner_security_requirement_compliance_status",
    help: "Compliance of the security requirement as a state set: 1 on the current status (compliant, noncompliant, unknown), 0 on the others.",
    labelNames: [...REQUIREMENT_LABELS, "status"],
    source: "requirements[].complianceStatus",
    samples: stateset("status", COMPLIANCE_STATUSES, (r) => r.complianceStatus),
  },
  {
    name: "partner_security_requirement_state",
    help: "Lifecycle state of the security requirement as a state set: 1 on the current state (active, preview, unknown), 0 on the others.",
    labelNames: [...REQUIREMENT_LABELS, "state"],
    source: "requirements[].state",
    samples: stateset("state", REQUIREMENT_STATES, (r) => r.state),
  },
  {
    name: "partner_security_requirement_updated_timestamp_seconds",
    help: "When the security requirement was last updated, as Unix time.",
    labelNames: REQUIREMENT_LABELS,
    unit: "seconds",
    source: "requirements[].updatedDateTime",
    samples: perRequirement((r) => r.updatedSeconds),
  },
  {
    name: "partner_security_requirement_info",
    help: "Links of the security requirement: action_url says how to fix it, help_url explains it. Always 1.",
    labelNames: [...REQUIREMENT_LABELS, "help_url", "action_url"],
    source: "requirements[].helpUrl, requirements[].actionUrl",
    samples: (s) => s.requirements.map((r) => ({ labels: { ...requirementLabels(r), help_url: r.helpUrl ?? "", action_url: r.actionUrl ?? "" }, value: 1 })),
  },
  { name: "partner_security_admins", help: `Admins in the partner tenant (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.totalAdminsCount", samples: adminsCount("totalAdmins") },
  { name: "partner_security_admins_mfa_enabled", help: `Admins in the partner tenant with MFA enabled (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.mfaEnabledAdminsCount", samples: adminsCount("adminsMfaEnabled") },
  {
    name: "partner_security_admins_required_not_using_mfa",
    help: `Admins in the partner tenant required to use MFA who do not (${ADMINS}).`,
    labelNames: [],
    source: "adminsMfaEnforcedSecurityRequirement.adminsRequiredNotUsingMfaCount",
    samples: adminsCount("adminsRequiredNotUsingMfa"),
  },
  { name: "partner_security_users", help: `Users in the partner tenant (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.totalUsersCount", samples: adminsCount("totalUsers") },
  { name: "partner_security_users_mfa_enabled", help: `Users in the partner tenant with MFA enabled (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.mfaEnabledUsersCount", samples: adminsCount("usersMfaEnabled") },
  {
    name: "partner_security_users_required_not_using_mfa",
    help: `Users in the partner tenant required to use MFA who do not (${ADMINS}).`,
    labelNames: [],
    source: "adminsMfaEnforcedSecurityRequirement.usersRequiredNotUsingMfaCount",
    samples: adminsCount("usersRequiredNotUsingMfa"),
  },
  {
    name: "partner_security_mfa_policy_enabled",
    help: `MFA policy of the partner tenant: 1 enabled, 0 disabled, no series when Graph does not know (${ADMINS}).`,
    labelNames: ["policy"],
    source: "adminsMfaEnforcedSecurityRequirement.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus",
    samples: (s) => {
      const admins = detailsOf(s, "adminsMfa");
      return admins ? policySamples(admins.policies) : [];
    },
  },
  {
    name: "partner_security_customer_tenants",
    help: "Customer tenants of the partner (requirement mfaEnforcedForAdminsOfCustomers).",
    labelNames: [],
    source: "customersMfaEnforcedSecurityRequirement.totalTenantCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "customersMfa")?.totalTenants),
  },
  {
    name: "partner_security_customer_tenants_mfa_compliant",
    help: "Customer tenants whose admins are MFA-compliant (requirement mfaEnforcedForAdminsOfCustomers).",
    labelNames: [],
    source: "customersMfaEnforcedSecurityRequirement.compliantTenantCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "customersMfa")?.compliantTenants),
  },
  {
    name: "partner_security_spending_budget_customers",
    help: "Customers with Azure subscriptions (requirement spendingBudgetSetForCustomerAzureSubscriptions).",
    labelNames: [],
    source: "customersSpendingBudgetSecurityRequirement.totalCustomersCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "spendingBudget")?.totalCustomers),
  },
  {
    name: "partner_security_spending_budget_customers_with_budget",
    help: "Customers with a spending budget on their Azure subscriptions (requirement spendingBudgetSetForCustomerAzureSubscriptions).",
    labelNames: [],
    source: "customersSpendingBudgetSecurityRequirement.customersWithSpendBudgetCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "spendingBudget")?.customersWithBudget),
  },
  {
    name: "partner_security_alert_average_response_time_seconds",
    help: "Average time the partner took to respond to security alerts over the past 30 days (requirement securityAlertsPromptlyResolved, hours × 3600).",
    labelNames: [],
    unit: "seconds",
    source: "responseTimeSecurityRequirement.averageResponseTimeInHours",
    samples: (s) => {
      const hours = detailsOf(s, "responseTime")?.averageResponseTimeHours;
      return sampleIfKnown(hours === undefined ? undefined : hours * 3600);
    },
  },
  {
    name: "partner_security_customer_mfa_compliant_admins",
    help: "MFA-compliant admins in the customer tenant.",
    labelNames: ["customer_tenant_id"],
    source: "customerInsights[].mfa.compliantAdminsCount",
    samples: perCustomer((c) => c.compliantAdmins),
  },
  {
    name: "partner_security_customer_mfa_compliant_non_admins",
    help: "MFA-compliant users who are not admins in the customer tenant.",
    labelNames: ["customer_tenant_id"],
    source: "customerInsights[].mfa.compliantNonAdminsCount",
    samples: perCustomer((c) => c.compliantNonAdmins),
  },
  { name: "partner_security_customer_users", help: "Users in the customer tenant.", labelNames: ["customer_tenant_id"], source: "customerInsights[].mfa.totalUsersCount", samples: perCustomer((c) => c.totalUsers) },
  {
    name: "partner_security_customer_mfa_policy_enabled",
    help: "MFA policy of the customer tenant: 1 enabled, 0 disabled, no series when Graph does not know.",
    labelNames: ["customer_tenant_id", "policy"],
    source: "customerInsights[].mfa.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus",
    samples: customerPolicySamples,
  },
  {
    name: "partner_security_customer_insight_tenants",
    help: `Customer tenants listed by customerInsights, all of them whatever PSE_CUSTOMER_SERIES.`,
    labelNames: [],
    source: "customerInsights[] (count)",
    samples: (s) => (s.available.customerInsights ? sampleIfKnown(s.customers.length) : []),
  },
  {
    name: "partner_security_customer_insight_tenants_with_mfa_policy",
    help: `Customer tenants with this MFA policy enabled, ${ALL_TENANTS}.`,
    labelNames: ["policy"],
    source: "customerInsights[].mfa.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus (count of enabled)",
    samples: overAllCustomers((counts) => MFA_POLICIES.map(([policy]) => ({ labels: { policy }, value: counts.withPolicy.get(policy) ?? 0 }))),
  },
  {
    name: "partner_security_customer_insight_tenants_without_mfa_policy",
    help: `Customer tenants without an MFA policy: at least one policy state known and every known one disabled, the tenants max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0 finds; ${ALL_TENANTS}.`,
    labelNames: [],
    source: "customerInsights[].mfa.*Status (count of tenants with one known and none enabled)",
    samples: overAllCustomers((counts) => sampleIfKnown(counts.withoutPolicy)),
  },
  {
    name: "partner_security_customer_insight_tenants_by_mfa_coverage",
    help: `Customer tenants per band of MFA coverage, (compliant admins + compliant non-admins) / users: below_50_percent, 50_to_90_percent, 90_to_100_percent, 100_percent, or unknown without users or counts; every band is present and they sum to partner_security_customer_insight_tenants; ${ALL_TENANTS}.`,
    labelNames: ["coverage_band"],
    source: "customerInsights[].mfa.compliantAdminsCount, .compliantNonAdminsCount, .totalUsersCount (count per band)",
    samples: overAllCustomers((counts) => COVERAGE_BANDS.map((band) => ({ labels: { coverage_band: band }, value: counts.byCoverage.get(band) ?? 0 }))),
  },
  { name: "partner_security_history_score", help: "Score of the latest history entry.", labelNames: [], source: "history[latest].score", samples: (s) => sampleIfKnown(s.latestHistory?.score) },
  {
    name: "partner_security_history_compliant_requirements",
    help: "Compliant requirements in the latest history entry.",
    labelNames: [],
    source: "history[latest].compliantRequirementsCount",
    samples: (s) => sampleIfKnown(s.latestHistory?.compliantRequirements),
  },
  {
    name: "partner_security_history_requirements",
    help: "Requirements counted in the latest history entry.",
    labelNames: [],
    source: "history[latest].totalRequirementsCount",
    samples: (s) => sampleIfKnown(s.latestHistory?.totalRequirements),
  },
  {
    name: "partner_security_history_timestamp_seconds",
    help: "When the latest history entry was created, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "history[latest].createdDateTime",
    samples: (s) => sampleIfKnown(s.latestHistory?.createdSeconds),
  },
];

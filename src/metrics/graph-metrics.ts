import type { Snapshot } from "../graph/snapshot.js";
import { COMPLIANCE_STATUSES, REQUIREMENT_STATES } from "../graph/snapshot.js";
import type { MetricContract, Sample } from "./contract.js";
import { COVERAGE_BANDS, MFA_POLICIES } from "./customer-series.js";
import {
  adminsCount,
  customerPolicySamples,
  detailsOf,
  overAllCustomers,
  perCustomer,
  perRequirement,
  policySamples,
  requirementLabelValues,
  sampleIfKnown,
  stateset,
} from "./samples.js";
import type { SnapshotSummary } from "./summary.js";
import { TRIAGE_METRICS } from "./triage-metrics.js";

/** One Graph-derived metric: its contract and how to read its samples from a snapshot. */
export interface MetricRow extends MetricContract {
  readonly type: "gauge";
  /**
   * Read lazily, a slice at a time between yields to the event loop. The MFA rows labelled by
   * `customer_tenant_id` read only `summary.customers.exported`; the aggregates read `summary.customers.counts`.
   */
  samples(snapshot: Snapshot, summary: SnapshotSummary): Iterable<Sample>;
}

const ALL_TENANTS = "counted over every tenant customerInsights listed whatever PSE_CUSTOMER_SERIES";

const REQUIREMENT_LABELS = ["requirement_id", "requirement_type"] as const;
const ADMINS = "requirement mfaEnforcedForAdmins";

/** Every Graph-derived metric, in exposition order. */
export const GRAPH_METRICS: readonly MetricRow[] = [
  { name: "partner_security_score", type: "gauge", help: "Current partner security score.", labelNames: [], source: "securityScore.currentScore", samples: (s) => sampleIfKnown(s.score?.currentScore) },
  { name: "partner_security_score_max", type: "gauge", help: "Highest partner security score possible.", labelNames: [], source: "securityScore.maxScore", samples: (s) => sampleIfKnown(s.score?.maxScore) },
  {
    name: "partner_security_score_last_refresh_timestamp_seconds", type: "gauge",
    help: "When Microsoft last checked the partner security score, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "securityScore.lastRefreshDateTime",
    samples: (s) => sampleIfKnown(s.score?.lastRefreshSeconds),
  },
  {
    name: "partner_security_score_updated_timestamp_seconds", type: "gauge",
    help: "When the partner security score last changed, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "securityScore.updatedDateTime",
    samples: (s) => sampleIfKnown(s.score?.updatedSeconds),
  },
  { name: "partner_security_requirement_score", type: "gauge", help: "Points this security requirement contributes to the score.", labelNames: REQUIREMENT_LABELS, source: "requirements[].score", samples: perRequirement((r) => r.score) },
  { name: "partner_security_requirement_score_max", type: "gauge", help: "Points this security requirement can contribute at most.", labelNames: REQUIREMENT_LABELS, source: "requirements[].maxScore", samples: perRequirement((r) => r.maxScore) },
  {
    name: "partner_security_requirement_compliance_status", type: "gauge",
    help: "Compliance of the security requirement as a state set: 1 on the current status (compliant, noncompliant, unknown), 0 on the others.",
    labelNames: [...REQUIREMENT_LABELS, "status"],
    source: "requirements[].complianceStatus",
    samples: stateset(COMPLIANCE_STATUSES, (r) => r.complianceStatus),
  },
  {
    name: "partner_security_requirement_state", type: "gauge",
    help: "Lifecycle state of the security requirement as a state set: 1 on the current state (active, preview, unknown), 0 on the others.",
    labelNames: [...REQUIREMENT_LABELS, "state"],
    source: "requirements[].state",
    samples: stateset(REQUIREMENT_STATES, (r) => r.state),
  },
  {
    name: "partner_security_requirement_updated_timestamp_seconds", type: "gauge",
    help: "When the security requirement was last updated, as Unix time.",
    labelNames: REQUIREMENT_LABELS,
    unit: "seconds",
    source: "requirements[].updatedDateTime",
    samples: perRequirement((r) => r.updatedSeconds),
  },
  {
    name: "partner_security_requirement_info", type: "gauge",
    help: "Links of the security requirement: action_url says how to fix it, help_url explains it. Always 1.",
    labelNames: [...REQUIREMENT_LABELS, "help_url", "action_url"],
    source: "requirements[].helpUrl, requirements[].actionUrl",
    samples: (s) => s.requirements.map((r) => ({ labelValues: [...requirementLabelValues(r), r.helpUrl ?? "", r.actionUrl ?? ""], value: 1 })),
  },
  { name: "partner_security_admins", type: "gauge", help: `Admins in the partner tenant (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.totalAdminsCount", samples: adminsCount("totalAdmins") },
  { name: "partner_security_admins_mfa_enabled", type: "gauge", help: `Admins in the partner tenant with MFA enabled (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.mfaEnabledAdminsCount", samples: adminsCount("adminsMfaEnabled") },
  {
    name: "partner_security_admins_required_not_using_mfa", type: "gauge",
    help: `Admins in the partner tenant required to use MFA who do not (${ADMINS}).`,
    labelNames: [],
    source: "adminsMfaEnforcedSecurityRequirement.adminsRequiredNotUsingMfaCount",
    samples: adminsCount("adminsRequiredNotUsingMfa"),
  },
  { name: "partner_security_users", type: "gauge", help: `Users in the partner tenant (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.totalUsersCount", samples: adminsCount("totalUsers") },
  { name: "partner_security_users_mfa_enabled", type: "gauge", help: `Users in the partner tenant with MFA enabled (${ADMINS}).`, labelNames: [], source: "adminsMfaEnforcedSecurityRequirement.mfaEnabledUsersCount", samples: adminsCount("usersMfaEnabled") },
  {
    name: "partner_security_users_required_not_using_mfa", type: "gauge",
    help: `Users in the partner tenant required to use MFA who do not (${ADMINS}).`,
    labelNames: [],
    source: "adminsMfaEnforcedSecurityRequirement.usersRequiredNotUsingMfaCount",
    samples: adminsCount("usersRequiredNotUsingMfa"),
  },
  {
    name: "partner_security_mfa_policy_enabled", type: "gauge",
    help: `MFA policy of the partner tenant: 1 enabled, 0 disabled, no series when Graph does not know (${ADMINS}).`,
    labelNames: ["policy"],
    source: "adminsMfaEnforcedSecurityRequirement.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus",
    samples: (s) => {
      const admins = detailsOf(s, "adminsMfa");
      return admins ? policySamples(admins.policies) : [];
    },
  },
  {
    name: "partner_security_customer_tenants", type: "gauge",
    help: "Customer tenants of the partner (requirement mfaEnforcedForAdminsOfCustomers).",
    labelNames: [],
    source: "customersMfaEnforcedSecurityRequirement.totalTenantCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "customersMfa")?.totalTenants),
  },
  {
    name: "partner_security_customer_tenants_mfa_compliant", type: "gauge",
    help: "Customer tenants whose admins are MFA-compliant (requirement mfaEnforcedForAdminsOfCustomers).",
    labelNames: [],
    source: "customersMfaEnforcedSecurityRequirement.compliantTenantCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "customersMfa")?.compliantTenants),
  },
  {
    name: "partner_security_spending_budget_customers", type: "gauge",
    help: "Customers of the partner, as Graph counts them for the requirement spendingBudgetSetForCustomerAzureSubscriptions (totalCustomersCount: the total number of customers associated with the partner).",
    labelNames: [],
    source: "customersSpendingBudgetSecurityRequirement.totalCustomersCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "spendingBudget")?.totalCustomers),
  },
  {
    name: "partner_security_spending_budget_customers_with_budget", type: "gauge",
    help: "Customers with a spending budget on their Azure subscriptions (requirement spendingBudgetSetForCustomerAzureSubscriptions).",
    labelNames: [],
    source: "customersSpendingBudgetSecurityRequirement.customersWithSpendBudgetCount",
    samples: (s) => sampleIfKnown(detailsOf(s, "spendingBudget")?.customersWithBudget),
  },
  {
    name: "partner_security_alert_average_response_time_seconds", type: "gauge",
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
    name: "partner_security_customer_mfa_compliant_admins", type: "gauge",
    help: "MFA-compliant admins in the customer tenant.",
    labelNames: ["customer_tenant_id"],
    source: "customerInsights[].mfa.compliantAdminsCount",
    samples: perCustomer((c) => c.compliantAdmins),
  },
  {
    name: "partner_security_customer_mfa_compliant_non_admins", type: "gauge",
    help: "MFA-compliant users who are not admins in the customer tenant.",
    labelNames: ["customer_tenant_id"],
    source: "customerInsights[].mfa.compliantNonAdminsCount",
    samples: perCustomer((c) => c.compliantNonAdmins),
  },
  { name: "partner_security_customer_users", type: "gauge", help: "Users in the customer tenant.", labelNames: ["customer_tenant_id"], source: "customerInsights[].mfa.totalUsersCount", samples: perCustomer((c) => c.totalUsers) },
  {
    name: "partner_security_customer_mfa_policy_enabled", type: "gauge",
    help: "MFA policy of the customer tenant: 1 enabled, 0 disabled, no series when Graph does not know.",
    labelNames: ["customer_tenant_id", "policy"],
    source: "customerInsights[].mfa.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus",
    samples: customerPolicySamples,
  },
  {
    name: "partner_security_customer_insight_tenants", type: "gauge",
    help: `Customer tenants listed by customerInsights, all of them whatever PSE_CUSTOMER_SERIES.`,
    labelNames: [],
    source: "customerInsights[] (count)",
    samples: (s) => (s.available.customerInsights ? sampleIfKnown(s.customers.length) : []),
  },
  {
    name: "partner_security_customer_insight_tenants_with_mfa_policy", type: "gauge",
    help: `Customer tenants with this MFA policy enabled, ${ALL_TENANTS}.`,
    labelNames: ["policy"],
    source: "customerInsights[].mfa.securityDefaultsStatus, .mfaConditionalAccessPolicyStatus, .legacyPerUserMfaStatus (count of enabled)",
    samples: overAllCustomers((counts) => MFA_POLICIES.map(([policy]) => ({ labelValues: [policy], value: counts.withPolicy.get(policy) ?? 0 }))),
  },
  {
    name: "partner_security_customer_insight_tenants_without_mfa_policy", type: "gauge",
    help: `Customer tenants without an MFA policy: at least one policy state known and every known one disabled, the tenants max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0 finds; ${ALL_TENANTS}.`,
    labelNames: [],
    source: "customerInsights[].mfa.*Status (count of tenants with one known and none enabled)",
    samples: overAllCustomers((counts) => sampleIfKnown(counts.withoutPolicy)),
  },
  {
    name: "partner_security_customer_insight_tenants_by_mfa_coverage", type: "gauge",
    help: `Customer tenants per band of MFA coverage, (compliant admins + compliant non-admins) / users: below_50_percent, 50_to_90_percent, 90_to_100_percent, 100_percent, or unknown without users or counts; every band is present and they sum to partner_security_customer_insight_tenants; ${ALL_TENANTS}.`,
    labelNames: ["coverage_band"],
    source: "customerInsights[].mfa.compliantAdminsCount, .compliantNonAdminsCount, .totalUsersCount (count per band)",
    samples: overAllCustomers((counts) => COVERAGE_BANDS.map((band) => ({ labelValues: [band], value: counts.byCoverage.get(band) ?? 0 }))),
  },
  { name: "partner_security_history_score", type: "gauge", help: "Score of the latest history entry.", labelNames: [], source: "history[latest].score", samples: (s) => sampleIfKnown(s.latestHistory?.score) },
  {
    name: "partner_security_history_compliant_requirements", type: "gauge",
    help: "Compliant requirements in the latest history entry.",
    labelNames: [],
    source: "history[latest].compliantRequirementsCount",
    samples: (s) => sampleIfKnown(s.latestHistory?.compliantRequirements),
  },
  {
    name: "partner_security_history_requirements", type: "gauge",
    help: "Requirements counted in the latest history entry.",
    labelNames: [],
    source: "history[latest].totalRequirementsCount",
    samples: (s) => sampleIfKnown(s.latestHistory?.totalRequirements),
  },
  {
    name: "partner_security_history_timestamp_seconds", type: "gauge",
    help: "When the latest history entry was created, as Unix time.",
    labelNames: [],
    unit: "seconds",
    source: "history[latest].createdDateTime",
    samples: (s) => sampleIfKnown(s.latestHistory?.createdSeconds),
  },  ...TRIAGE_METRICS,
];

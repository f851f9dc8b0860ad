/** The Graph segment names; they are the `endpoint` label values too. */
export const ENDPOINTS = [
  "securityScore",
  "requirements",
  "history",
  "customerInsights",
  "delegatedAdminCustomers",
  "delegatedAdminRelationships",
  "contracts",
  "securityAlerts",
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
/** The score's endpoints, read on every refresh. */
export const SCORE_ENDPOINTS = ["securityScore", "requirements", "history", "customerInsights"] as const satisfies readonly Endpoint[];
/** The endpoints read only when a setting turns them on; their failure never fails a refresh. */
export type OptionalEndpoint = Exclude<Endpoint, (typeof SCORE_ENDPOINTS)[number]>;

/**
 * Why a refresh failed, as the `reason` label says it: one word per failure class a user acts on
 * differently. Here, beside the Snapshot contract, because the metrics layer pre-initialises a
 * series for each; `graph/failure-reason.ts` decides which one an error is.
 */
export const REFRESH_FAILURE_REASONS = [
  "token",
  "unauthorized",
  "forbidden",
  "not_found",
  "throttled",
  "server_error",
  "timeout",
  "network",
  "invalid_response",
  "out_of_memory",
] as const;
export type RefreshFailureReason = (typeof REFRESH_FAILURE_REASONS)[number];

export const REQUIREMENT_TYPES = [
  "mfaEnforcedForAdmins",
  "mfaEnforcedForAdminsOfCustomers",
  "securityAlertsPromptlyResolved",
  "securityContactProvided",
  "spendingBudgetSetForCustomerAzureSubscriptions",
] as const;
export type RequirementType = (typeof REQUIREMENT_TYPES)[number] | "unknown";
export const COMPLIANCE_STATUSES = ["compliant", "noncompliant", "unknown"] as const;
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];
export const REQUIREMENT_STATES = ["active", "preview", "unknown"] as const;
export type RequirementState = (typeof REQUIREMENT_STATES)[number];
/** `undefined` when Graph said `unknownFutureValue` or something new. */
export type PolicyEnabled = boolean | undefined;

export interface MfaPolicies {
  readonly securityDefaults: PolicyEnabled;
  readonly conditionalAccess: PolicyEnabled;
  readonly legacyPerUser: PolicyEnabled;
}

export type RequirementDetails =
  | {
      readonly kind: "adminsMfa";
      readonly totalAdmins: number | undefined;
      readonly adminsMfaEnabled: number | undefined;
      readonly adminsRequiredNotUsingMfa: number | undefined;
      readonly totalUsers: number | undefined;
      readonly usersMfaEnabled: number | undefined;
      readonly usersRequiredNotUsingMfa: number | undefined;
      readonly policies: MfaPolicies;
    }
  | { readonly kind: "customersMfa"; readonly totalTenants: number | undefined; readonly compliantTenants: number | undefined }
  | { readonly kind: "spendingBudget"; readonly totalCustomers: number | undefined; readonly customersWithBudget: number | undefined }
  | { readonly kind: "responseTime"; readonly averageResponseTimeHours: number | undefined }
  | { readonly kind: "none" };

export interface Requirement {
  readonly id: string;
  readonly type: RequirementType;
  readonly complianceStatus: ComplianceStatus;
  readonly state: RequirementState;
  readonly score: number | undefined;
  readonly maxScore: number | undefined;
  readonly updatedSeconds: number | undefined;
  readonly actionUrl: string | undefined;
  readonly helpUrl: string | undefined;
  readonly details: RequirementDetails;
}

export interface Score {
  readonly currentScore: number | undefined;
  readonly maxScore: number | undefined;
  readonly lastRefreshSeconds: number | undefined;
  readonly updatedSeconds: number | undefined;
}

export interface HistoryEntry {
  readonly createdSeconds: number;
  readonly score: number | undefined;
  readonly compliantRequirements: number | undefined;
  readonly totalRequirements: number | undefined;
}

export interface CustomerInsight {
  readonly tenantId: string;
  readonly compliantAdmins: number | undefined;
  readonly compliantNonAdmins: number | undefined;
  readonly totalUsers: number | undefined;
  readonly policies: MfaPolicies;
}

/** A customer's name, from GDAP customers or contracts. */
export interface CustomerName {
  readonly tenantId: string;
  /** The display name, or the default domain where there is none; undefined when neither is known. */
  readonly name: string | undefined;
  /** Empty where the source has none (GDAP customers never have one). */
  readonly domain: string;
}

/** `delegatedAdminRelationshipStatus`, exactly as Graph spells it; anything else is `unknown`. */
export const GDAP_STATUSES = [
  "activating",
  "active",
  "approvalPending",
  "approved",
  "created",
  "expired",
  "expiring",
  "terminated",
  "terminating",
  "terminationRequested",
  "unknown",
] as const;
export type GdapStatus = (typeof GDAP_STATUSES)[number];

export interface GdapRelationship {
  readonly id: string;
  readonly customerTenantId: string | undefined;
  readonly status: GdapStatus;
  readonly endSeconds: number | undefined;
  /** 0 when it does not auto-extend; undefined when Graph did not say or sent no duration. */
  readonly autoExtendSeconds: number | undefined;
}

export const ALERT_STATUSES = ["active", "investigating", "resolved", "unknown"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const ALERT_SEVERITIES = ["informational", "low", "medium", "high", "unknown"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A partner security alert; test alerts are kept (and counted apart), never mixed with real ones. */
export interface SecurityAlert {
  readonly id: string;
  readonly status: AlertStatus;
  readonly severity: AlertSeverity;
  /** Graph's alertType, trimmed; `unknown` when absent or empty. */
  readonly alertType: string;
  readonly customerTenantId: string | undefined;
  readonly detectedSeconds: number | undefined;
  readonly isTest: boolean;
}

/**
 * Everything one refresh read from Graph, validated and frozen. `available` has an entry for each
 * endpoint the configuration reads: false when it answered 404 (or, for an optional endpoint, failed
 * in any way), its data then empty or `undefined` here. An optional source that is off or
 * unavailable is `undefined`, so its metrics have no series at all.
 */
export interface Snapshot {
  readonly available: Readonly<Partial<Record<Endpoint, boolean>>>;
  readonly score: Score | undefined;
  readonly requirements: readonly Requirement[];
  readonly latestHistory: HistoryEntry | undefined;
  readonly customers: readonly CustomerInsight[];
  readonly customerNames: readonly CustomerName[] | undefined;
  readonly gdapRelationships: readonly GdapRelationship[] | undefined;
  readonly securityAlerts: readonly SecurityAlert[] | undefined;
}

/** The Graph segment names; they are the `endpoint` label values too. */
export const ENDPOINTS = ["securityScore", "requirements", "history", "customerInsights"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

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

/**
 * Everything one refresh read from Graph, validated and frozen. An endpoint that answered 404 is
 * `undefined` here and `false` in `available`.
 */
export interface Snapshot {
  readonly available: Readonly<Record<Endpoint, boolean>>;
  readonly score: Score | undefined;
  readonly requirements: readonly Requirement[];
  readonly latestHistory: HistoryEntry | undefined;
  readonly customers: readonly CustomerInsight[];
}

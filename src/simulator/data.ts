/** Deterministic partner data: the same seed, tenant count and drift step always give the same JSON. */

export interface DatasetOptions {
  readonly seed: number;
  readonly tenants: number;
  /** How many drift periods have passed since the simulator started. */
  readonly step: number;
  /** Unix ms the data is "as of". */
  readonly now: number;
}

export interface RequirementOverride {
  readonly complianceStatus?: string;
  readonly score?: number;
}

export type Json = Record<string, unknown>;

const NAMESPACE = "#microsoft.graph.partner.security.";

function mix(state: number, part: number): number {
  let h = state ^ (part >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

const HASH_START = 0x811c9dc5;

/** A 32-bit hash of the inputs, mapped to [0, 1). */
export function seededFraction(...parts: number[]): number {
  let h = HASH_START;
  for (const part of parts) h = mix(h, part);
  return (h >>> 0) / 2 ** 32;
}

/** A GUID-shaped string derived from the inputs: the hashes of the inputs followed by 0, 1, 2 and 3. */
export function guid(...parts: number[]): string {
  let prefix = HASH_START;
  for (const part of parts) prefix = mix(prefix, part);
  let hex = "";
  for (let i = 0; i < 4; i++) hex += (mix(prefix, i) >>> 0).toString(16).padStart(8, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function status(enabled: boolean): string {
  return enabled ? "enabled" : "disabled";
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A timestamp with Graph's seven fractional digits (the GDAP examples' "…:42.3148266Z"). */
export function graphTime(ms: number): string {
  const whole = Math.round(ms);
  return `${new Date(whole).toISOString().slice(0, 23)}${String((whole * 7919) % 10_000).padStart(4, "0")}Z`;
}

/** The item of a non-empty list a fraction in [0, 1) falls on. */
export function pick<T>(list: readonly T[], fraction: number): T {
  return list[Math.min(list.length - 1, Math.floor(fraction * list.length))] as T;
}

/** A tenant flips one policy in a small fraction of drift steps, so the data moves slowly. */
function customer(options: DatasetOptions, index: number): Json {
  const { seed, step } = options;
  const flip = (policy: number): boolean => seededFraction(seed, index, policy, step) < 0.05;
  const securityDefaults = (seededFraction(seed, index, 1) < 0.45) !== flip(1);
  const conditionalAccess = (seededFraction(seed, index, 2) < 0.35) !== flip(2);
  const legacyPerUser = seededFraction(seed, index, 3) < 0.1;
  const totalUsers = 3 + Math.floor(seededFraction(seed, index, 4) * 400);
  const admins = 1 + Math.floor(seededFraction(seed, index, 5) * 5);
  const covered = securityDefaults || conditionalAccess || legacyPerUser;
  const nonAdminRatio = covered ? 0.6 + seededFraction(seed, index, 6, step) * 0.4 : seededFraction(seed, index, 6, step) * 0.3;
  return {
    "@odata.type": `${NAMESPACE}customerInsight`,
    tenantId: guid(seed, index, 7),
    mfa: {
      "@odata.type": "microsoft.graph.partner.security.customerMfaInsight",
      compliantAdminsCount: covered ? admins : Math.floor(admins * seededFraction(seed, index, 8)),
      compliantNonAdminsCount: Math.floor((totalUsers - admins) * nonAdminRatio),
      totalUsersCount: totalUsers,
      securityDefaultsStatus: status(securityDefaults),
      mfaConditionalAccessPolicyStatus: status(conditionalAccess),
      legacyPerUserMfaStatus: status(legacyPerUser),
    },
  };
}

export function customers(options: DatasetOptions): Json[] {
  return Array.from({ length: options.tenants }, (_, index) => customer(options, index));
}

function isCompliantCustomer(item: Json): boolean {
  const mfa = item.mfa as Json;
  return [mfa.securityDefaultsStatus, mfa.mfaConditionalAccessPolicyStatus, mfa.legacyPerUserMfaStatus].includes("enabled");
}

function scored(maxScore: number, ratio: number): { score: number; complianceStatus: string } {
  const score = Math.round(maxScore * Math.max(0, Math.min(1, ratio)));
  // `noncomplaint` (sic) is the enum member Graph defines.
  return { score, complianceStatus: score === maxScore ? "compliant" : "noncomplaint" };
}

/** The five requirements with the typed properties of each; overrides apply last. */
export function requirements(options: DatasetOptions, tenantList: Json[], overrides: ReadonlyMap<string, RequirementOverride>): Json[] {
  const { seed, step, now } = options;
  const updated = iso(now - 3_600_000);
  const common = (id: string, type: string, requirementType: string) => ({
    "@odata.type": `${NAMESPACE}${type}`,
    id,
    requirementType,
    state: "active",
    actionUrl: `https://partner.microsoft.com/dashboard/v2/security/requirements/${requirementType}`,
    helpUrl: `https://learn.microsoft.com/partner-center/security/${requirementType}`,
    updatedDateTime: updated,
  });
  const totalAdmins = 8;
  const adminsWithMfa = totalAdmins - (seededFraction(seed, 100, step) < 0.3 ? 1 : 0);
  const totalUsers = 120;
  const usersWithMfa = 100 + Math.floor(seededFraction(seed, 101, step) * 20);
  const compliantTenants = tenantList.filter(isCompliantCustomer).length;
  const spendTotal = Math.ceil(options.tenants * 0.6);
  const spendWith = Math.floor(spendTotal * (0.7 + seededFraction(seed, 102, step) * 0.3));
  const responseHours = Math.round((0.5 + seededFraction(seed, 103, step) * 30) * 10) / 10;
  const list: Json[] = [
    { ...common(guid(seed, 200), "securityRequirement", "securityContactProvided"), score: 10, maxScore: 10, complianceStatus: "compliant" },
    {
      ...common("mfaEnforcedForAdmins", "adminsMfaEnforcedSecurityRequirement", "mfaEnforcedForAdmins"),
      ...scored(30, adminsWithMfa / totalAdmins),
      maxScore: 30,
      totalAdminsCount: totalAdmins,
      mfaEnabledAdminsCount: adminsWithMfa,
      adminsRequiredNotUsingMfaCount: totalAdmins - adminsWithMfa,
      totalUsersCount: totalUsers,
      mfaEnabledUsersCount: usersWithMfa,
      usersRequiredNotUsingMfaCount: totalUsers - usersWithMfa,
      securityDefaultsStatus: "disabled",
      mfaConditionalAccessPolicyStatus: "enabled",
      legacyPerUserMfaStatus: "disabled",
    },
    {
      ...common("mfaEnforcedForAdminsOfCustomers", "customersMfaEnforcedSecurityRequirement", "mfaEnforcedForAdminsOfCustomers"),
      ...scored(20, options.tenants === 0 ? 1 : compliantTenants / options.tenants),
      maxScore: 20,
      totalTenantCount: options.tenants,
      compliantTenantCount: compliantTenants,
    },
    {
      ...common("spendingBudgetSetForCustomerAzureSubscriptions", "customersSpendingBudgetSecurityRequirement", "spendingBudgetSetForCustomerAzureSubscriptions"),
      ...scored(20, spendTotal === 0 ? 1 : spendWith / spendTotal),
      maxScore: 20,
      totalCustomersCount: spendTotal,
      customersWithSpendBudgetCount: spendWith,
    },
    {
      ...common("securityAlertsPromptlyResolved", "responseTimeSecurityRequirement", "securityAlertsPromptlyResolved"),
      ...scored(20, responseHours <= 24 ? 1 : 0),
      maxScore: 20,
      // The docs show this Single as a string.
      averageResponseTimeInHours: String(responseHours),
    },
  ];
  return list.map((item) => ({ ...item, ...overrides.get(String(item.id)) }));
}

/** The singleton; its score is the sum of the requirement scores, as in Partner Center. */
export function score(options: DatasetOptions, requirementList: Json[]): Json {
  const sum = (key: string): number => requirementList.reduce((total, item) => total + Number(item[key] ?? 0), 0);
  return {
    "@odata.type": `${NAMESPACE}partnerSecurityScore`,
    id: guid(options.seed, 300),
    currentScore: sum("score"),
    maxScore: sum("maxScore"),
    lastRefreshDateTime: iso(options.now - 600_000),
    updatedDateTime: iso(options.now - 3_600_000),
  };
}

/** Days of score history the simulator keeps: about six months, as a partner enrolled for a while has. */
export const HISTORY_DAYS = 180;

/**
 * One entry a day for HISTORY_DAYS days, the newest matching the current score. Served in no
 * particular order (Graph documents none): a deterministic shuffle of the days.
 */
export function history(options: DatasetOptions, current: Json, requirementList: Json[]): Json[] {
  const day = 86_400_000;
  const today = Math.floor(options.now / day) * day;
  const compliantNow = requirementList.filter((item) => item.complianceStatus === "compliant").length;
  const entries = Array.from({ length: HISTORY_DAYS }, (_, age) => {
    // A slow walk back in time: older scores stray further from today's, as a partner improves.
    const drift = age === 0 ? 0 : Math.round((seededFraction(options.seed, 400, age) - 0.5) * 20 - age / 12);
    return {
      "@odata.type": `${NAMESPACE}securityScoreHistory`,
      id: guid(options.seed, 401, age),
      createdDateTime: iso(today - age * day),
      score: Math.max(0, Math.min(100, Number(current.currentScore) + drift)),
      compliantRequirementsCount: age === 0 ? compliantNow : Math.max(0, Math.min(requirementList.length, compliantNow + Math.round(drift / 10))),
      totalRequirementsCount: requirementList.length,
    };
  });
  return entries.map((entry, age) => ({ entry, key: seededFraction(options.seed, 402, age) })).sort((a, b) => a.key - b.key).map(({ entry }) => entry);
}

import { z } from "zod";
import { EnvelopeError } from "./errors.js";
import type {
  ComplianceStatus,
  CustomerInsight,
  Endpoint,
  HistoryEntry,
  MfaPolicies,
  PolicyEnabled,
  Requirement,
  RequirementDetails,
  RequirementState,
  RequirementType,
  Score,
} from "./snapshot.js";
import { REQUIREMENT_TYPES } from "./snapshot.js";

/** Receives one line per field that was dropped or value that was not understood. */
export type WarningSink = (message: string) => void;

const SPECIAL_NUMBERS: Record<string, number> = {
  NaN: Number.NaN,
  INF: Number.POSITIVE_INFINITY,
  "-INF": Number.NEGATIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Graph serialises Single and Int64 as numbers, numeric strings or NaN/INF/-INF. */
export const graphNumber = z.union([
  z.number(),
  z
    .string()
    .trim()
    .transform((text, ctx) => {
      const special = SPECIAL_NUMBERS[text];
      if (special !== undefined) return special;
      // Decimal notation only: Number() would also read "0x10" or "0b11", which Graph never sends.
      const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
      if (Number.isNaN(value)) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not a number` });
        return z.NEVER;
      }
      return value;
    }),
]);

// An ISO 8601 date, or date and time with an optional offset; Date.parse alone would also read "1" or "Jan 5 2024".
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** DateTimeOffset → Unix seconds; a time without an offset is UTC, as Graph's are, whatever the process's time zone. */
export const graphDateTime = z.string().transform((text, ctx) => {
  const iso = ISO_DATE_TIME.exec(text);
  const ms = iso ? Date.parse(iso[4] === undefined ? `${text}Z` : text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not a date-time` });
    return z.NEVER;
  }
  return ms / 1000;
});

export const graphText = z.string();
const graphObject = z.record(z.string(), z.unknown());

const collectionPage = z.looseObject({
  value: z.array(z.unknown()),
  "@odata.nextLink": z.string().optional(),
});

export interface CollectionPage {
  readonly items: readonly unknown[];
  readonly nextLink: string | undefined;
}

/** Reads the envelope of one collection page; a page without a `value` array cannot be used. */
export function parseCollectionPage(endpoint: Endpoint, body: unknown): CollectionPage {
  const result = collectionPage.safeParse(body);
  if (!result.success) {
    throw new EnvelopeError(`${endpoint}: response is not an OData collection page (${describeIssues(result.error.issues)})`, endpoint, result.error.issues);
  }
  return { items: result.data.value, nextLink: result.data["@odata.nextLink"] };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return Array.isArray(value) ? "an array" : typeof value;
}

/** Reads one field; a present but invalid value is dropped with a warning that names the field. */
export function field<T>(object: Record<string, unknown>, key: string, schema: z.ZodType<T>, where: string, warn: WarningSink, expected = schemaName(schema)): T | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  warn(`${where}.${key}: dropped, expected ${expected} but got ${describeValue(value)}`);
  return undefined;
}

function schemaName(schema: z.ZodType): string {
  if (schema === graphNumber) return "a number";
  if (schema === graphDateTime) return "a date-time";
  return "a string";
}

export function asObject(value: unknown, where: string, warn: WarningSink): Record<string, unknown> | undefined {
  const result = graphObject.safeParse(value);
  if (result.success && !Array.isArray(value)) return result.data;
  warn(`${where}: dropped, expected an object but got ${describeValue(value)}`);
  return undefined;
}

function odataTypeName(object: Record<string, unknown>): string | undefined {
  const type = object["@odata.type"];
  return typeof type === "string" ? type.replace(/^#?microsoft\.graph\.partner\.security\./, "") : undefined;
}

function policy(object: Record<string, unknown>, key: string, where: string, warn: WarningSink): PolicyEnabled {
  const raw = field(object, key, graphText, where, warn);
  if (raw === undefined) return undefined;
  if (raw === "enabled") return true;
  if (raw === "disabled") return false;
  if (raw !== "unknownFutureValue") warn(`${where}.${key}: unknown policyStatus "${raw}" exported as unknown`);
  return undefined;
}

function policies(object: Record<string, unknown>, where: string, warn: WarningSink): MfaPolicies {
  return {
    securityDefaults: policy(object, "securityDefaultsStatus", where, warn),
    conditionalAccess: policy(object, "mfaConditionalAccessPolicyStatus", where, warn),
    legacyPerUser: policy(object, "legacyPerUserMfaStatus", where, warn),
  };
}

function complianceStatus(raw: string | undefined, where: string, warn: WarningSink): ComplianceStatus {
  if (raw === undefined) return "unknown";
  if (raw === "compliant") return "compliant";
  // The enum member is spelt `noncomplaint`; examples also show `nonCompliant`.
  if (/^non-?compl(ia|ai)nt$/i.test(raw)) return "noncompliant";
  if (raw !== "unknownFutureValue") warn(`${where}.complianceStatus: unknown value "${raw}" exported as unknown`);
  return "unknown";
}

function requirementState(raw: string | undefined, where: string, warn: WarningSink): RequirementState {
  if (raw === "active" || raw === "preview") return raw;
  if (raw !== undefined && raw !== "unknownFutureValue") warn(`${where}.state: unknown value "${raw}" exported as unknown`);
  return "unknown";
}

function requirementType(raw: string | undefined, where: string, warn: WarningSink): RequirementType {
  const known = REQUIREMENT_TYPES.find((type) => type === raw);
  if (known) return known;
  if (raw !== undefined && raw !== "unknownFutureValue") warn(`${where}.requirementType: unknown value "${raw}" exported as unknown`);
  return "unknown";
}

/** `@odata.type` decides the derived type; without one, the requirement type does. */
const DETAILS_BY_ODATA_TYPE: Record<string, RequirementDetails["kind"]> = {
  adminsMfaEnforcedSecurityRequirement: "adminsMfa",
  customersMfaEnforcedSecurityRequirement: "customersMfa",
  customersSpendingBudgetSecurityRequirement: "spendingBudget",
  responseTimeSecurityRequirement: "responseTime",
  securityRequirement: "none",
};
const DETAILS_BY_REQUIREMENT_TYPE: Record<string, RequirementDetails["kind"]> = {
  mfaEnforcedForAdmins: "adminsMfa",
  mfaEnforcedForAdminsOfCustomers: "customersMfa",
  spendingBudgetSetForCustomerAzureSubscriptions: "spendingBudget",
  securityAlertsPromptlyResolved: "responseTime",
};

function details(kind: RequirementDetails["kind"], object: Record<string, unknown>, where: string, warn: WarningSink): RequirementDetails {
  const count = (key: string): number | undefined => field(object, key, graphNumber, where, warn);
  switch (kind) {
    case "adminsMfa":
      return {
        kind,
        totalAdmins: count("totalAdminsCount"),
        adminsMfaEnabled: count("mfaEnabledAdminsCount"),
        adminsRequiredNotUsingMfa: count("adminsRequiredNotUsingMfaCount"),
        totalUsers: count("totalUsersCount"),
        usersMfaEnabled: count("mfaEnabledUsersCount"),
        usersRequiredNotUsingMfa: count("usersRequiredNotUsingMfaCount"),
        policies: policies(object, where, warn),
      };
    case "customersMfa":
      return { kind, totalTenants: count("totalTenantCount"), compliantTenants: count("compliantTenantCount") };
    case "spendingBudget":
      return { kind, totalCustomers: count("totalCustomersCount"), customersWithBudget: count("customersWithSpendBudgetCount") };
    case "responseTime":
      return { kind, averageResponseTimeHours: count("averageResponseTimeInHours") };
    case "none":
      return { kind };
  }
}

/** The singleton, bare or wrapped in `{"value": {...}}` as the docs' examples show. */
export function parseScore(body: unknown, warn: WarningSink): Score {
  const outer = graphObject.safeParse(body);
  if (!outer.success || Array.isArray(body)) throw new EnvelopeError("securityScore: response is not a JSON object", "securityScore", outer.error?.issues ?? []);
  const inner = graphObject.safeParse(outer.data.value);
  const object = inner.success && !Array.isArray(outer.data.value) ? inner.data : outer.data;
  const where = "securityScore";
  return {
    currentScore: field(object, "currentScore", graphNumber, where, warn),
    maxScore: field(object, "maxScore", graphNumber, where, warn),
    lastRefreshSeconds: field(object, "lastRefreshDateTime", graphDateTime, where, warn),
    updatedSeconds: field(object, "updatedDateTime", graphDateTime, where, warn),
  };
}

/** One requirement; `undefined` (with a warning) when it has no usable `id` to label it by. */
export function parseRequirement(item: unknown, warn: WarningSink): Requirement | undefined {
  const object = asObject(item, "requirements[]", warn);
  if (!object) return undefined;
  const id = field(object, "id", graphText, "requirements[]", warn);
  if (!id) {
    warn("requirements[].id: requirement without an id dropped");
    return undefined;
  }
  const where = `requirements[${id}]`;
  const rawType = field(object, "requirementType", graphText, where, warn);
  const odataType = odataTypeName(object);
  let kind: RequirementDetails["kind"] | undefined = odataType === undefined ? undefined : DETAILS_BY_ODATA_TYPE[odataType];
  if (odataType !== undefined && kind === undefined) warn(`${where}.@odata.type: unknown type "${odataType}" read as a plain securityRequirement`);
  kind ??= odataType === undefined ? (DETAILS_BY_REQUIREMENT_TYPE[rawType ?? ""] ?? "none") : "none";
  return {
    id,
    type: requirementType(rawType, where, warn),
    complianceStatus: complianceStatus(field(object, "complianceStatus", graphText, where, warn), where, warn),
    state: requirementState(field(object, "state", graphText, where, warn), where, warn),
    score: field(object, "score", graphNumber, where, warn),
    maxScore: field(object, "maxScore", graphNumber, where, warn),
    updatedSeconds: field(object, "updatedDateTime", graphDateTime, where, warn),
    actionUrl: field(object, "actionUrl", graphText, where, warn),
    helpUrl: field(object, "helpUrl", graphText, where, warn),
    details: details(kind, object, where, warn),
  };
}

/**
 * Folds one history item into the newest entry so far, by `createdDateTime`: `createdSeconds` is the
 * item's date, undefined for an entry without one (it cannot be ordered and is skipped). Only an
 * entry that becomes the newest has its other fields read.
 */
export function foldHistory(latest: HistoryEntry | undefined, item: unknown, warn: WarningSink): { latest: HistoryEntry | undefined; createdSeconds: number | undefined } {
  const object = asObject(item, "history[]", warn);
  if (!object) return { latest, createdSeconds: undefined };
  const createdSeconds = field(object, "createdDateTime", graphDateTime, "history[]", warn);
  if (createdSeconds === undefined || (latest !== undefined && latest.createdSeconds >= createdSeconds)) return { latest, createdSeconds };
  const newest: HistoryEntry = {
    createdSeconds,
    score: field(object, "score", graphNumber, "history[]", warn),
    compliantRequirements: field(object, "compliantRequirementsCount", graphNumber, "history[]", warn),
    totalRequirements: field(object, "totalRequirementsCount", graphNumber, "history[]", warn),
  };
  return { latest: newest, createdSeconds };
}

/** The newest history entry by `createdDateTime`; entries without a date cannot be ordered and are skipped. */
export function latestHistory(items: readonly unknown[], warn: WarningSink): HistoryEntry | undefined {
  let latest: HistoryEntry | undefined;
  for (const item of items) latest = foldHistory(latest, item, warn).latest;
  return latest;
}

/** One customer tenant; `undefined` (with a warning) without a `tenantId`. */
export function parseCustomerInsight(item: unknown, warn: WarningSink): CustomerInsight | undefined {
  const object = asObject(item, "customerInsights[]", warn);
  if (!object) return undefined;
  const tenantId = field(object, "tenantId", graphText, "customerInsights[]", warn);
  if (!tenantId) {
    warn("customerInsights[].tenantId: customer without a tenantId dropped");
    return undefined;
  }
  const where = "customerInsights[].mfa";
  // Nullable in the beta CSDL (docs/graph-triage-sources.md): null is Graph saying it has no MFA
  // insight for the tenant, not a malformed answer, so its counts are absent without a warning.
  const mfa = object.mfa === undefined || object.mfa === null ? {} : (asObject(object.mfa, where, warn) ?? {});
  return {
    tenantId,
    compliantAdmins: field(mfa, "compliantAdminsCount", graphNumber, where, warn),
    compliantNonAdmins: field(mfa, "compliantNonAdminsCount", graphNumber, where, warn),
    totalUsers: field(mfa, "totalUsersCount", graphNumber, where, warn),
    policies: policies(mfa, where, warn),
  };
}

import { z } from "zod";
import { asObject, field, graphDateTime, graphText } from "./schema.js";
import type { WarningSink } from "./schema.js";
import { ALERT_SEVERITIES, ALERT_STATUSES, GDAP_STATUSES } from "./snapshot.js";
import type { AlertSeverity, AlertStatus, CustomerName, GdapRelationship, GdapStatus, SecurityAlert } from "./snapshot.js";

// The optional sources of issue 14 (docs/graph-triage-sources.md): GDAP customers, contracts, GDAP
// relationships and partner security alerts. Most of their fields are nullable in the beta CSDL, so
// a null is no warning; an item is dropped only without the key that labels it.

function text(object: Record<string, unknown>, key: string, where: string, warn: WarningSink): string | undefined {
  const value = object[key];
  if (value === null) return undefined;
  const trimmed = field(object, key, graphText, where, warn)?.trim();
  return trimmed === "" ? undefined : trimmed;
}

function nullableDate(object: Record<string, unknown>, key: string, where: string, warn: WarningSink): number | undefined {
  return object[key] === null ? undefined : field(object, key, graphDateTime, where, warn);
}

/** One member of a Graph enum; `unknownFutureValue` and new members are `unknown`, a new one with a warning. */
function member<T extends string>(members: readonly T[], raw: string | undefined, where: string, warn: WarningSink): T | "unknown" {
  const known = members.find((one) => one === raw);
  if (known !== undefined) return known;
  if (raw !== undefined && raw !== "unknownFutureValue") warn(`${where}: unknown value "${raw}" exported as unknown`);
  return "unknown";
}

/** A customer's name from `delegatedAdminCustomers`; `undefined` without a tenantId. */
export function parseGdapCustomer(item: unknown, warn: WarningSink): CustomerName | undefined {
  const object = asObject(item, "delegatedAdminCustomers[]", warn);
  if (!object) return undefined;
  const tenantId = text(object, "tenantId", "delegatedAdminCustomers[]", warn);
  if (!tenantId) {
    warn("delegatedAdminCustomers[].tenantId: customer without a tenantId dropped");
    return undefined;
  }
  return { tenantId, name: text(object, "displayName", "delegatedAdminCustomers[]", warn), domain: "" };
}

/** A customer's name from `contracts`; `undefined` without a customerId (nullable, but nothing to label). */
export function parseContract(item: unknown, warn: WarningSink): CustomerName | undefined {
  const object = asObject(item, "contracts[]", warn);
  if (!object) return undefined;
  const tenantId = text(object, "customerId", "contracts[]", warn);
  if (!tenantId) return undefined;
  const where = "contracts[]";
  const domain = text(object, "defaultDomainName", where, warn);
  return { tenantId, name: text(object, "displayName", where, warn) ?? domain, domain: domain ?? "" };
}

const DURATION = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
/** Seconds per unit of DURATION's groups; a year and a month are taken as 365 and 30 days (GDAP sends days). */
const DURATION_UNITS = [365 * 86_400, 30 * 86_400, 7 * 86_400, 86_400, 3600, 60, 1];

/** An ISO 8601 duration (`P180D`, `PT0S`) in seconds; undefined when it is not one. */
export function isoDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match || value.trim() === "P" || value.trim().endsWith("T")) return undefined;
  return DURATION_UNITS.reduce((total, unit, index) => total + Number(match[index + 1] ?? 0) * unit, 0);
}

const isoDuration = z.string().transform((raw, ctx) => {
  const seconds = isoDurationSeconds(raw);
  if (seconds === undefined) {
    ctx.addIssue({ code: "custom", message: `"${raw}" is not an ISO 8601 duration` });
    return z.NEVER;
  }
  return seconds;
});

/**
 * An item of a collection keyed by `id`, with its id; `undefined` (with a warning) without one.
 * Warnings name the collection, not the id: each distinct message is logged once, and thousands of
 * ids would flood the log.
 */
function identified(item: unknown, where: string, what: string, warn: WarningSink): { object: Record<string, unknown>; id: string } | undefined {
  const object = asObject(item, where, warn);
  if (!object) return undefined;
  const id = text(object, "id", where, warn);
  if (id) return { object, id };
  warn(`${where}.id: ${what} without an id dropped`);
  return undefined;
}

/** One GDAP relationship; `undefined` (with a warning) without an id. */
export function parseGdapRelationship(item: unknown, warn: WarningSink): GdapRelationship | undefined {
  const where = "delegatedAdminRelationships[]";
  const { object, id } = identified(item, where, "relationship", warn) ?? {};
  if (!object || !id) return undefined;
  const customer = object.customer === null || object.customer === undefined ? undefined : asObject(object.customer, `${where}.customer`, warn);
  const status: GdapStatus = member(GDAP_STATUSES, text(object, "status", where, warn), `${where}.status`, warn);
  return {
    id,
    customerTenantId: customer && text(customer, "tenantId", `${where}.customer`, warn),
    status,
    endSeconds: nullableDate(object, "endDateTime", where, warn),
    autoExtendSeconds: object.autoExtendDuration === null ? undefined : field(object, "autoExtendDuration", isoDuration, where, warn, "an ISO 8601 duration"),
  };
}

/** `isTest` is a Boolean in the CSDL, but the docs' examples send the string "false". */
function isTest(object: Record<string, unknown>, where: string, warn: WarningSink): boolean {
  const value = object.isTest;
  if (value === undefined || value === null || typeof value === "boolean") return value === true;
  if (typeof value === "string" && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === "true";
  warn(`${where}.isTest: expected a boolean, read as false`);
  return false;
}

/** One partner security alert; `undefined` (with a warning) without an id. */
export function parseSecurityAlert(item: unknown, warn: WarningSink): SecurityAlert | undefined {
  const where = "securityAlerts[]";
  const { object, id } = identified(item, where, "alert", warn) ?? {};
  if (!object || !id) return undefined;
  const status: AlertStatus = member(ALERT_STATUSES, text(object, "status", where, warn), `${where}.status`, warn);
  const severity: AlertSeverity = member(ALERT_SEVERITIES, text(object, "severity", where, warn), `${where}.severity`, warn);
  return {
    id,
    status,
    severity,
    alertType: text(object, "alertType", where, warn) ?? "unknown",
    customerTenantId: text(object, "customerTenantId", where, warn),
    detectedSeconds: nullableDate(object, "detectedDateTime", where, warn),
    isTest: isTest(object, where, warn),
  };
}

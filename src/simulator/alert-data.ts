/**
 * Partner security alerts (docs/graph-triage-sources.md section 4): about 4% of customer tenants have
 * one to four, most of them resolved. Deterministic like data.ts; ages are relative to the step's "now".
 */
import { ALERT_KINDS } from "./alert-kinds.js";
import { graphTime, guid, pick, seededFraction } from "./data.js";
import type { DatasetOptions, Json } from "./data.js";
import { generatedList } from "./item-list.js";
import type { ItemList } from "./item-list.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SEVERITIES = ["informational", "low", "medium", "high"];
const CONFIDENCE = ["low", "medium", "medium", "high"];
const RESOLVED_REASONS = ["legitimate", "legitimate", "ignore", "fraud", "fraud"];
const PARTNER_USERS = ["alex.wilber@contosopartner.onmicrosoft.com", "megan.bowen@contosopartner.onmicrosoft.com", "soc@contosopartner.onmicrosoft.com"];
/** Tenants below this index get alerts only from SHOWCASE. */
const SHOWCASE_RANGE = 50;

interface AlertPlan {
  readonly status: string;
  readonly severity?: string;
  readonly ageHours?: number;
  readonly kind?: number;
  /** As sent; the docs' examples send the string "false". */
  readonly isTest?: unknown;
}

/**
 * The alerts of tenants 1 and 26, so that 50 tenants (the default) show every case: open alerts a few
 * hours and more than a day old, an investigating one, and the test alerts (a boolean and a string).
 */
const SHOWCASE: ReadonlyMap<number, readonly AlertPlan[]> = new Map<number, readonly AlertPlan[]>([
  [
    1,
    [
      { status: "active", severity: "high", ageHours: 3, kind: 0 },
      { status: "active", severity: "medium", ageHours: 30, kind: 1 },
      { status: "investigating", severity: "low", ageHours: 100, kind: 2 },
      { status: "resolved", severity: "informational", ageHours: 200, kind: 8 },
    ],
  ],
  [
    26,
    [
      { status: "active", severity: "high", ageHours: 5, kind: 0, isTest: true },
      { status: "resolved", severity: "low", ageHours: 50, kind: 1, isTest: "true" },
      { status: "active", severity: "high", ageHours: 0.3, kind: 3 },
      { status: "resolved", severity: "high", ageHours: 400, kind: 9 },
    ],
  ],
]);

function plansOf(seed: number, index: number): readonly AlertPlan[] {
  if (index < SHOWCASE_RANGE) return SHOWCASE.get(index) ?? [];
  if (seededFraction(seed, index, 60) >= 0.04) return [];
  return Array.from({ length: 1 + Math.floor(seededFraction(seed, index, 61) * 4) }, (_, j) => {
    const status = seededFraction(seed, index, j, 62);
    return { status: status < 0.7 ? "resolved" : status < 0.88 ? "active" : "investigating" };
  });
}

/** Open alerts: half under a day old, the rest up to three weeks; resolved ones up to 30 days. */
function ageHoursOf(status: string, fraction: number): number {
  if (status === "resolved") return 1 + fraction * 720;
  return fraction < 0.5 ? 0.1 + (fraction / 0.5) * 23.9 : 24 + ((fraction - 0.5) / 0.5) ** 2 * 480;
}

/** Hundredths of a second with trailing zeros left out, as in the docs' examples ("…:33.05Z"). */
function alertTime(ms: number): string {
  return new Date(Math.round(ms / 10) * 10).toISOString().replace(/\.?0+Z$/, "Z");
}

interface Times {
  readonly detected: number;
  readonly resolvedOn: number | null;
  readonly now: number;
}

function activityLogs(status: string, times: Times, updatedBy: string | null, fraction: number): Json[] {
  const entry = (statusFrom: string, statusTo: string, at: number): Json => ({ statusFrom, statusTo, updatedBy, updatedDateTime: graphTime(at) });
  const { detected, resolvedOn, now } = times;
  if (status === "investigating") return [entry("active", "investigating", detected + fraction * (now - detected))];
  if (resolvedOn === null) return [];
  if (fraction < 0.5) return [entry("active", "resolved", resolvedOn)];
  return [entry("active", "investigating", detected + 0.4 * (resolvedOn - detected)), entry("investigating", "resolved", resolvedOn)];
}

function affectedResources(subscriptionId: string, f: (k: number) => number): Json[] {
  const group = `rg-${Math.floor(f(30) * 1000)}`;
  return Array.from({ length: 1 + Math.floor(f(31) * 3) }, (_, k) => ({
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/vm-${group.slice(3)}-${k}`,
    resourceType: "AzureResource",
  }));
}

function alert(options: DatasetOptions, index: number, j: number, plan: AlertPlan, tenantId: string): Json {
  const { seed, now } = options;
  const f = (k: number): number => seededFraction(seed, index, j, k);
  const kind = pick(ALERT_KINDS, plan.kind === undefined ? f(1) : plan.kind / ALERT_KINDS.length);
  // A showcase age gets up to a quarter of an hour added, so that it is not a whole number of hours.
  const age = (plan.ageHours === undefined ? ageHoursOf(plan.status, f(4)) : plan.ageHours + f(4) / 4) * HOUR;
  const detected = now - age;
  // Resolved between 15 minutes and three days after detection, never after now.
  const resolvedOn = plan.status === "resolved" ? detected + Math.min(age, (0.25 + f(5) * 72) * HOUR) : null;
  // guid() is one-to-one in its last-but-one input, and index * 4 + j (j < 4) is too: the ids are unique.
  const subscriptionId = guid(seed, index * 4 + j, 70);
  // The docs' investigating example carries resolvedBy with a null resolvedReason.
  const resolvedBy = plan.status === "active" ? null : pick(PARTNER_USERS, f(8));
  return {
    id: j % 2 === 0 ? guid(seed, index * 4 + j, 71) : `${subscriptionId}-${guid(seed, index * 4 + j, 71)}`,
    displayName: kind.displayName,
    description: kind.description,
    alertType: kind.alertType,
    status: plan.status,
    severity: plan.severity ?? (f(2) < 0.7 ? kind.severity : pick(SEVERITIES, f(3))),
    confidenceLevel: pick(CONFIDENCE, f(9)),
    customerTenantId: tenantId,
    subscriptionId,
    valueAddedResellerTenantId: f(10) < 0.7 ? null : guid(seed, 950 + Math.floor(f(11) * 3)),
    catalogOfferId: f(12) < 0.55 ? "MS-AZR-0017G" : null,
    detectedDateTime: alertTime(detected),
    firstObservedDateTime: alertTime(detected - f(6) * 6 * HOUR),
    lastObservedDateTime: alertTime(Math.min(resolvedOn ?? now, detected + f(7) * 12 * HOUR)),
    resolvedReason: resolvedOn === null ? null : pick(RESOLVED_REASONS, f(13)),
    resolvedOnDateTime: resolvedOn === null ? null : alertTime(resolvedOn),
    resolvedBy,
    isTest: plan.isTest ?? (f(14) < 0.05 ? false : "false"),
    affectedResources: affectedResources(subscriptionId, f),
    activityLogs: activityLogs(plan.status, { detected, resolvedOn, now: now - f(15) * MINUTE }, resolvedBy, f(16)),
    additionalDetails: kind.details(f),
  };
}

/** The alerts of the customer tenants whose ids are given (customerInsights' tenant ids, in its order), made per page. */
export function securityAlerts(options: DatasetOptions, tenantIds: readonly string[]): ItemList {
  const alertTenant: number[] = [];
  const alertNumber: number[] = [];
  tenantIds.forEach((_, index) => {
    plansOf(options.seed, index).forEach((_plan, j) => {
      alertTenant.push(index);
      alertNumber.push(j);
    });
  });
  return generatedList(alertTenant.length, (i) => {
    const index = alertTenant[i] ?? 0;
    const j = alertNumber[i] ?? 0;
    return alert(options, index, j, plansOf(options.seed, index)[j] ?? { status: "active" }, tenantIds[index] ?? "");
  });
}

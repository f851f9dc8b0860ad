import { ALERT_SEVERITIES } from "../graph/snapshot.js";
import type { AlertSeverity, AlertStatus, SecurityAlert } from "../graph/snapshot.js";

/** Alert types that keep their name in `alert_type`; the others are counted together, so the label stays bounded. */
export const ALERT_TYPES_NAMED = 20;
export const OTHER_ALERT_TYPE = "other";
/** Open: nobody has resolved it yet, whether or not someone is investigating. */
const OPEN: ReadonlySet<AlertStatus> = new Set<AlertStatus>(["active", "investigating"]);

export interface OpenAlerts {
  readonly count: number;
  /** The earliest detectedDateTime among them; undefined when none has one. */
  readonly oldestSeconds: number | undefined;
}

/** What the alert metrics say about one refresh's partner security alerts, test alerts apart. */
export interface AlertSummary {
  /** Real alerts per `${status}/${severity}`. */
  readonly byStatus: ReadonlyMap<string, number>;
  readonly tests: number;
  /** Open alerts per (alert_type, severity), at most ALERT_TYPES_NAMED types and `other`, sorted. */
  readonly openByType: ReadonlyArray<{ readonly alertType: string; readonly severity: AlertSeverity; readonly count: number }>;
  readonly openBySeverity: ReadonlyMap<AlertSeverity, OpenAlerts>;
  /** Per customer tenant with open alerts, per severity with some; in order of first appearance. */
  readonly openByCustomer: ReadonlyMap<string, ReadonlyMap<AlertSeverity, OpenAlerts>>;
}

export function statusKey(status: AlertStatus, severity: AlertSeverity): string {
  return `${status}/${severity}`;
}

function addOpen(into: Map<AlertSeverity, OpenAlerts>, alert: SecurityAlert): void {
  const before = into.get(alert.severity) ?? { count: 0, oldestSeconds: undefined };
  const detected = alert.detectedSeconds;
  const oldest = before.oldestSeconds === undefined || (detected !== undefined && detected < before.oldestSeconds) ? (detected ?? before.oldestSeconds) : before.oldestSeconds;
  into.set(alert.severity, { count: before.count + 1, oldestSeconds: oldest });
}

/** The named types: those with the most open alerts, ties by name. */
function namedTypes(open: readonly SecurityAlert[]): ReadonlySet<string> {
  const perType = new Map<string, number>();
  for (const alert of open) perType.set(alert.alertType, (perType.get(alert.alertType) ?? 0) + 1);
  const ranked = [...perType].sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0));
  return new Set(ranked.slice(0, ALERT_TYPES_NAMED).map(([type]) => type));
}

function byType(open: readonly SecurityAlert[]): AlertSummary["openByType"] {
  const named = namedTypes(open);
  const counts = new Map<string, { alertType: string; severity: AlertSeverity; count: number }>();
  for (const alert of open) {
    const alertType = named.has(alert.alertType) ? alert.alertType : OTHER_ALERT_TYPE;
    const key = `${alertType}\u0000${alert.severity}`;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { alertType, severity: alert.severity, count: 1 });
  }
  const order = (a: { alertType: string; severity: AlertSeverity }, b: { alertType: string; severity: AlertSeverity }): number =>
    a.alertType < b.alertType ? -1 : a.alertType > b.alertType ? 1 : ALERT_SEVERITIES.indexOf(a.severity) - ALERT_SEVERITIES.indexOf(b.severity);
  return [...counts.values()].sort(order);
}

/** One pass over a refresh's alerts (thousands at most at the largest partners). */
export function summarizeAlerts(alerts: readonly SecurityAlert[]): AlertSummary {
  const byStatus = new Map<string, number>();
  const openBySeverity = new Map<AlertSeverity, OpenAlerts>();
  const openByCustomer = new Map<string, Map<AlertSeverity, OpenAlerts>>();
  const open: SecurityAlert[] = [];
  let tests = 0;
  for (const alert of alerts) {
    if (alert.isTest) {
      tests++;
      continue;
    }
    const key = statusKey(alert.status, alert.severity);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    if (!OPEN.has(alert.status)) continue;
    open.push(alert);
    addOpen(openBySeverity, alert);
    if (alert.customerTenantId === undefined) continue;
    let customer = openByCustomer.get(alert.customerTenantId);
    if (!customer) openByCustomer.set(alert.customerTenantId, (customer = new Map<AlertSeverity, OpenAlerts>()));
    addOpen(customer, alert);
  }
  return { byStatus, tests, openByType: byType(open), openBySeverity, openByCustomer };
}

import { ALERT_SEVERITIES, ALERT_STATUSES, GDAP_STATUSES } from "../graph/snapshot.js";
import type { Snapshot } from "../graph/snapshot.js";
import type { OpenAlerts } from "./alert-series.js";
import { statusKey } from "./alert-series.js";
import type { Sample } from "./contract.js";
import type { MetricRow } from "./graph-metrics.js";
import type { SnapshotSummary } from "./summary.js";

// The rows of the optional sources (issue 14): customer names, GDAP relationships, partner security
// alerts. A source that is off or was left out has no series at all, not zeros.

/** Open: status active or investigating; test alerts are in none of these counts. */
const OPEN = "open (active or investigating, test alerts not counted) partner security alerts";

/** `autoExtendDuration` as the `auto_extend` label: it is P180D or PT0S/P0D in practice, so whether, not how long. */
function autoExtendLabel(seconds: number | undefined): string {
  if (seconds === undefined) return "unknown";
  return seconds > 0 ? "true" : "false";
}

function* relationshipEnds(summary: SnapshotSummary): Generator<Sample> {
  for (const relationship of summary.endingRelationships) {
    if (relationship.endSeconds === undefined) continue;
    yield { labelValues: [relationship.customerTenantId ?? "", relationship.id, autoExtendLabel(relationship.autoExtendSeconds)], value: relationship.endSeconds };
  }
}

function* perCustomerOpen(summary: SnapshotSummary, read: (open: OpenAlerts) => number | undefined): Generator<Sample> {
  for (const [tenantId, bySeverity] of summary.alerts?.openByCustomer ?? []) {
    for (const severity of ALERT_SEVERITIES) {
      const open = bySeverity.get(severity);
      const value = open && read(open);
      if (value !== undefined) yield { labelValues: [tenantId, severity], value };
    }
  }
}

function gdapCounts(snapshot: Snapshot): Sample[] {
  const relationships = snapshot.gdapRelationships;
  if (!relationships) return [];
  return GDAP_STATUSES.map((status) => ({ labelValues: [status], value: relationships.filter((relationship) => relationship.status === status).length }));
}

export const TRIAGE_METRICS: readonly MetricRow[] = [
  {
    name: "partner_security_customer_info", type: "gauge",
    help: "Name of the customer tenant: customer_name is its display name (or its default domain where it has none), customer_domain its default domain (empty from GDAP customers). Always 1. Join it with * on (job, instance, customer_tenant_id) group_left (customer_name).",
    labelNames: ["customer_tenant_id", "customer_name", "customer_domain"],
    source: "delegatedAdminCustomers[].tenantId, .displayName (PSE_CUSTOMER_NAMES=gdap) or contracts[].customerId, .displayName, .defaultDomainName (contracts)",
    samples: (_s, summary) => summary.named.map((name) => ({ labelValues: [name.tenantId, name.name ?? "", name.domain], value: 1 })),
  },
  {
    name: "partner_security_gdap_relationships", type: "gauge",
    help: "GDAP (granular delegated admin) relationships of the partner per status; unknown for a status this exporter does not know.",
    labelNames: ["status"],
    source: "delegatedAdminRelationships[].status (count per status)",
    samples: gdapCounts,
  },
  {
    name: "partner_security_gdap_relationship_end_timestamp_seconds", type: "gauge",
    help: "When the GDAP relationship ends unless it is extended, as Unix time, for active relationships and for expiring ones (past their end, the partner's admin access to the customer being removed) until Graph reports them expired. auto_extend says whether it extends itself at the end: true, false, or unknown where Graph does not say.",
    labelNames: ["customer_tenant_id", "relationship_id", "auto_extend"],
    unit: "seconds",
    source: "delegatedAdminRelationships[status=active|expiring].endDateTime, .autoExtendDuration",
    samples: (_s, summary) => relationshipEnds(summary),
  },
  {
    name: "partner_security_alerts", type: "gauge",
    help: "Partner security alerts per status and severity, test alerts left out.",
    labelNames: ["status", "severity"],
    source: "securityAlerts[].status, .severity (count; isTest left out)",
    samples: (_s, summary) => {
      const byStatus = summary.alerts?.byStatus;
      if (!byStatus) return [];
      return ALERT_STATUSES.flatMap((status) => ALERT_SEVERITIES.map((severity) => ({ labelValues: [status, severity], value: byStatus.get(statusKey(status, severity)) ?? 0 })));
    },
  },
  {
    name: "partner_security_alerts_test", type: "gauge",
    help: "Partner security alerts marked as test alerts (isTest), any status; counted in no other metric.",
    labelNames: [],
    source: "securityAlerts[isTest=true] (count)",
    samples: (_s, summary) => (summary.alerts ? [{ labelValues: [], value: summary.alerts.tests }] : []),
  },
  {
    name: "partner_security_alerts_active", type: "gauge",
    help: `Count of ${OPEN}, per alert type and severity; the 20 types with the most open alerts keep their name, the others are counted as alert_type="other".`,
    labelNames: ["alert_type", "severity"],
    source: "securityAlerts[status=active|investigating].alertType, .severity (count)",
    samples: (_s, summary) => (summary.alerts?.openByType ?? []).map((entry) => ({ labelValues: [entry.alertType, entry.severity], value: entry.count })),
  },
  {
    name: "partner_security_alerts_oldest_active_detected_timestamp_seconds", type: "gauge",
    help: `When the oldest of the ${OPEN} of this severity was detected, as Unix time; no series for a severity without one.`,
    labelNames: ["severity"],
    unit: "seconds",
    source: "securityAlerts[status=active|investigating].detectedDateTime (earliest per severity)",
    samples: (_s, summary) =>
      ALERT_SEVERITIES.flatMap((severity) => {
        const oldest = summary.alerts?.openBySeverity.get(severity)?.oldestSeconds;
        return oldest === undefined ? [] : [{ labelValues: [severity], value: oldest }];
      }),
  },
  {
    name: "partner_security_customer_alerts_active", type: "gauge",
    help: `Count of ${OPEN} of the customer tenant, per severity; only customers and severities with one.`,
    labelNames: ["customer_tenant_id", "severity"],
    source: "securityAlerts[status=active|investigating].customerTenantId, .severity (count)",
    samples: (_s, summary) => perCustomerOpen(summary, (open) => open.count),
  },
  {
    name: "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds", type: "gauge",
    help: `When the oldest of the ${OPEN} of the customer tenant of this severity was detected, as Unix time.`,
    labelNames: ["customer_tenant_id", "severity"],
    unit: "seconds",
    source: "securityAlerts[status=active|investigating].customerTenantId, .detectedDateTime (earliest per customer and severity)",
    samples: (_s, summary) => perCustomerOpen(summary, (open) => open.oldestSeconds),
  },
];

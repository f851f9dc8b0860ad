import type { CustomerName, GdapRelationship, Snapshot } from "../graph/snapshot.js";
import { summarizeAlerts } from "./alert-series.js";
import type { AlertSummary } from "./alert-series.js";
import { summarizeCustomers } from "./customer-series.js";
import type { CustomerSeries, CustomerSummary } from "./customer-series.js";

/** What the metric rows read besides the snapshot: computed once per rendering, before any row. */
export interface SnapshotSummary {
  readonly customers: CustomerSummary;
  /** Undefined when alerts are off or were not read. */
  readonly alerts: AlertSummary | undefined;
  /**
   * The GDAP relationships that get per-relationship series: the active ones, and the expiring ones
   * (past their end, access being removed), so an alert on the end does not resolve the moment
   * the partner loses access.
   */
  readonly endingRelationships: readonly GdapRelationship[];
  /** The customers that get a `partner_security_customer_info` series. */
  readonly named: readonly CustomerName[];
}

/**
 * The named customers worth a series: every one with PSE_CUSTOMER_SERIES=all; otherwise only those
 * another per-customer series of the exposition names, so a name never costs more series than
 * the mode allows.
 */
function namedCustomers(snapshot: Snapshot, mode: CustomerSeries, customers: CustomerSummary, alerts: AlertSummary | undefined, ending: readonly GdapRelationship[]): CustomerName[] {
  const names = (snapshot.customerNames ?? []).filter((name) => name.name !== undefined);
  if (mode === "all") return names;
  const shown = new Set<string>(customers.exported.map((customer) => customer.tenantId));
  for (const tenantId of alerts?.openByCustomer.keys() ?? []) shown.add(tenantId);
  for (const relationship of ending) if (relationship.customerTenantId !== undefined) shown.add(relationship.customerTenantId);
  return names.filter((name) => shown.has(name.tenantId));
}

export async function summarizeSnapshot(snapshot: Snapshot, mode: CustomerSeries): Promise<SnapshotSummary> {
  const customers = await summarizeCustomers(snapshot.customers, mode);
  const alerts = snapshot.securityAlerts && summarizeAlerts(snapshot.securityAlerts);
  const endingRelationships = (snapshot.gdapRelationships ?? []).filter((relationship) => relationship.status === "active" || relationship.status === "expiring");
  return { customers, alerts, endingRelationships, named: namedCustomers(snapshot, mode, customers, alerts, endingRelationships) };
}

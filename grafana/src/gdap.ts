import { BigValueGraphMode, TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { DATASOURCE, NEUTRAL, PARTNER_KEYS, TIME_LEFT, byPartner, colouredBy, merge, now, perPartner, sel, size, stat, tableQuery, thresholds, valueText } from "./common.js";
import { NAME_COLUMN, named, sourceStatus } from "./triage.js";

// GDAP relationships (Graph /tenantRelationships/delegatedAdminRelationships): an active relationship
// that ends without auto-extending is how a partner silently loses admin access to a customer.

/** Where the panels get their data, and why they can be empty. */
const SOURCE =
  "From Graph's GDAP relationships (GET /beta/tenantRelationships/delegatedAdminRelationships). Empty unless the exporter reads them (PSE_GDAP_RELATIONSHIPS=true, or auto with PSE_CUSTOMER_NAMES=gdap) with the permission DelegatedAdminRelationship.Read.All (the Customer names and GDAP source panel says which).";
const RELATIONSHIP = "customer_tenant_id, relationship_id";
const DAY = 86_400;

/** One series per active relationship, its end as Unix time; `auto_extend` says whether it extends itself then. */
const END = "partner_security_gdap_relationship_end_timestamp_seconds";
/** Time left of each active relationship, in seconds (negative once past its end). */
const TIME_LEFT_EXPR = byPartner(`${sel(END)} - time()`, RELATIONSHIP);
/**
 * Time left of the active relationships that do not auto-extend: auto_extend "false" (PT0S), or
 * "unknown" (Graph gave none or an unreadable one; its default is PT0S). They end for good.
 */
const NOT_EXTENDING = byPartner(`${sel(END, 'auto_extend!="true"')} - time()`, RELATIONSHIP);
/** What the Auto-extends column shows for each `auto_extend`: a number, so that the column sorts not-extending first. */
const AUTO_EXTENDS = { no: 0, unknown: 1, yes: 2 } as const;
/** Whether each relationship auto-extends, from its auto_extend label (no label, from an older exporter, reads unknown). */
const AUTO_EXTEND = byPartner(
  `${sel(END, 'auto_extend="false"')} * 0 + ${AUTO_EXTENDS.no} or ${sel(END, 'auto_extend!~"true|false"')} * 0 + ${AUTO_EXTENDS.unknown} or ${sel(END, 'auto_extend="true"')} * 0 + ${AUTO_EXTENDS.yes}`,
  RELATIONSHIP,
);
/**
 * The $limit relationships per partner to look at first: those that do not auto-extend, ending
 * soonest, then the auto-extending ones (pushed 1e10 s, three centuries, back), ending soonest.
 */
const SOONEST = `bottomk by (${PARTNER_KEYS}) ($limit, (${NOT_EXTENDING}) or (${TIME_LEFT_EXPR}) + 1e10)`;
/** Per partner, the relationships that do not auto-extend and end within `days`; 0 when none. */
function endingWithin(days: number): string {
  return `count by (${PARTNER_KEYS}) ((${NOT_EXTENDING}) < ${days * DAY}) or ${byPartner(sel("partner_security_gdap_relationships", 'status="active"'))} * 0`;
}

function soonestColumn(expr: string, refId: string) {
  return tableQuery(`${expr} and ${SOONEST}`, refId);
}

/** The GDAP row of the customers dashboard: relationships by status and the ones ending soonest. */
export function withGdapRelationships(dashboard: DashboardBuilder): DashboardBuilder {
  return dashboard
    .withRow(new RowBuilder("GDAP relationships"))
    .withPanel(
      stat()
        .title("GDAP relationships by status")
        .description(
          `GDAP relationships per status, those with at least one (neutral counts), and expiring always (orange from 1). Then the active relationships that do not auto-extend (auto_extend false or unknown) and end within 30 days (green at 0, orange from 1; PartnerSecurityGdapRelationshipExpiring fires for each by default) and within 7 days (green at 0, red from 1): the partner loses its admin access to those customers when they end. ${SOURCE}`,
        )
        .withTarget(now(`${byPartner(sel("partner_security_gdap_relationships", 'status!="expiring"'), "status")} > 0`, "{{status}} {{partner_tenant_id}}"))
        .withTarget(perPartner(sel("partner_security_gdap_relationships", 'status="expiring"'), "expiring {{partner_tenant_id}}", "B"))
        .withTarget(now(endingWithin(30), "ending within 30 days, not auto-extending {{partner_tenant_id}}", "C"))
        .withTarget(now(endingWithin(7), "ending within 7 days, not auto-extending {{partner_tenant_id}}", "D"))
        .unit("none")
        .overrideByQuery("B", colouredBy([[null, "green"], [1, "orange"]]))
        .overrideByQuery("C", colouredBy([[null, "green"], [1, "orange"]]))
        .overrideByQuery("D", colouredBy([[null, "green"], [1, "red"]]))
        .graphMode(BigValueGraphMode.None)
        .gridPos(size(18, 6)),
    )
    .withPanel(
      sourceStatus(["delegatedAdminCustomers", "delegatedAdminRelationships", "contracts"], "unavailable: grant the permission", "PSE_CUSTOMER_NAMES=none and PSE_GDAP_RELATIONSHIPS off")
        .title("Customer names and GDAP source")
        .description(
          "Whether the exporter reads its optional Graph sources (partner_security_exporter_endpoint_available): delegatedAdminCustomers (names, PSE_CUSTOMER_NAMES=gdap) and delegatedAdminRelationships (PSE_GDAP_RELATIONSHIPS) need DelegatedAdminRelationship.Read.All, contracts (names, PSE_CUSTOMER_NAMES=contracts) Directory.Read.All. Read (green); unavailable (red), mostly that permission missing (the exporter's log names it); not listed when not configured. Without names, every panel shows the tenant id instead.",
        )
        .gridPos(size(6, 6)),
    )
    .withPanel(soonest());
}

function soonest(): TablePanel {
  return new TablePanel()
    .title("Active GDAP relationships ending soonest, not auto-extending first")
    .description(
      `Per partner tenant, the $limit active relationships to look at first: those that do not auto-extend (auto_extend false or unknown), ending soonest, then the auto-extending ones. Customer name (the tenant id where no name is known), tenant id, relationship id, time left (red below 7 days, orange below 30), when it ends, and whether it auto-extends at its end: yes; no (autoExtendDuration PT0S) or unknown (Graph gave none or an unreadable one; its default is PT0S), both orange: it then ends for good. Sorted no, unknown, yes, each ending soonest first. ${SOURCE}`,
    )
    .datasource(DATASOURCE)
    .noValue("No active GDAP relationships read")
    .targets([
      soonestColumn(TIME_LEFT_EXPR, "A"),
      soonestColumn(AUTO_EXTEND, "B"),
      soonestColumn(byPartner(`${sel(END)} * 1000`, RELATIONSHIP), "C"),
      tableQuery(named(SOONEST), "name"),
    ])
    .transformations(
      merge({
        exclude: ["Time", "cluster", "namespace", "job", "Value #name"],
        rename: { partner_tenant_id: "Partner", ...NAME_COLUMN, relationship_id: "Relationship", "Value #A": "Time left", "Value #B": "Auto-extends", "Value #C": "Ends" },
        order: ["partner_tenant_id", "customer_name", "customer_tenant_id", "relationship_id", "Value #A", "Value #B", "Value #C"],
      }),
    )
    .unit("none")
    .thresholds(thresholds(NEUTRAL))
    .filterable(true)
    .overrideByName("Time left", [{ id: "unit", value: "dtdurations" }, { id: "custom.cellOptions", value: { type: "color-background" } }, ...colouredBy(TIME_LEFT)])
    .overrideByName("Auto-extends", [
      { id: "mappings", value: valueText({ [AUTO_EXTENDS.no]: ["no", "orange"], [AUTO_EXTENDS.unknown]: ["unknown", "orange"], [AUTO_EXTENDS.yes]: ["yes", "green"] }) },
      { id: "custom.cellOptions", value: { type: "color-text" } },
      ...colouredBy([[null, "orange"], [AUTO_EXTENDS.yes, "green"]]),
    ])
    .overrideByName("Ends", [{ id: "unit", value: "dateTimeAsIso" }])
    .sortBy([new TableSortByFieldStateBuilder().displayName("Auto-extends").desc(false), new TableSortByFieldStateBuilder().displayName("Time left").desc(false)])
    .gridPos(size(24, 10));
}

import { BigValueGraphMode, TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { MappingType, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
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
/**
 * Time left of each relationship, in seconds: of the active ones, and negative for the expiring
 * ones (past their end, the partner's access being removed), which keep their series until Graph
 * reports them expired.
 */
const TIME_LEFT_EXPR = byPartner(`${sel(END)} - time()`, RELATIONSHIP);
/**
 * Time left of the relationships that do not auto-extend: auto_extend "false" (PT0S), or
 * "unknown" (Graph gave none or an unreadable one; its default is PT0S). They end for good.
 */
const NOT_EXTENDING = byPartner(`${sel(END, 'auto_extend!="true"')} - time()`, RELATIONSHIP);
/** Time left where it is urgent: of the relationships that do not auto-extend, and of every one already past its end. */
const URGENT = `(${NOT_EXTENDING}) or (${TIME_LEFT_EXPR}) < 0`;
/** Time left of the relationships that extend themselves at their end and have not passed it: nothing to do. */
const EXTENDING = `(${byPartner(`${sel(END, 'auto_extend="true"')} - time()`, RELATIONSHIP)}) >= 0`;
/**
 * What the Auto-extends column shows for each `auto_extend`: a number, so that the column sorts
 * ended relationships first, then not-extending ones.
 */
const AUTO_EXTENDS = { ended: -1, no: 0, unknown: 1, yes: 2 } as const;
/**
 * Whether each relationship auto-extends, from its auto_extend label (no label, from an older
 * exporter, reads unknown); ended once past its end, whatever the label.
 */
const AUTO_EXTEND = `((${TIME_LEFT_EXPR}) < 0) * 0 + ${AUTO_EXTENDS.ended} or ${byPartner(
  `${sel(END, 'auto_extend="false"')} * 0 + ${AUTO_EXTENDS.no} or ${sel(END, 'auto_extend!~"true|false"')} * 0 + ${AUTO_EXTENDS.unknown} or ${sel(END, 'auto_extend="true"')} * 0 + ${AUTO_EXTENDS.yes}`,
  RELATIONSHIP,
)}`;
/**
 * The $limit relationships per partner to look at first: those past their end and those that do
 * not auto-extend, ending soonest (the ended ones, negative, first), then the auto-extending ones
 * (pushed 1e10 s, three centuries, back), ending soonest.
 */
const SOONEST = `bottomk by (${PARTNER_KEYS}) ($limit, ${URGENT} or (${TIME_LEFT_EXPR}) + 1e10)`;
/** Per partner, the relationships that do not auto-extend and end within `days`, not yet ended (expiring ones are counted apart); 0 when none. */
function endingWithin(days: number): string {
  return `count by (${PARTNER_KEYS}) (((${NOT_EXTENDING}) >= 0) < ${days * DAY}) or ${byPartner(sel("partner_security_gdap_relationships", 'status="active"'))} * 0`;
}

/** One column of the table, cut to the relationships it shows. */
function soonestColumn(expr: string, refId: string) {
  return tableQuery(`(${expr}) and ${SOONEST}`, refId);
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
      sourceStatus(["delegatedAdminCustomers", "delegatedAdminRelationships", "contracts"], "unavailable: see the exporter's log (a 403 names the permission)", "PSE_CUSTOMER_NAMES=none and PSE_GDAP_RELATIONSHIPS off")
        .title("Customer names and GDAP source")
        .description(
          "Whether the exporter reads its optional Graph sources (partner_security_exporter_endpoint_available): delegatedAdminCustomers (names, PSE_CUSTOMER_NAMES=gdap) and delegatedAdminRelationships (PSE_GDAP_RELATIONSHIPS) need DelegatedAdminRelationship.Read.All, contracts (names, PSE_CUSTOMER_NAMES=contracts) Directory.Read.All. Read (green); unavailable (red): the last read failed, on a 403 (that permission missing; the exporter's log line names it and what to do), a 5xx or a timeout (the log line says which); not listed when not configured. Without names, every panel shows the tenant id instead.",
        )
        .gridPos(size(6, 6)),
    )
    .withPanel(soonest());
}

/** Time left: "ended" (red) once past the end, else red below 7 days, orange below 30. */
const TIME_LEFT_TEXT = [{ type: MappingType.RangeToText, options: { from: -1e12, to: 0, result: { text: "ended", color: "red", index: 0 } } }];
const AUTO_EXTENDS_TEXT = valueText({
  [AUTO_EXTENDS.ended]: ["ended", "red"],
  [AUTO_EXTENDS.no]: ["no", "orange"],
  [AUTO_EXTENDS.unknown]: ["unknown", "orange"],
  [AUTO_EXTENDS.yes]: ["yes", "green"],
});
const DASH = { id: "noValue", value: "–" };

function soonest(): TablePanel {
  return new TablePanel()
    .title("Active GDAP relationships ending soonest, not auto-extending first")
    .description(
      `Per partner tenant, the $limit relationships to look at first: those past their end (status expiring: the partner's admin access is being removed), then the active ones that do not auto-extend (auto_extend false or unknown), ending soonest, then the auto-extending ones. Customer name (the tenant id where no name is known), tenant id, relationship id; Time left where it ends for good: ended (red) once past its end, red below 7 days, orange below 30; Extends in where it auto-extends (green: nothing to do); when it ends; and whether it auto-extends at its end: yes; no (autoExtendDuration PT0S) or unknown (Graph gave none or an unreadable one; its default is PT0S), both orange: it then ends for good; ended (red). Sorted ended, no, unknown, yes, each ending soonest first. ${SOURCE}`,
    )
    .datasource(DATASOURCE)
    .noValue("No active GDAP relationships read")
    .targets([
      soonestColumn(URGENT, "A"),
      soonestColumn(AUTO_EXTEND, "B"),
      soonestColumn(byPartner(`${sel(END)} * 1000`, RELATIONSHIP), "C"),
      soonestColumn(EXTENDING, "D"),
      tableQuery(named(SOONEST), "name"),
    ])
    .transformations(
      merge({
        exclude: ["Time", "cluster", "namespace", "job", "Value #name"],
        rename: { partner_tenant_id: "Partner", ...NAME_COLUMN, relationship_id: "Relationship", "Value #A": "Time left", "Value #D": "Extends in", "Value #B": "Auto-extends", "Value #C": "Ends" },
        order: ["partner_tenant_id", "customer_name", "customer_tenant_id", "relationship_id", "Value #A", "Value #D", "Value #B", "Value #C"],
      }),
    )
    .unit("none")
    .thresholds(thresholds(NEUTRAL))
    .filterable(true)
    .overrideByName("Time left", [{ id: "unit", value: "dtdurations" }, { id: "mappings", value: TIME_LEFT_TEXT }, { id: "custom.cellOptions", value: { type: "color-background" } }, DASH, ...colouredBy(TIME_LEFT)])
    .overrideByName("Extends in", [{ id: "unit", value: "dtdurations" }, { id: "custom.cellOptions", value: { type: "color-text" } }, DASH, ...colouredBy([[null, "green"]])])
    .overrideByName("Auto-extends", [{ id: "mappings", value: AUTO_EXTENDS_TEXT }, { id: "custom.cellOptions", value: { type: "color-text" } }, ...colouredBy([[null, "red"], [AUTO_EXTENDS.no, "orange"], [AUTO_EXTENDS.yes, "green"]])])
    .overrideByName("Ends", [{ id: "unit", value: "dateTimeAsIso" }])
    .sortBy([new TableSortByFieldStateBuilder().displayName("Auto-extends").desc(false), new TableSortByFieldStateBuilder().displayName("Time left").desc(false), new TableSortByFieldStateBuilder().displayName("Extends in").desc(false)])
    .gridPos(size(24, 10));
}

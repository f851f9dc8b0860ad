import { BigValueGraphMode, TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { DashboardBuilder, DynamicConfigValue } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import {
  DATASOURCE,
  NEUTRAL,
  now,
  PARTNER_KEYS,
  RESPONSE_AGE,
  byPartner,
  colouredBy,
  merge,
  perPartner,
  query,
  sel,
  size,
  stat,
  tableQuery,
  thresholdColor,
  thresholds,
  timeseries,
  valueText,
} from "./common.js";
import type { Steps } from "./common.js";
import { NAME_COLUMN, endpointAvailable, named, sourceStatus } from "./triage.js";

// Partner security alerts (Graph /security/partner/securityAlerts, PartnerSecurity.Read.All): what is
// open now, how long it has been open against Microsoft's 24-hour response requirement, and where.

/** Where every panel here gets its data, and why it can be empty. */
const SOURCE =
  "From Graph's partner security alerts (GET /beta/security/partner/securityAlerts). Empty when the exporter does not read them (PSE_SECURITY_ALERTS=false) or lacks the permission PartnerSecurity.Read.All (the Security alerts source panel says which; partner_security_exporter_endpoint_available{endpoint=\"securityAlerts\"} is 0 then). Test alerts (isTest) are left out of every count.";
/**
 * What an alert table shows when it has no rows at all (Grafana shows a table's noValue then, and
 * in every empty cell of a column that sets none of its own: each column here sets its own).
 */
const NO_ROWS = "No open security alerts, or the alerts are not read: see the Security alerts source panel";
/** Empty cells: a count column reads 0, an age column a dash. */
const ZERO: DynamicConfigValue = { id: "noValue", value: "0" };
const DASH: DynamicConfigValue = { id: "noValue", value: "–" };
/** Per partner deployment: 1 when the exporter read the alerts in its last refresh, 0 when that failed; nothing when it does not read them. */
const READ = `max by (${PARTNER_KEYS}) (${endpointAvailable(["securityAlerts"])})`;
/** Open = active or investigating: alerts not yet resolved. */
const OPEN = 'status=~"active|investigating"';

/**
 * Graph's severities, worst first, each the query id of its series: title, colour, and rank (an
 * unknown severity, one Graph added later, ranks below medium).
 */
const SEVERITIES: Array<[severity: string, title: string, color: string, rank: number]> = [
  ["high", "High", "red", 5],
  ["medium", "Medium", "orange", 4],
  ["unknown", "Unknown", "purple", 3],
  ["low", "Low", "yellow", 2],
  ["informational", "Informational", "blue", 1],
];
/** An open-alert count: green at 0, the severity's colour from 1. */
function countSteps(color: string): Steps {
  return [[null, "green"], [1, color]];
}
/** A table's severity columns: the value of the query named after the severity, titled. */
const SEVERITY_COLUMNS = Object.fromEntries(SEVERITIES.map(([severity, title]) => [`Value #${severity}`, title]));
const COLOURED_TEXT: DynamicConfigValue = { id: "custom.cellOptions", value: { type: "color-text" } };

/** Partner-wide panels, for the overview: open alerts by severity and type, the oldest open alert's age. */
export function withSecurityAlerts(dashboard: DashboardBuilder): DashboardBuilder {
  const openBy = (severity: string) => `sum without (status) (${sel("partner_security_alerts", `${OPEN},severity="${severity}"`)})`;
  const open = stat()
    .title("Open security alerts by severity")
    .description(`Security alerts not yet resolved (status active or investigating), per severity: green at 0, from 1 red for high, orange medium, purple unknown, yellow low, blue informational. ${SOURCE}`)
    .targets(SEVERITIES.map(([severity]) => perPartner(openBy(severity), `${severity} {{partner_tenant_id}}`, severity)))
    .unit("none")
    .graphMode(BigValueGraphMode.None)
    .gridPos(size(10, 6));
  for (const [severity, , color] of SEVERITIES) open.overrideByQuery(severity, colouredBy(countSteps(color)));
  return dashboard
    .withRow(new RowBuilder("Security alerts"))
    .withPanel(open)
    .withPanel(oldestOpen())
    .withPanel(
      sourceStatus(["securityAlerts"], "unavailable: see the exporter's log", "PSE_SECURITY_ALERTS=false")
        .title("Security alerts source")
        .description(
          "Whether the exporter read the partner security alerts in its last refresh (partner_security_exporter_endpoint_available{endpoint=\"securityAlerts\"}): read (green); unavailable (red): Graph refused them (a 403, although PartnerSecurity.Read.All is the score's own permission), failed (5xx) or timed out; the exporter's log line says which and what to do. Not read when PSE_SECURITY_ALERTS=false (or before the exporter's first refresh).",
        )
        .gridPos(size(3, 6)),
    )
    .withPanel(
      stat()
        .title("Test security alerts")
        .description("Alerts Graph marks as tests (isTest), in any status: neutral, and counted nowhere else. Empty when PSE_SECURITY_ALERTS=false or PartnerSecurity.Read.All is missing.")
        .withTarget(perPartner(sel("partner_security_alerts_test"), "test {{partner_tenant_id}}"))
        .unit("none")
        .graphMode(BigValueGraphMode.None)
        .gridPos(size(3, 6)),
    )
    .withPanel(alertTypes())
    .withPanel(
      timeseries()
        .title("Open security alerts over time")
        .description(`Open (active or investigating) security alerts per severity over time, one line per severity and partner tenant. ${SOURCE}`)
        .targets(SEVERITIES.map(([severity]) => query(byPartner(openBy(severity)), `${severity} {{partner_tenant_id}}`, severity)))
        .overrides(SEVERITIES.map(([severity, , color]) => ({ matcher: { id: "byFrameRefID", options: severity }, properties: [{ id: "color", value: { mode: "fixed", fixedColor: color } }] })))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    );
}

/**
 * Per severity, the age of the oldest open alert (A); where none is open, whether that is an
 * all-clear: "No open security alerts" only while the exporter read the alerts (endpoint available
 * 1), "not read" after a failed read (0); nothing at all (noValue) when it does not read them.
 */
function oldestOpen() {
  const ages = byPartner(`time() - ${sel("partner_security_alerts_oldest_active_detected_timestamp_seconds")}`, "severity");
  return stat()
    .title("Oldest open security alert")
    .description(
      `Per severity, how long the oldest open (active or investigating) alert has been open since Graph detected it (detectedDateTime): green below 18 hours, orange from 18 (where PartnerSecurityAlertResponseTargetNear fires), red from 24: Microsoft's CSP security requirement is to respond to security alerts within 24 hours. Where none is open: No open security alerts (green) only while the exporter reads the alerts; Alerts not read (orange) when its last read failed (the Security alerts source panel and the exporter's log say why); Security alerts not read when PSE_SECURITY_ALERTS=false or before the first refresh. ${SOURCE}`,
    )
    .withTarget(now(ages, "{{severity}} {{partner_tenant_id}}"))
    .withTarget(now(`(1 - ${READ}) unless on (${PARTNER_KEYS}) (${ages} and on (${PARTNER_KEYS}) ${READ} == 1)`, "{{partner_tenant_id}}", "none"))
    .noValue("Security alerts not read: PSE_SECURITY_ALERTS=false, or no refresh yet")
    .unit("dtdurations")
    .colorScheme(thresholdColor())
    .thresholds(thresholds(RESPONSE_AGE))
    .overrideByQuery("none", [{ id: "mappings", value: valueText({ "0": ["No open security alerts", "green"], "1": ["Alerts not read: see Security alerts source", "orange"] }) }, ...colouredBy([[null, "green"], [1, "orange"]])])
    .graphMode(BigValueGraphMode.None)
    .gridPos(size(8, 6));
}

/** Open alerts per alert type (Graph's alertType; the 20 most frequent by name, the rest as "other"), a column per severity. */
function alertTypes(): TablePanel {
  const column = (severity: string) => tableQuery(byPartner(sel("partner_security_alerts_active", `severity="${severity}"`), "alert_type"), severity);
  const table = new TablePanel()
    .title("Open security alerts by type")
    .description(
      `Open (active or investigating) alerts per alert type (Graph's alertType: the 20 types with the most open alerts by name, the rest as other; unknown where Graph gives none), per severity and in all, the most first. ${SOURCE}`,
    )
    .datasource(DATASOURCE)
    .noValue(NO_ROWS)
    .targets([...SEVERITIES.map(([severity]) => column(severity)), tableQuery(byPartner(`sum without (severity) (${sel("partner_security_alerts_active")})`, "alert_type"), "all")])
    .transformations(
      merge({
        exclude: ["Time", "cluster", "namespace", "job"],
        rename: { partner_tenant_id: "Partner", alert_type: "Alert type", "Value #all": "Open", ...SEVERITY_COLUMNS },
        order: ["partner_tenant_id", "alert_type", "Value #all", ...Object.keys(SEVERITY_COLUMNS)],
      }),
    )
    .unit("none")
    .thresholds(thresholds(NEUTRAL))
    .sortBy([new TableSortByFieldStateBuilder().displayName("Open").desc(true)])
    .gridPos(size(12, 8));
  for (const [, title, color] of SEVERITIES) table.overrideByName(title, [COLOURED_TEXT, ZERO, ...colouredBy(countSteps(color))]);
  return table.overrideByName("Open", [ZERO]);
}

const CUSTOMER_OLDEST = "partner_security_customer_alerts_oldest_active_detected_timestamp_seconds";
const CUSTOMER_OPEN = "partner_security_customer_alerts_active";
/**
 * Per customer, its most severe open alert's rank times 1e9 plus the age of its oldest open alert of
 * that severity: the customers with an open high alert first, the longest open first among them.
 */
const RANK = byPartner(SEVERITIES.map(([severity, , , rank]) => `(time() - ${sel(CUSTOMER_OLDEST, `severity="${severity}"`)}) + ${rank}e9`).join(" or "), "customer_tenant_id");
/** The $limit worst customers per partner: only customers with an open alert have series at all. */
const WORST = `topk by (${PARTNER_KEYS}) ($limit, ${RANK})`;
const SEVERITY_NAMES = valueText(Object.fromEntries(SEVERITIES.map(([severity, , color, rank]): [string, [string, string]] => [String(rank), [severity, color]])));

/** One column of the per-customer table, cut to the worst customers. */
function worstColumn(expr: string, refId: string) {
  return tableQuery(`${byPartner(expr, "customer_tenant_id")} and ${WORST}`, refId);
}

/** The per-customer table's two age columns: of the oldest open high alert, and of the oldest open alert of any severity. */
const OLDEST_HIGH = "Oldest high";
const OLDEST_ANY = "Oldest open alert, any severity";

/** The per-customer table, for the customers dashboard: who has open alerts, the most severe and oldest first. */
export function withCustomerAlerts(dashboard: DashboardBuilder): DashboardBuilder {
  const age = (severity?: string) => `time() - ${sel(CUSTOMER_OLDEST, severity ? `severity="${severity}"` : "")}`;
  const table = new TablePanel()
    .title("Customers with open security alerts, most severe first")
    .description(
      `Per partner tenant, the $limit customers whose open (active or investigating) alerts are the most severe, the longest open first among equals: customer name (the tenant id where no name is known: PSE_CUSTOMER_NAMES), tenant id, the most severe open alert, the age since Graph detected it of the oldest open high alert (– where none is open) and of the oldest open alert of any severity (which can be a low one older than the high ones), each green below 18 hours, orange from 18, red from Microsoft's 24-hour response requirement (which holds for every severity), and open alerts per severity. No rows: no customer has an open alert, or the alerts are not read (see the Security alerts source panel). ${SOURCE}`,
    )
    .datasource(DATASOURCE)
    .noValue(NO_ROWS)
    .targets([
      tableQuery(`floor(${WORST} / 1e9)`, "A"),
      worstColumn(age(), "B"),
      worstColumn(age("high"), "H"),
      ...SEVERITIES.map(([severity]) => worstColumn(sel(CUSTOMER_OPEN, `severity="${severity}"`), severity)),
      worstColumn(`sum without (severity) (${sel(CUSTOMER_OPEN)})`, "all"),
      tableQuery(named(WORST), "name"),
    ])
    .transformations(
      merge({
        exclude: ["Time", "cluster", "namespace", "job", "Value #name"],
        rename: { partner_tenant_id: "Partner", ...NAME_COLUMN, "Value #A": "Most severe", "Value #H": OLDEST_HIGH, "Value #B": OLDEST_ANY, "Value #all": "Open", ...SEVERITY_COLUMNS },
        order: ["partner_tenant_id", "customer_name", "customer_tenant_id", "Value #A", "Value #H", "Value #B", "Value #all", ...Object.keys(SEVERITY_COLUMNS)],
      }),
    )
    .unit("none")
    .thresholds(thresholds(NEUTRAL))
    .filterable(true)
    .overrideByName("Most severe", [{ id: "mappings", value: SEVERITY_NAMES }, COLOURED_TEXT])
    .overrideByName(OLDEST_HIGH, [{ id: "unit", value: "dtdurations" }, { id: "custom.cellOptions", value: { type: "color-background" } }, DASH, ...colouredBy(RESPONSE_AGE)])
    .overrideByName(OLDEST_ANY, [{ id: "unit", value: "dtdurations" }, COLOURED_TEXT, DASH, ...colouredBy(RESPONSE_AGE)])
    .overrideByName("Open", [ZERO])
    .sortBy(["Most severe", OLDEST_HIGH, OLDEST_ANY].map((column) => new TableSortByFieldStateBuilder().displayName(column).desc(true)))
    .gridPos(size(24, 10));
  for (const [, title, color] of SEVERITIES) table.overrideByName(title, [COLOURED_TEXT, ZERO, ...colouredBy(countSteps(color))]);
  return dashboard.withRow(new RowBuilder("Security alerts by customer")).withPanel(table);
}

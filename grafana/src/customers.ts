import { BigValueTextMode, StackingConfigBuilder, StackingMode, TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard, DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { CustomVariableBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import {
  ANY_POLICY,
  DATASOURCE,
  NEUTRAL,
  PARTNER_KEYS,
  POLICY_STATE,
  ZERO_GOOD,
  baseDashboard,
  byPartner,
  colouredBy,
  firingAlerts,
  fixedColor,
  merge,
  perPartner,
  query,
  sel,
  size,
  stat,
  stateTimeline,
  tableQuery,
  thresholds,
  timeseries,
} from "./common.js";
import type { Steps } from "./common.js";
import { withGdapRelationships } from "./gdap.js";
import { withCustomerAlerts } from "./security-alerts.js";
import { NAME_COLUMN, customerPicker, labelled, named } from "./triage.js";

const TENANT = 'customer_tenant_id=~"$customer_tenant_id"';
const POLICIES: Array<[string, string, string]> = [
  ["security_defaults", "Security defaults", "E"],
  ["conditional_access", "Conditional Access", "F"],
  ["legacy_per_user", "Per-user MFA", "G"],
];
const COLUMNS_HIDDEN = ["Time", "cluster", "namespace", "job"];
const PARTNER_COLUMN = { partner_tenant_id: "Partner", ...NAME_COLUMN };

function tenantSel(metric: string, extra = ""): string {
  return sel(metric, extra ? `${TENANT},${extra}` : TENANT);
}

/** Per tenant, with exactly the partner labels and the tenant, so the table rows merge. */
function perTenant(expr: string): string {
  return byPartner(expr, "customer_tenant_id");
}

const COVERAGE = perTenant(
  `(${sel("partner_security_customer_mfa_compliant_admins")} + ${sel("partner_security_customer_mfa_compliant_non_admins")}) / (${sel("partner_security_customer_users")} > 0)`,
);
const USERS = perTenant(sel("partner_security_customer_users"));
/**
 * The $limit tenants with the lowest MFA coverage, every column of the table cut to them. Among
 * equal coverage (often many at 0%) the tenant with more users is worse: the tie-break, a millionth
 * of a percentage point per million users, is far below any coverage difference a reader sees.
 */
const WORST = `bottomk by (${PARTNER_KEYS}) ($limit, ${COVERAGE} - ${USERS} * 1e-12)`;
/** What a per-tenant panel says when it has nothing: most often the PSE_CUSTOMER_SERIES mode. */
const NO_TENANT_SERIES = "No per-tenant series: see Per-tenant series (PSE_CUSTOMER_SERIES)";
/** MFA coverage colours, the same as the bands of the coverage panel: full coverage alone is green. */
const COVERAGE_STEPS: Steps = [[null, "red"], [0.5, "orange"], [0.9, "yellow"], [1, "green"]];
/** The exporter's coverage bands, worst first (the stacking order), with their legend and colour. */
const COVERAGE_BANDS: Array<[band: string, legend: string, color: string, refId: string]> = [
  ["below_50_percent", "below 50%", "red", "A"],
  ["50_to_90_percent", "50 to 90%", "orange", "B"],
  ["90_to_100_percent", "90 to 100%", "yellow", "C"],
  ["100_percent", "100%", "green", "D"],
  ["unknown", "unknown", "gray", "E"],
];
/** Tenants where every MFA policy is disabled. */
const NO_POLICY = `${perTenant(sel("partner_security_customer_mfa_policy_enabled"))} == 0`;
/** Of those, the $limit with the most users per partner. */
const MOST_USERS_WITHOUT_POLICY = `topk by (${PARTNER_KEYS}) ($limit, ${USERS} and ${NO_POLICY})`;
/**
 * A picked tenant's series labelled as the picker shows it (names of the picked tenants only), for
 * legends naming `PICKED`: "name (first 8 characters of the tenant id)", the tenant id alone where no name is known.
 */
function picked(expr: string): string {
  return labelled(expr, TENANT);
}
const PICKED = "{{customer_label}} ({{partner_tenant_id}})";

function worstColumn(expr: string, refId: string) {
  return tableQuery(`${perTenant(expr)} and ${WORST}`, refId);
}

/** Which customer tenants are not MFA-compliant, worst first, and how one tenant moves. */
export function customersDashboard(): Dashboard {
  // A CSP has thousands of tenants: panels over all of them show the worst $limit.
  const limit = new CustomVariableBuilder("limit")
    .label("Tenants shown")
    .description("How many customer tenants the tables over all tenants show (the worst first)")
    .values("10,20,50,100")
    .current({ text: "20", value: "20" });
  // No "All": one series per tenant would be thousands. Grafana starts on the first tenant.
  const tenant = customerPicker("customer_tenant_id", "Customer tenant", "partner_security_customer_users");
  const dashboard = baseDashboard(
    "partner-security-customers",
    "Partner security: customer tenants",
    "MFA posture of the partner's customer tenants, from partner-security-exporter: the worst first, and any tenant over time.",
    "PartnerSecurity(Customer|Exporter).*",
  )
    .withVariable(limit)
    .withVariable(tenant)
    // customer_tenant_id!="": with no tenant to pick (PSE_CUSTOMER_SERIES=none) the variable is empty.
    .annotation(firingAlerts("Alerts of the picked tenants", "PartnerSecurityCustomer.*", `customer_tenant_id!="",${TENANT}`))
    .withRow(new RowBuilder("All customer tenants"))
    .withPanel(
      timeseries()
        .title("MFA-compliant vs non-compliant customer tenants, partner $partner")
        .description("Customer tenants whose admins are MFA-compliant, and the rest, over time (requirement mfaEnforcedForAdminsOfCustomers); one panel per partner tenant.")
        .repeat("partner")
        .repeatDirection("h")
        .maxPerRow(2)
        .withTarget(query(byPartner(sel("partner_security_customer_tenants_mfa_compliant")), "compliant {{partner_tenant_id}}"))
        .withTarget(query(byPartner(`${sel("partner_security_customer_tenants")} - ${sel("partner_security_customer_tenants_mfa_compliant")}`), "non-compliant {{partner_tenant_id}}", "B"))
        .overrideByQuery("A", [{ id: "color", value: { mode: "fixed", fixedColor: "green" } }])
        .overrideByQuery("B", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }])
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stat()
        .title("Customer tenants at risk")
        .description(
          "Per partner tenant, over every customer tenant Graph lists (whatever PSE_CUSTOMER_SERIES exports per tenant): tenants with security defaults, Conditional Access MFA and per-user MFA all disabled (green at 0, red from 1; a tenant that newly drops out fires PartnerSecurityCustomerTenantLostMfaPolicy), and tenants where fewer than half of the users are MFA-compliant (green at 0, orange from 1).",
        )
        .withTarget(perPartner(sel("partner_security_customer_insight_tenants_without_mfa_policy"), "without any MFA policy {{partner_tenant_id}}"))
        .withTarget(perPartner(sel("partner_security_customer_insight_tenants_by_mfa_coverage", 'coverage_band="below_50_percent"'), "below 50% MFA coverage {{partner_tenant_id}}", "B"))
        .unit("none")
        .overrideByQuery("A", colouredBy(ZERO_GOOD))
        .overrideByQuery("B", colouredBy([[null, "green"], [1, "orange"]]))
        .gridPos(size(8, 8)),
    )
    .withPanel(
      stat()
        .title("Per-tenant series")
        .description(
          "Which customer tenants the exporter gives series of their own (PSE_CUSTOMER_SERIES): all; noncompliant, only tenants below 100% MFA coverage or without an MFA policy (the tables below then list only those); none, the tables and the Selected tenants row stay empty by choice. The counts above and the coverage and policy panels work in every mode.",
        )
        .withTarget(perPartner(sel("partner_security_exporter_customer_series_info"), "{{mode}} {{partner_tenant_id}}", "A", "mode"))
        .textMode(BigValueTextMode.Name)
        .unit("none")
        .gridPos(size(4, 8)),
    )
    .withPanel(
      timeseries()
        .title("Customer tenants by MFA coverage, partner $partner")
        .description(
          "Customer tenants per band of MFA coverage (MFA-compliant admins and non-admins per user) over time, stacked from the worst band up; unknown: no users or no counts. One panel per partner tenant, so two partners never add up in one stack. Counted by the exporter over every tenant, so it works with every PSE_CUSTOMER_SERIES mode.",
        )
        .repeat("partner")
        .repeatDirection("h")
        .maxPerRow(2)
        .targets(COVERAGE_BANDS.map(([band, legend, , refId]) => query(byPartner(sel("partner_security_customer_insight_tenants_by_mfa_coverage", `coverage_band="${band}"`)), `${legend} {{partner_tenant_id}}`, refId)))
        .overrides(COVERAGE_BANDS.map(([, , color, refId]) => ({ matcher: { id: "byFrameRefID", options: refId }, properties: [{ id: "color", value: { mode: "fixed", fixedColor: color } }] })))
        .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
        .fillOpacity(30)
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      timeseries()
        .title("Customer tenants by MFA policy, partner $partner")
        .description(
          "Customer tenants with each MFA policy enabled, with none at all (red), and in all, over time; one panel per partner tenant. A tenant can have more than one policy. Counted by the exporter over every tenant, so it works with every PSE_CUSTOMER_SERIES mode.",
        )
        .repeat("partner")
        .repeatDirection("h")
        .maxPerRow(2)
        .withTarget(query(byPartner(sel("partner_security_customer_insight_tenants_with_mfa_policy"), "policy"), "{{policy}} {{partner_tenant_id}}"))
        .withTarget(query(byPartner(sel("partner_security_customer_insight_tenants_without_mfa_policy")), "no MFA policy {{partner_tenant_id}}", "B"))
        .withTarget(query(byPartner(sel("partner_security_customer_insight_tenants")), "all tenants {{partner_tenant_id}}", "C"))
        .overrideByQuery("B", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }])
        .overrideByQuery("C", [{ id: "color", value: { mode: "fixed", fixedColor: "text" } }])
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new TablePanel()
        .title("Customer tenants, worst MFA coverage first")
        .noValue(NO_TENANT_SERIES)
        .description(
          "Per partner tenant, the $limit customer tenants with the lowest share of MFA-compliant users (at equal shares, the most users first): the customer's name (partner_security_customer_info; the tenant id where no name is known) and tenant id, compliant admins and non-admins, users, the share covered, and each MFA policy. A disabled policy is not a fault (security defaults and Conditional Access exclude each other; per-user MFA is being retired): only Any MFA policy = no is red. Needs per-tenant series: PSE_CUSTOMER_SERIES=all, or noncompliant (which keeps every tenant below full coverage or without a policy); empty with none.",
        )
        .datasource(DATASOURCE)
        .targets([
          worstColumn(sel("partner_security_customer_mfa_compliant_admins"), "A"),
          worstColumn(sel("partner_security_customer_mfa_compliant_non_admins"), "B"),
          worstColumn(sel("partner_security_customer_users"), "C"),
          tableQuery(`${COVERAGE} and ${WORST}`, "D"),
          ...POLICIES.map(([policy, , refId]) => worstColumn(sel("partner_security_customer_mfa_policy_enabled", `policy="${policy}"`), refId)),
          worstColumn(sel("partner_security_customer_mfa_policy_enabled"), "H"),
          tableQuery(named(WORST), "name"),
        ])
        .transformations(
          merge({
            exclude: [...COLUMNS_HIDDEN, "Value #name"],
            rename: {
              ...PARTNER_COLUMN,
              "Value #A": "Compliant admins",
              "Value #B": "Compliant non-admins",
              "Value #C": "Users",
              "Value #D": "MFA coverage",
              ...Object.fromEntries(POLICIES.map(([, title, refId]) => [`Value #${refId}`, title])),
              "Value #H": "Any MFA policy",
            },
            order: ["partner_tenant_id", "customer_name", "customer_tenant_id", "Value #D", "Value #A", "Value #B", "Value #C", "Value #H", "Value #E", "Value #F", "Value #G"],
          }),
        )
        .unit("none")
        .thresholds(thresholds(NEUTRAL))
        .filterable(true)
        .overrideByName("MFA coverage", [{ id: "unit", value: "percentunit" }, { id: "custom.cellOptions", value: { type: "color-background" } }, ...colouredBy(COVERAGE_STEPS)])
        .overrideByName("Any MFA policy", [{ id: "mappings", value: ANY_POLICY }, { id: "custom.cellOptions", value: { type: "color-text" } }])
        .overrideByRegexp(POLICIES.map(([, title]) => title).join("|"), [{ id: "mappings", value: POLICY_STATE }, { id: "custom.cellOptions", value: { type: "color-text" } }])
        .sortBy([new TableSortByFieldStateBuilder().displayName("MFA coverage").desc(false), new TableSortByFieldStateBuilder().displayName("Users").desc(true)])
        .gridPos(size(24, 14)),
    )
    .withPanel(
      new TablePanel()
        .title("Tenants without any MFA policy, most users first")
        .noValue(NO_TENANT_SERIES)
        .description("Customer tenants with every MFA policy disabled, per partner tenant the $limit with the most users first: the ones to fix first, with the customer's name (the tenant id where no name is known). Needs per-tenant series: PSE_CUSTOMER_SERIES=all or noncompliant; empty with none.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(MOST_USERS_WITHOUT_POLICY, "A"))
        .withTarget(tableQuery(named(MOST_USERS_WITHOUT_POLICY), "name"))
        .transformations(
          merge({ exclude: [...COLUMNS_HIDDEN, "Value #name"], rename: { ...PARTNER_COLUMN, "Value #A": "Users" }, order: ["partner_tenant_id", "customer_name", "customer_tenant_id", "Value #A"] }),
        )
        .unit("none")
        .thresholds(thresholds(NEUTRAL))
        .sortBy([new TableSortByFieldStateBuilder().displayName("Users").desc(true)])
        .gridPos(size(24, 8)),
    );
  return withSelectedTenants(withGdapRelationships(withCustomerAlerts(dashboard))).build();
}

/** The picked tenants over time, named: the drill-down at the bottom. */
function withSelectedTenants(dashboard: DashboardBuilder): DashboardBuilder {
  return dashboard
    .withRow(new RowBuilder("Selected tenants over time"))
    .withPanel(
      timeseries()
        .title("Users and MFA-compliant users")
        .noValue(NO_TENANT_SERIES)
        .description("For the tenants picked in the Customer tenant variable (named where a name is known): users, MFA-compliant admins and MFA-compliant non-admins over time. With PSE_CUSTOMER_SERIES=noncompliant only tenants not fully compliant are listed (and a tenant's line ends when it becomes compliant); with none, no tenant.")
        .withTarget(query(picked(perTenant(tenantSel("partner_security_customer_users"))), `users ${PICKED}`))
        .withTarget(query(picked(perTenant(tenantSel("partner_security_customer_mfa_compliant_admins"))), `compliant admins ${PICKED}`, "B"))
        .withTarget(query(picked(perTenant(tenantSel("partner_security_customer_mfa_compliant_non_admins"))), `compliant non-admins ${PICKED}`, "C"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stateTimeline()
        .title("MFA policies")
        .noValue(NO_TENANT_SERIES)
        .description("For the tenants picked in the Customer tenant variable: each MFA policy over time, enabled (blue) or disabled (neutral; security defaults and Conditional Access exclude each other).")
        .withTarget(query(picked(byPartner(tenantSel("partner_security_customer_mfa_policy_enabled"), "customer_tenant_id, policy")), `{{policy}} ${PICKED}`))
        .unit("none")
        .mappings(POLICY_STATE)
        .colorScheme(fixedColor())
        .thresholds(thresholds(NEUTRAL))
        .gridPos(size(12, 8)),
    );
}

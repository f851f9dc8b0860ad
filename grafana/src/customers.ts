import { TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { CustomVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { ANY_POLICY, DATASOURCE, NEUTRAL, POLICY_STATE, TARGET_KEYS, ZERO_GOOD, baseDashboard, colouredBy, merge, query, sel, size, stat, tableQuery, thresholdColor, thresholds } from "./common.js";

const TENANT = 'customer_tenant_id=~"$customer_tenant_id"';
const TENANT_KEYS = `${TARGET_KEYS}, customer_tenant_id`;
const POLICIES: Array<[string, string, string]> = [
  ["security_defaults", "Security defaults", "E"],
  ["conditional_access", "Conditional Access", "F"],
  ["legacy_per_user", "Per-user MFA", "G"],
];
const COLUMNS_HIDDEN = ["Time", "cluster", "namespace", "job", "instance"];

function tenantSel(metric: string, extra = ""): string {
  return sel(metric, extra ? `${TENANT},${extra}` : TENANT);
}

/** Per tenant, with exactly the target labels and the tenant, so the table rows merge. */
function perTenant(expr: string): string {
  return `max by (${TENANT_KEYS}) (${expr})`;
}

const COVERAGE = perTenant(
  `(${sel("partner_security_customer_mfa_compliant_admins")} + ${sel("partner_security_customer_mfa_compliant_non_admins")}) / ${sel("partner_security_customer_users")}`,
);
/** The $limit tenants with the lowest MFA coverage: every column of the table is cut to them. */
const WORST = `bottomk($limit, ${COVERAGE})`;
/** Tenants where every MFA policy is disabled. */
const NO_POLICY = `${perTenant(sel("partner_security_customer_mfa_policy_enabled"))} == 0`;

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
  const tenant = new QueryVariableBuilder("customer_tenant_id")
    .label("Customer tenant")
    .description("Customer tenants to follow over time (the Selected tenants row)")
    .datasource(DATASOURCE)
    .query(`label_values(${sel("partner_security_customer_users")}, customer_tenant_id)`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(false);
  return baseDashboard(
    "partner-security-customers",
    "Partner security: customer tenants",
    "MFA posture of the partner's customer tenants, from partner-security-exporter: the worst first, and any tenant over time.",
    "PartnerSecurity(Customer|Exporter).*",
  )
    .withVariable(limit)
    .withVariable(tenant)
    .withRow(new RowBuilder("All customer tenants"))
    .withPanel(
      new TimeseriesPanel()
        .title("MFA-compliant vs non-compliant customer tenants")
        .description("Customer tenants whose admins are MFA-compliant, and the rest, over time (requirement mfaEnforcedForAdminsOfCustomers), per exporter.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_customer_tenants_mfa_compliant"), "compliant {{job}} {{instance}}"))
        .withTarget(query(`${sel("partner_security_customer_tenants")} - ${sel("partner_security_customer_tenants_mfa_compliant")}`, "non-compliant {{job}} {{instance}}", "B"))
        .unit("none")
        .min(0)
        .gridPos(size(16, 8)),
    )
    .withPanel(
      stat()
        .title("Tenants without any MFA policy")
        .description(
          "Customer tenants with security defaults, Conditional Access MFA and per-user MFA all disabled: green at 0, red from 1. A tenant that newly drops out fires PartnerSecurityCustomerTenantLostMfaPolicy.",
        )
        .withTarget(query(`count(${NO_POLICY}) or vector(0)`, "tenants"))
        .unit("none")
        .colorScheme(thresholdColor())
        .thresholds(thresholds(ZERO_GOOD))
        .gridPos(size(8, 8)),
    )
    .withPanel(
      new TablePanel()
        .title("Customer tenants, worst MFA coverage first")
        .description(
          "The $limit customer tenants with the lowest share of MFA-compliant users: compliant admins and non-admins, users, the share covered, and each MFA policy. A disabled policy is not a fault (security defaults and Conditional Access exclude each other; per-user MFA is being retired): only Any MFA policy = no is red.",
        )
        .datasource(DATASOURCE)
        .targets([
          worstColumn(sel("partner_security_customer_mfa_compliant_admins"), "A"),
          worstColumn(sel("partner_security_customer_mfa_compliant_non_admins"), "B"),
          worstColumn(sel("partner_security_customer_users"), "C"),
          tableQuery(WORST, "D"),
          ...POLICIES.map(([policy, , refId]) => worstColumn(sel("partner_security_customer_mfa_policy_enabled", `policy="${policy}"`), refId)),
          worstColumn(sel("partner_security_customer_mfa_policy_enabled"), "H"),
        ])
        .transformations(
          merge({
            exclude: COLUMNS_HIDDEN,
            rename: {
              customer_tenant_id: "Tenant",
              "Value #A": "Compliant admins",
              "Value #B": "Compliant non-admins",
              "Value #C": "Users",
              "Value #D": "MFA coverage",
              ...Object.fromEntries(POLICIES.map(([, title, refId]) => [`Value #${refId}`, title])),
              "Value #H": "Any MFA policy",
            },
            order: ["customer_tenant_id", "Value #D", "Value #A", "Value #B", "Value #C", "Value #H", "Value #E", "Value #F", "Value #G"],
          }),
        )
        .unit("none")
        .thresholds(thresholds(NEUTRAL))
        .filterable(true)
        .overrideByName("MFA coverage", [{ id: "unit", value: "percentunit" }, { id: "custom.cellOptions", value: { type: "color-background" } }, ...colouredBy([[null, "red"], [0.5, "orange"], [0.9, "green"]])])
        .overrideByName("Any MFA policy", [{ id: "mappings", value: ANY_POLICY }, { id: "custom.cellOptions", value: { type: "color-text" } }])
        .overrideByRegexp(POLICIES.map(([, title]) => title).join("|"), [{ id: "mappings", value: POLICY_STATE }, { id: "custom.cellOptions", value: { type: "color-text" } }])
        .sortBy([new TableSortByFieldStateBuilder().displayName("MFA coverage").desc(false)])
        .gridPos(size(24, 14)),
    )
    .withPanel(
      new TablePanel()
        .title("Tenants without any MFA policy")
        .description("Customer tenants with every MFA policy disabled, the $limit with the most users first: the ones to fix first.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(`topk($limit, ${perTenant(sel("partner_security_customer_users"))} and ${NO_POLICY})`, "A"))
        .transformations(merge({ exclude: COLUMNS_HIDDEN, rename: { customer_tenant_id: "Tenant", Value: "Users" }, order: ["customer_tenant_id", "Value"] }))
        .unit("none")
        .thresholds(thresholds(NEUTRAL))
        .sortBy([new TableSortByFieldStateBuilder().displayName("Users").desc(true)])
        .gridPos(size(24, 8)),
    )
    .withRow(new RowBuilder("Selected tenants over time"))
    .withPanel(
      new TimeseriesPanel()
        .title("Users and MFA-compliant users")
        .description("For the tenants picked in the Customer tenant variable: users, MFA-compliant admins and MFA-compliant non-admins over time.")
        .datasource(DATASOURCE)
        .withTarget(query(tenantSel("partner_security_customer_users"), "users {{customer_tenant_id}}"))
        .withTarget(query(tenantSel("partner_security_customer_mfa_compliant_admins"), "compliant admins {{customer_tenant_id}}", "B"))
        .withTarget(query(tenantSel("partner_security_customer_mfa_compliant_non_admins"), "compliant non-admins {{customer_tenant_id}}", "C"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("MFA policies")
        .description("For the tenants picked in the Customer tenant variable: each MFA policy, 1 enabled, 0 disabled.")
        .datasource(DATASOURCE)
        .withTarget(query(tenantSel("partner_security_customer_mfa_policy_enabled"), "{{policy}} {{customer_tenant_id}}"))
        .unit("none")
        .min(0)
        .max(1)
        .mappings(POLICY_STATE)
        .gridPos(size(12, 8)),
    )
    .build();
}

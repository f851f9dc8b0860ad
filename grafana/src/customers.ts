import { TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { CustomVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StateTimelinePanel } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
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
  now,
  query,
  sel,
  size,
  stat,
  tableQuery,
  thresholds,
} from "./common.js";

const TENANT = 'customer_tenant_id=~"$customer_tenant_id"';
const POLICIES: Array<[string, string, string]> = [
  ["security_defaults", "Security defaults", "E"],
  ["conditional_access", "Conditional Access", "F"],
  ["legacy_per_user", "Per-user MFA", "G"],
];
const COLUMNS_HIDDEN = ["Time", "cluster", "namespace", "job"];
const PARTNER_COLUMN = { partner_tenant_id: "Partner", customer_tenant_id: "Tenant" };

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
const WORST = `bottomk($limit, ${COVERAGE} - ${USERS} * 1e-12)`;
const POLICY_ENABLED = perTenant(sel("partner_security_customer_mfa_policy_enabled"));
/** Tenants where every MFA policy is disabled. */
const NO_POLICY = `${POLICY_ENABLED} == 0`;
/** A count of tenants per partner deployment, 0 (not empty) where none meets `condition`. */
function tenantsWhere(condition: string): string {
  return `sum by (${PARTNER_KEYS}) (${condition})`;
}

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
    .annotation(firingAlerts("Alerts of the picked tenants", "PartnerSecurityCustomer.*", TENANT))
    .withRow(new RowBuilder("All customer tenants"))
    .withPanel(
      new TimeseriesPanel()
        .title("MFA-compliant vs non-compliant customer tenants")
        .description("Customer tenants whose admins are MFA-compliant, and the rest, over time (requirement mfaEnforcedForAdminsOfCustomers), per partner tenant.")
        .datasource(DATASOURCE)
        .withTarget(query(byPartner(sel("partner_security_customer_tenants_mfa_compliant")), "compliant {{partner_tenant_id}}"))
        .withTarget(query(byPartner(`${sel("partner_security_customer_tenants")} - ${sel("partner_security_customer_tenants_mfa_compliant")}`), "non-compliant {{partner_tenant_id}}", "B"))
        .unit("none")
        .min(0)
        .gridPos(size(16, 8)),
    )
    .withPanel(
      stat()
        .title("Customer tenants at risk")
        .description(
          "Per partner tenant: customer tenants with security defaults, Conditional Access MFA and per-user MFA all disabled (green at 0, red from 1; a tenant that newly drops out fires PartnerSecurityCustomerTenantLostMfaPolicy), and customer tenants where fewer than half of the users are MFA-compliant (green at 0, orange from 1).",
        )
        .withTarget(now(tenantsWhere(`${POLICY_ENABLED} == bool 0`), "without any MFA policy {{partner_tenant_id}}"))
        .withTarget(now(tenantsWhere(`${COVERAGE} < bool 0.5`), "below 50% MFA coverage {{partner_tenant_id}}", "B"))
        .unit("none")
        .overrideByQuery("A", colouredBy(ZERO_GOOD))
        .overrideByQuery("B", colouredBy([[null, "green"], [1, "orange"]]))
        .gridPos(size(8, 8)),
    )
    .withPanel(
      new TablePanel()
        .title("Customer tenants, worst MFA coverage first")
        .description(
          "The $limit customer tenants with the lowest share of MFA-compliant users (at equal shares, the most users first): compliant admins and non-admins, users, the share covered, and each MFA policy. A disabled policy is not a fault (security defaults and Conditional Access exclude each other; per-user MFA is being retired): only Any MFA policy = no is red.",
        )
        .datasource(DATASOURCE)
        .targets([
          worstColumn(sel("partner_security_customer_mfa_compliant_admins"), "A"),
          worstColumn(sel("partner_security_customer_mfa_compliant_non_admins"), "B"),
          worstColumn(sel("partner_security_customer_users"), "C"),
          tableQuery(`${COVERAGE} and ${WORST}`, "D"),
          ...POLICIES.map(([policy, , refId]) => worstColumn(sel("partner_security_customer_mfa_policy_enabled", `policy="${policy}"`), refId)),
          worstColumn(sel("partner_security_customer_mfa_policy_enabled"), "H"),
        ])
        .transformations(
          merge({
            exclude: COLUMNS_HIDDEN,
            rename: {
              ...PARTNER_COLUMN,
              "Value #A": "Compliant admins",
              "Value #B": "Compliant non-admins",
              "Value #C": "Users",
              "Value #D": "MFA coverage",
              ...Object.fromEntries(POLICIES.map(([, title, refId]) => [`Value #${refId}`, title])),
              "Value #H": "Any MFA policy",
            },
            order: ["partner_tenant_id", "customer_tenant_id", "Value #D", "Value #A", "Value #B", "Value #C", "Value #H", "Value #E", "Value #F", "Value #G"],
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
        .title("Tenants without any MFA policy, most users first")
        .description("Customer tenants with every MFA policy disabled, the $limit with the most users first: the ones to fix first.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(`topk($limit, ${USERS} and ${NO_POLICY})`, "A"))
        .transformations(merge({ exclude: COLUMNS_HIDDEN, rename: { ...PARTNER_COLUMN, Value: "Users" }, order: ["partner_tenant_id", "customer_tenant_id", "Value"] }))
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
        .withTarget(query(perTenant(tenantSel("partner_security_customer_users")), "users {{customer_tenant_id}}"))
        .withTarget(query(perTenant(tenantSel("partner_security_customer_mfa_compliant_admins")), "compliant admins {{customer_tenant_id}}", "B"))
        .withTarget(query(perTenant(tenantSel("partner_security_customer_mfa_compliant_non_admins")), "compliant non-admins {{customer_tenant_id}}", "C"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new StateTimelinePanel()
        .title("MFA policies")
        .description("For the tenants picked in the Customer tenant variable: each MFA policy over time, enabled (blue) or disabled (neutral; security defaults and Conditional Access exclude each other).")
        .datasource(DATASOURCE)
        .withTarget(query(byPartner(tenantSel("partner_security_customer_mfa_policy_enabled"), "customer_tenant_id, policy"), "{{policy}} {{customer_tenant_id}}"))
        .unit("none")
        .mappings(POLICY_STATE)
        .colorScheme(fixedColor())
        .thresholds(thresholds(NEUTRAL))
        .gridPos(size(12, 8)),
    )
    .build();
}

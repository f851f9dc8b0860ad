import { TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, ENABLED_DISABLED, baseDashboard, merge, query, sel, tableQuery, thresholds, lastValue } from "./common.js";

const TENANT = 'customer_tenant_id=~"$customer_tenant_id"';
const POLICIES: Array<[string, string, string]> = [
  ["security_defaults", "Security defaults", "E"],
  ["conditional_access", "Conditional Access", "F"],
  ["legacy_per_user", "Per-user MFA", "G"],
];

function tenantSel(metric: string, extra = ""): string {
  return sel(metric, extra ? `${TENANT},${extra}` : TENANT);
}

/** One table column per MFA policy, without the policy label so the rows merge by tenant. */
function policyQuery(index: number) {
  const [policy, , refId] = POLICIES[index] ?? ["", "", ""];
  return tableQuery(`max without (policy) (${tenantSel("partner_security_customer_mfa_policy_enabled", `policy="${policy}"`)})`, refId);
}

/** Which customer tenants are not MFA-compliant, worst first, and how the count moves. */
export function customersDashboard(): Dashboard {
  const tenant = new QueryVariableBuilder("customer_tenant_id")
    .label("Customer tenant")
    .description("Drill into one or more customer tenants")
    .datasource(DATASOURCE)
    .query('label_values(partner_security_customer_users{job=~"$job",instance=~"$instance"}, customer_tenant_id)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".+");
  const noPolicy = `max by (job, instance, customer_tenant_id) (${tenantSel("partner_security_customer_mfa_policy_enabled")}) == 0`;
  return baseDashboard("partner-security-customers", "Partner security: customer tenants", "MFA posture of every customer tenant of the partner, from partner-security-exporter.")
    .withVariable(tenant)
    .withRow(new RowBuilder("All customer tenants"))
    .withPanel(
      new TimeseriesPanel()
        .title("MFA-compliant vs non-compliant customer tenants")
        .description("Customer tenants whose admins are MFA-compliant, and the rest, over time (requirement mfaEnforcedForAdminsOfCustomers).")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_customer_tenants_mfa_compliant"), "compliant {{instance}}"))
        .withTarget(query(`${sel("partner_security_customer_tenants")} - ${sel("partner_security_customer_tenants_mfa_compliant")}`, "non-compliant {{instance}}", "B"))
        .unit("none")
        .min(0)
        .gridPos({ h: 8, w: 16, x: 0, y: 1 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Tenants without any MFA policy")
        .description("Selected customer tenants with security defaults, Conditional Access MFA and per-user MFA all disabled. Any fires PartnerSecurityCustomerTenantsWithoutMfaPolicy.")
        .datasource(DATASOURCE)
        .withTarget(query(`count(${noPolicy}) or vector(0)`, "tenants"))
        .unit("none")
        .thresholds(thresholds([[null, "green"], [1, "red"]]))
        .gridPos({ h: 8, w: 8, x: 16, y: 1 }),
    )
    .withPanel(
      new TablePanel()
        .title("Customer tenants, worst MFA coverage first")
        .description("Every selected customer tenant: MFA-compliant admins and non-admins, users, the share of users covered, and each MFA policy. Sort by any column; filter the policy columns with the funnel in their headers.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(tenantSel("partner_security_customer_mfa_compliant_admins"), "A"))
        .withTarget(tableQuery(tenantSel("partner_security_customer_mfa_compliant_non_admins"), "B"))
        .withTarget(tableQuery(tenantSel("partner_security_customer_users"), "C"))
        .withTarget(
          tableQuery(
            `(${tenantSel("partner_security_customer_mfa_compliant_admins")} + ${tenantSel("partner_security_customer_mfa_compliant_non_admins")}) / ${tenantSel("partner_security_customer_users")}`,
            "D",
          ),
        )
        .withTarget(policyQuery(0))
        .withTarget(policyQuery(1))
        .withTarget(policyQuery(2))
        .transformations(
          merge({
            exclude: ["Time", "job", "instance"],
            rename: {
              customer_tenant_id: "Tenant",
              "Value #A": "Compliant admins",
              "Value #B": "Compliant non-admins",
              "Value #C": "Users",
              "Value #D": "MFA coverage",
              ...Object.fromEntries(POLICIES.map(([, title, refId]) => [`Value #${refId}`, title])),
            },
            order: ["customer_tenant_id", "Value #D", "Value #A", "Value #B", "Value #C", "Value #E", "Value #F", "Value #G"],
          }),
        )
        .unit("none")
        .filterable(true)
        .overrideByName("MFA coverage", [
          { id: "unit", value: "percentunit" },
          { id: "custom.cellOptions", value: { type: "color-background" } },
          { id: "thresholds", value: { mode: "absolute", steps: [{ value: null, color: "red" }, { value: 0.5, color: "orange" }, { value: 0.9, color: "green" }] } },
        ])
        .overrideByRegexp("Security defaults|Conditional Access|Per-user MFA", [{ id: "mappings", value: ENABLED_DISABLED }, { id: "custom.cellOptions", value: { type: "color-text" } }])
        .sortBy([new TableSortByFieldStateBuilder().displayName("MFA coverage").desc(false)])
        .gridPos({ h: 14, w: 24, x: 0, y: 9 }),
    )
    .withPanel(
      new TablePanel()
        .title("Tenants without any MFA policy")
        .description("The selected customer tenants with every MFA policy disabled: the ones to fix first.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(noPolicy, "A"))
        .transformations(merge({ exclude: ["Time", "job", "Value"], rename: { customer_tenant_id: "Tenant", instance: "Exporter" } }))
        .unit("none")
        .gridPos({ h: 8, w: 24, x: 0, y: 23 }),
    )
    .withRow(new RowBuilder("Selected tenant over time"))
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
        .gridPos({ h: 8, w: 12, x: 0, y: 32 }),
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
        .mappings(ENABLED_DISABLED)
        .gridPos({ h: 8, w: 12, x: 12, y: 32 }),
    )
    .build();
}

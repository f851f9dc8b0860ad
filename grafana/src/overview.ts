import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GaugePanel } from "@grafana/grafana-foundation-sdk/gauge";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, ENABLED_DISABLED, baseDashboard, merge, query, sel, tableQuery, thresholds, valueText, lastValue } from "./common.js";

const REQUIREMENT_KEYS = "job, instance, requirement_id, requirement_type";

/** Where the score stands, how it moved, which requirements cost points and what to do about each. */
export function overviewDashboard(): Dashboard {
  return baseDashboard("partner-security-overview", "Partner security score overview", "The Microsoft partner security score, its requirements and the partner tenant's MFA posture, from partner-security-exporter.")
    .withRow(new RowBuilder("Score"))
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Score")
        .description("Current partner security score and its maximum (Graph securityScore.currentScore and maxScore).")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_score"), "score"))
        .withTarget(query(sel("partner_security_score_max"), "max", "B"))
        .unit("none")
        .decimals(1)
        .gridPos({ h: 6, w: 6, x: 0, y: 1 }),
    )
    .withPanel(
      new GaugePanel()
        .reduceOptions(lastValue())
        .title("Score, % of max")
        .description("Partner security score as a share of the maximum. The PartnerSecurityScoreLow alert fires below 70%.")
        .datasource(DATASOURCE)
        .withTarget(query(`${sel("partner_security_score")} / ${sel("partner_security_score_max")}`, "{{instance}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(thresholds([[null, "red"], [0.7, "orange"], [0.9, "green"]]))
        .gridPos({ h: 6, w: 6, x: 6, y: 1 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Last checked by Microsoft")
        .description("When Microsoft last evaluated the score (lastRefreshDateTime) and when it last changed (updatedDateTime).")
        .datasource(DATASOURCE)
        .withTarget(query(`${sel("partner_security_score_last_refresh_timestamp_seconds")} * 1000`, "checked"))
        .withTarget(query(`${sel("partner_security_score_updated_timestamp_seconds")} * 1000`, "changed", "B"))
        .unit("dateTimeFromNow")
        .gridPos({ h: 6, w: 6, x: 12, y: 1 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Compliant requirements (latest history entry)")
        .description("Compliant and total requirements in the newest history entry, and when that entry was made.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_history_compliant_requirements"), "compliant"))
        .withTarget(query(sel("partner_security_history_requirements"), "total", "B"))
        .withTarget(query(`${sel("partner_security_history_timestamp_seconds")} * 1000`, "entry date", "C"))
        .unit("none")
        .overrideByName("entry date", [{ id: "unit", value: "dateTimeAsLocalNoDateIfToday" }])
        .gridPos({ h: 6, w: 6, x: 18, y: 1 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Score over time")
        .description("How the score moved: the current score, its maximum, and the score of the latest daily history entry.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_score"), "score {{instance}}"))
        .withTarget(query(sel("partner_security_score_max"), "max {{instance}}", "B"))
        .withTarget(query(sel("partner_security_history_score"), "history {{instance}}", "C"))
        .unit("none")
        .min(0)
        .gridPos({ h: 8, w: 24, x: 0, y: 7 }),
    )
    .withRow(new RowBuilder("Requirements"))
    .withPanel(
      new TablePanel()
        .title("Requirements")
        .description("Every security requirement: points against max, compliance (red costs points), lifecycle state, last update, and the Partner Center links to fix it (Action) or read about it (Help).")
        .datasource(DATASOURCE)
        .withTarget(tableQuery(sel("partner_security_requirement_score"), "A"))
        .withTarget(tableQuery(sel("partner_security_requirement_score_max"), "B"))
        .withTarget(
          tableQuery(
            `2 * max without (status) (${sel("partner_security_requirement_compliance_status", 'status="compliant"')}) + max without (status) (${sel("partner_security_requirement_compliance_status", 'status="noncompliant"')})`,
            "C",
          ),
        )
        .withTarget(
          tableQuery(`2 * max without (state) (${sel("partner_security_requirement_state", 'state="active"')}) + max without (state) (${sel("partner_security_requirement_state", 'state="preview"')})`, "D"),
        )
        .withTarget(tableQuery(`${sel("partner_security_requirement_updated_timestamp_seconds")} * 1000`, "E"))
        .withTarget(tableQuery(`max by (${REQUIREMENT_KEYS}, action_url, help_url) (${sel("partner_security_requirement_info")})`, "F"))
        .transformations(
          merge({
            exclude: ["Time", "job", "instance", "requirement_id", "Value #F"],
            rename: { requirement_type: "Requirement", "Value #A": "Score", "Value #B": "Max", "Value #C": "Compliance", "Value #D": "State", "Value #E": "Updated", action_url: "Action", help_url: "Help" },
            order: ["requirement_type", "Value #C", "Value #A", "Value #B", "Value #D", "Value #E", "action_url", "help_url"],
          }),
        )
        .unit("none")
        .overrideByName("Compliance", [
          { id: "mappings", value: valueText({ "2": ["compliant", "green"], "1": ["noncompliant", "red"], "0": ["unknown", "gray"] }) },
          { id: "custom.cellOptions", value: { type: "color-background" } },
        ])
        .overrideByName("State", [{ id: "mappings", value: valueText({ "2": ["active", "blue"], "1": ["preview", "purple"], "0": ["unknown", "gray"] }) }])
        .overrideByName("Updated", [{ id: "unit", value: "dateTimeFromNow" }])
        .overrideByName("Action", [{ id: "links", value: [{ title: "Fix in Partner Center", url: "${__value.raw}", targetBlank: true }] }])
        .overrideByName("Help", [{ id: "links", value: [{ title: "About this requirement", url: "${__value.raw}", targetBlank: true }] }])
        .sortBy([new TableSortByFieldStateBuilder().displayName("Compliance").desc(false)])
        .gridPos({ h: 9, w: 24, x: 0, y: 16 }),
    )
    .withRow(new RowBuilder("Partner tenant"))
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Partner admins and users with MFA")
        .description("Admins and users of the partner tenant, how many have MFA, and how many are required to use it but do not (requirement mfaEnforcedForAdmins). Any admin not using MFA fires PartnerSecurityAdminsWithoutMfa.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_admins"), "admins"))
        .withTarget(query(sel("partner_security_admins_mfa_enabled"), "admins with MFA", "B"))
        .withTarget(query(sel("partner_security_admins_required_not_using_mfa"), "admins without required MFA", "C"))
        .withTarget(query(sel("partner_security_users"), "users", "D"))
        .withTarget(query(sel("partner_security_users_mfa_enabled"), "users with MFA", "E"))
        .withTarget(query(sel("partner_security_users_required_not_using_mfa"), "users without required MFA", "F"))
        .unit("none")
        .overrideByRegexp(".*without required MFA", [{ id: "thresholds", value: { mode: "absolute", steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] } }])
        .gridPos({ h: 6, w: 12, x: 0, y: 26 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Partner tenant MFA policies")
        .description("Whether security defaults, a Conditional Access MFA policy and legacy per-user MFA are enabled in the partner tenant.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_mfa_policy_enabled"), "{{policy}}"))
        .mappings(ENABLED_DISABLED)
        .unit("none")
        .gridPos({ h: 6, w: 12, x: 12, y: 26 }),
    )
    .withPanel(
      new GaugePanel()
        .reduceOptions(lastValue())
        .title("Average security alert response time")
        .description("Average time to respond to security alerts over the past 30 days (requirement securityAlertsPromptlyResolved), against the 24h limit of the PartnerSecurityAlertResponseSlow alert.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_alert_average_response_time_seconds"), "{{instance}}"))
        .unit("s")
        .min(0)
        .max(172_800)
        .thresholds(thresholds([[null, "green"], [43_200, "orange"], [86_400, "red"]]))
        .gridPos({ h: 6, w: 8, x: 0, y: 32 }),
    )
    .withPanel(
      new GaugePanel()
        .reduceOptions(lastValue())
        .title("Customers with a spending budget")
        .description("Share of customers with Azure subscriptions that have a spending budget set (requirement spendingBudgetSetForCustomerAzureSubscriptions).")
        .datasource(DATASOURCE)
        .withTarget(query(`${sel("partner_security_spending_budget_customers_with_budget")} / ${sel("partner_security_spending_budget_customers")}`, "{{instance}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(thresholds([[null, "red"], [0.8, "orange"], [1, "green"]]))
        .gridPos({ h: 6, w: 8, x: 8, y: 32 }),
    )
    .withPanel(
      new GaugePanel()
        .reduceOptions(lastValue())
        .title("MFA-compliant customer tenants")
        .description("Share of customer tenants whose admins are MFA-compliant (requirement mfaEnforcedForAdminsOfCustomers). The Customer tenants dashboard has the detail.")
        .datasource(DATASOURCE)
        .withTarget(query(`${sel("partner_security_customer_tenants_mfa_compliant")} / ${sel("partner_security_customer_tenants")}`, "{{instance}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(thresholds([[null, "red"], [0.9, "orange"], [1, "green"]]))
        .gridPos({ h: 6, w: 8, x: 16, y: 32 }),
    )
    .build();
}

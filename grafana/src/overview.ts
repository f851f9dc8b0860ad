import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GaugePanel } from "@grafana/grafana-foundation-sdk/gauge";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { TableSortByFieldStateBuilder } from "@grafana/grafana-foundation-sdk/common";
import {
  ANY_POLICY,
  DATASOURCE,
  MICROSOFT_AGE,
  NEUTRAL,
  PARTNER_KEYS,
  POLICY_STATE,
  SCORE_RATIO,
  ZERO_GOOD,
  baseDashboard,
  byPartner,
  colouredBy,
  lastValue,
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
  withPartner,
} from "./common.js";
import type { Steps } from "./common.js";
import { withSecurityAlerts } from "./security-alerts.js";

const REQUIREMENT_KEYS = `${PARTNER_KEYS}, requirement_id, requirement_type`;
/** Where Graph gives a requirement no link, the cell still leads somewhere useful. */
const SCORE_DOCS = "https://learn.microsoft.com/partner-center/security/partner-security-score";

/** One column of the requirements table: the same labels on every query, so the rows merge. */
function requirementColumn(expr: string, refId: string) {
  return tableQuery(`max by (${REQUIREMENT_KEYS}) (${withPartner(expr)})`, refId);
}

/** `expr` with an empty `label` replaced by the partner security score documentation. */
function linkOrDocs(expr: string, label: string): string {
  return `label_replace(${expr}, "${label}", "${SCORE_DOCS}", "${label}", "")`;
}

/** `numerator / denominator`, where a denominator of 0 gives no value instead of NaN or +Inf. */
function share(numerator: string, denominator: string): string {
  return `${numerator} / (${denominator} > 0)`;
}

/** A gauge of the latest value, coloured by `steps`. */
function gauge(steps: Steps): GaugePanel {
  return new GaugePanel().reduceOptions(lastValue()).datasource(DATASOURCE).colorScheme(thresholdColor()).thresholds(thresholds(steps));
}

/** Where the score stands, how it moved, which requirements cost points and what to do about each. */
export function overviewDashboard(): Dashboard {
  const dashboard = baseDashboard("partner-security-overview", "Partner security score overview", "The Microsoft partner security score, its requirements and the partner tenant's MFA posture, from partner-security-exporter.", "PartnerSecurity.*")
    .withRow(new RowBuilder("Score"))
    .withPanel(
      stat()
        .title("Score")
        .description("Current partner security score and its maximum (Graph securityScore.currentScore and maxScore). Neutral: Score, % of max says how good it is.")
        .withTarget(perPartner(sel("partner_security_score"), "score {{partner_tenant_id}}"))
        .withTarget(perPartner(sel("partner_security_score_max"), "max {{partner_tenant_id}}", "B"))
        .unit("none")
        .decimals(1)
        .gridPos(size(6, 6)),
    )
    .withPanel(
      gauge(SCORE_RATIO)
        .title("Score, % of max")
        .description("Partner security score as a share of the maximum: red below 70% (the PartnerSecurityScoreLow alert's default threshold), orange below 90%, green from 90%.")
        .withTarget(perPartner(share(sel("partner_security_score"), sel("partner_security_score_max")), "{{partner_tenant_id}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .gridPos(size(6, 6)),
    )
    .withPanel(
      stat()
        .title("Last checked by Microsoft")
        .description(
          "Time since Microsoft last evaluated the score (lastRefreshDateTime): green up to 2 days, yellow up to a week, red beyond (Microsoft evaluates daily). And time since the score last changed (updatedDateTime), neutral: a steady score is no fault.",
        )
        .withTarget(perPartner(`time() - ${sel("partner_security_score_last_refresh_timestamp_seconds")}`, "checked, ago {{partner_tenant_id}}"))
        .withTarget(perPartner(`time() - ${sel("partner_security_score_updated_timestamp_seconds")}`, "changed, ago {{partner_tenant_id}}", "B"))
        .unit("s")
        .decimals(1)
        .overrideByQuery("A", colouredBy(MICROSOFT_AGE))
        .gridPos(size(6, 6)),
    )
    .withPanel(
      stat()
        .title("Compliant requirements (latest history entry)")
        .description("Compliant and total requirements in the newest daily history entry (neutral counts), and the age of that entry: green up to 2 days, yellow up to a week, red beyond.")
        .withTarget(perPartner(sel("partner_security_history_compliant_requirements"), "compliant {{partner_tenant_id}}"))
        .withTarget(perPartner(sel("partner_security_history_requirements"), "total {{partner_tenant_id}}", "B"))
        .withTarget(perPartner(`time() - ${sel("partner_security_history_timestamp_seconds")}`, "entry age {{partner_tenant_id}}", "C"))
        .unit("none")
        .overrideByQuery("C", [{ id: "unit", value: "s" }, { id: "decimals", value: 1 }, ...colouredBy(MICROSOFT_AGE)])
        .gridPos(size(6, 6)),
    )
    .withPanel(
      timeseries()
        .title("Score over time")
        .description("How the score moved: the current score, its maximum, and the score of the latest daily history entry, per partner tenant. Firing PartnerSecurity alerts are marked as annotations.")
        .withTarget(query(byPartner(sel("partner_security_score")), "score {{partner_tenant_id}}"))
        .withTarget(query(byPartner(sel("partner_security_score_max")), "max {{partner_tenant_id}}", "B"))
        .withTarget(query(byPartner(sel("partner_security_history_score")), "history {{partner_tenant_id}}", "C"))
        .unit("none")
        .min(0)
        .gridPos(size(24, 8)),
    )
    .withRow(new RowBuilder("Requirements"))
    .withPanel(
      new TablePanel()
        .title("Requirements")
        .description("Every security requirement: points against max, compliance (red costs points), lifecycle state, last update, and the Partner Center links to fix it (Action) or read about it (Help).")
        .datasource(DATASOURCE)
        .withTarget(requirementColumn(sel("partner_security_requirement_score"), "A"))
        .withTarget(requirementColumn(sel("partner_security_requirement_score_max"), "B"))
        .withTarget(
          requirementColumn(
            `2 * max without (status) (${sel("partner_security_requirement_compliance_status", 'status="compliant"')}) + max without (status) (${sel("partner_security_requirement_compliance_status", 'status="noncompliant"')})`,
            "C",
          ),
        )
        .withTarget(
          requirementColumn(`2 * max without (state) (${sel("partner_security_requirement_state", 'state="active"')}) + max without (state) (${sel("partner_security_requirement_state", 'state="preview"')})`, "D"),
        )
        .withTarget(requirementColumn(`${sel("partner_security_requirement_updated_timestamp_seconds")} * 1000`, "E"))
        .withTarget(tableQuery(linkOrDocs(linkOrDocs(`max by (${REQUIREMENT_KEYS}, action_url, help_url) (${withPartner(sel("partner_security_requirement_info"))})`, "action_url"), "help_url"), "F"))
        .transformations(
          merge({
            exclude: ["Time", "cluster", "namespace", "job", "requirement_id", "Value #F"],
            rename: {
              partner_tenant_id: "Partner",
              requirement_type: "Requirement",
              "Value #A": "Score",
              "Value #B": "Max",
              "Value #C": "Compliance",
              "Value #D": "State",
              "Value #E": "Updated",
              action_url: "Action",
              help_url: "Help",
            },
            order: ["partner_tenant_id", "requirement_type", "Value #C", "Value #A", "Value #B", "Value #D", "Value #E", "action_url", "help_url"],
          }),
        )
        .unit("none")
        .thresholds(thresholds(NEUTRAL))
        .overrideByName("Compliance", [
          { id: "mappings", value: valueText({ "2": ["compliant", "green"], "1": ["noncompliant", "red"], "0": ["unknown", "gray"] }) },
          { id: "custom.cellOptions", value: { type: "color-background" } },
        ])
        .overrideByName("State", [{ id: "mappings", value: valueText({ "2": ["active", "blue"], "1": ["preview", "purple"], "0": ["unknown", "gray"] }) }])
        .overrideByName("Updated", [{ id: "unit", value: "dateTimeFromNow" }])
        .overrideByName("Action", [{ id: "links", value: [{ title: "Fix in Partner Center", url: "${__value.raw}", targetBlank: true }] }])
        .overrideByName("Help", [{ id: "links", value: [{ title: "About this requirement", url: "${__value.raw}", targetBlank: true }] }])
        .sortBy([new TableSortByFieldStateBuilder().displayName("Compliance").desc(false)])
        .gridPos(size(24, 9)),
    )
    .withRow(new RowBuilder("Partner tenant"))
    .withPanel(
      stat()
        .title("Partner admins and users with MFA")
        .description(
          "Admins and users of the partner tenant and how many have MFA (neutral counts), and how many are required to use MFA but do not (requirement mfaEnforcedForAdmins): green at 0, red from 1. Any admin not using MFA fires PartnerSecurityAdminsWithoutMfa.",
        )
        .withTarget(perPartner(sel("partner_security_admins"), "admins {{partner_tenant_id}}"))
        .withTarget(perPartner(sel("partner_security_admins_mfa_enabled"), "admins with MFA {{partner_tenant_id}}", "B"))
        .withTarget(perPartner(sel("partner_security_admins_required_not_using_mfa"), "admins without required MFA {{partner_tenant_id}}", "C"))
        .withTarget(perPartner(sel("partner_security_users"), "users {{partner_tenant_id}}", "D"))
        .withTarget(perPartner(sel("partner_security_users_mfa_enabled"), "users with MFA {{partner_tenant_id}}", "E"))
        .withTarget(perPartner(sel("partner_security_users_required_not_using_mfa"), "users without required MFA {{partner_tenant_id}}", "F"))
        .unit("none")
        .overrideByQuery("C", colouredBy(ZERO_GOOD))
        .overrideByQuery("F", colouredBy(ZERO_GOOD))
        .gridPos(size(12, 6)),
    )
    .withPanel(
      stat()
        .title("Partner tenant MFA policies")
        .description(
          "Whether security defaults, a Conditional Access MFA policy and legacy per-user MFA are enabled in the partner tenant. Disabled is not a fault (security defaults and Conditional Access exclude each other; Microsoft asks partners to retire per-user MFA): only no MFA policy at all is red.",
        )
        .withTarget(perPartner(sel("partner_security_mfa_policy_enabled"), "{{policy}} {{partner_tenant_id}}", "A", "policy"))
        .withTarget(perPartner(sel("partner_security_mfa_policy_enabled"), "any MFA policy {{partner_tenant_id}}", "B"))
        .mappings(POLICY_STATE)
        .unit("none")
        .overrideByQuery("B", [{ id: "mappings", value: ANY_POLICY }, ...colouredBy([[null, "red"], [1, "green"]])])
        .gridPos(size(12, 6)),
    )
    .withPanel(
      gauge([[null, "green"], [43_200, "orange"], [86_400, "red"]])
        .title("Average security alert response time")
        .description(
          "Average time to respond to security alerts over the past 30 days (requirement securityAlertsPromptlyResolved): green below 12h, orange below the 24h limit of the PartnerSecurityAlertResponseSlow alert, red beyond. The Security alerts row below shows the alerts open now, which move this average.",
        )
        .withTarget(perPartner(sel("partner_security_alert_average_response_time_seconds"), "{{partner_tenant_id}}"))
        .unit("s")
        .min(0)
        .max(172_800)
        .gridPos(size(8, 6)),
    )
    .withPanel(
      gauge([[null, "red"], [0.8, "orange"], [1, "green"]])
        .title("Customers with a spending budget")
        .description("Share of the partner's customers (as Graph counts them for this requirement) that have a spending budget set on their Azure subscriptions (requirement spendingBudgetSetForCustomerAzureSubscriptions): green at 100%, orange from 80%, red below.")
        .withTarget(perPartner(share(sel("partner_security_spending_budget_customers_with_budget"), sel("partner_security_spending_budget_customers")), "{{partner_tenant_id}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .gridPos(size(8, 6)),
    )
    .withPanel(
      gauge([[null, "red"], [0.9, "orange"], [1, "green"]])
        .title("MFA-compliant customer tenants")
        .description(
          "Share of customer tenants whose admins are MFA-compliant (requirement mfaEnforcedForAdminsOfCustomers): green at 100%, orange from 90%, red below. The Customer tenants dashboard has the detail.",
        )
        .withTarget(perPartner(share(sel("partner_security_customer_tenants_mfa_compliant"), sel("partner_security_customer_tenants")), "{{partner_tenant_id}}"))
        .unit("percentunit")
        .min(0)
        .max(1)
        .gridPos(size(8, 6)),
    );
  return withSecurityAlerts(dashboard).build();
}

import type { AlertName } from "./config.js";
import { GAP, indent, sel, setting, t } from "./text.js";
import type { Param, Text } from "./text.js";

export interface RecordingRule {
  readonly record: string;
  readonly expr: Text;
  /** Generated only while one of these alerts is enabled: nothing else reads it. */
  readonly usedBy: readonly AlertName[];
}

export interface AlertingRule {
  readonly alert: AlertName;
  readonly expr: Text;
  readonly summary: Text;
  readonly description: Text;
  /** Annotations beside summary, description and runbook_url. */
  readonly annotations?: Readonly<Record<string, Text>>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export function isAlert(rule: Rule): rule is AlertingRule {
  return "alert" in rule;
}

const INFO = "partner_security_exporter_partner_info";
/** Labels that change when the pod does (prometheus-operator's target labels); the partner identity is the rest. */
const POD_LABELS = "instance, pod, container, endpoint";
/** The partner tenant's name, when the exporter knows it. */
const PARTNER = "{{ with $labels.partner_tenant_id }} of partner tenant {{ . }}{{ end }}";
/** Matchers (printf verbs and their arguments) for annotation queries: job, namespace and service identify the exporter. */
const TARGET_MATCHERS = "job=%q,namespace=%q,service=%q";
const TARGET_ARGS = ["$labels.job", "$labels.namespace", "$labels.service"];

/** Names the partner (from the info metric, joined while `instance` still tells exporters apart), then drops the per-pod labels. */
function partnerLevel(expr: Text, { aggregate = "max", without = POD_LABELS } = {}): Text {
  return t`${aggregate} without (${without}) (
  ${indent(expr, 2)}
  * on (job, instance) group_left (partner_tenant_id) ${sel(INFO)}
)`;
}

/** A recorded partner-level series, its last value within the gap tolerance: a reschedule's gap neither resolves nor resets. */
function bridged(record: string, offset?: Param): Text {
  return offset ? t`last_over_time(${sel(record)}[${GAP}] offset ${offset})` : t`last_over_time(${sel(record)}[${GAP}])`;
}

/** One label of the first series an instant query returns, between `before` and `after`; nothing at all when there is none or it is empty. */
function queryLabel(query: string, args: readonly string[], label: string, before = "", after = ""): string {
  return `{{ with printf "${query}"${args.map((arg) => ` ${arg}`).join("")} | query }}{{ with . | first | label "${label}" }}${before}{{ . }}${after}{{ end }}{{ end }}`;
}

/** The customer's info series of the alert's exporter (job, namespace, service) and tenant. */
const CUSTOMER_INFO_QUERY = `partner_security_customer_info{${TARGET_MATCHERS},customer_tenant_id=%q}`;
const CUSTOMER_INFO_ARGS = [...TARGET_ARGS, "$labels.customer_tenant_id"];

/**
 * Opens an annotation that names a customer: sets `$customer` to "<name> (tenant <id>)", the name
 * from partner_security_customer_info, or to "tenant <id>" where no name is known. A name is never a
 * label: a renamed customer changes the annotation, not the alert. Prints nothing itself.
 */
const CUSTOMER_VAR = `{{ $customer := printf "tenant %s" $labels.customer_tenant_id }}{{ with printf "${CUSTOMER_INFO_QUERY}"${CUSTOMER_INFO_ARGS.map((arg) => ` ${arg}`).join("")} | query }}{{ with . | first | label "customer_name" }}{{ $customer = printf "%s (tenant %s)" . $labels.customer_tenant_id }}{{ end }}{{ end }}`;
/** The customer as CUSTOMER_VAR set it. */
const CUSTOMER = "{{ $customer }}";

/** The `customer_name` annotation: the name alone, empty where none is known (for Alertmanager templates). */
function customerNameAnnotation(): Text {
  return [queryLabel(CUSTOMER_INFO_QUERY, CUSTOMER_INFO_ARGS, "customer_name")];
}

/** `vector(<expr with %f for the alert's value>)` queried, the result humanized as a duration: templates have no arithmetic. */
function valueDuration(expr: string): string {
  return `{{ with printf "vector(${expr})" $value | query }}{{ . | first | value | humanizeDuration }}{{ end }}`;
}

/** The time left of a GDAP relationship, from the alert's value (seconds to its end; negative past it, while Graph reports it active or expiring). */
const TIME_LEFT = `{{ if ge $value 0.0 }}ends in {{ $value | humanizeDuration }}{{ else }}has passed its end date (${valueDuration("0 - (%f)")} ago){{ end }}`;

/** The GDAP statuses of a relationship that has ended (partner_security_gdap_relationships' `status`; `expiring` still has its end-timestamp series). */
export const GDAP_ENDED_STATUSES = "expired|terminationRequested|terminating|terminated";

/** Microsoft's response target for partner security alerts. */
const RESPONSE_TARGET_HOURS = 24;

/** The severity (Graph's) of the customer's oldest open security alert, between `before` and `after`; nothing where the query finds none. */
function oldestAlertSeverity(before = "", after = ""): string {
  return queryLabel(
    `bottomk(1, partner_security_customer_alerts_oldest_active_detected_timestamp_seconds{${TARGET_MATCHERS},customer_tenant_id=%q})`,
    CUSTOMER_INFO_ARGS,
    "severity",
    before,
    after,
  );
}

/** "the 24h response target is near (5h 40m 0s left)" or, past it, "... was missed by 3d 0h 0m 0s", from the alert's value (an age in seconds). */
const RESPONSE_TARGET = `{{ if lt $value ${RESPONSE_TARGET_HOURS * 3600}.0 }}the ${RESPONSE_TARGET_HOURS}h response target is near (${valueDuration(`${RESPONSE_TARGET_HOURS * 3600} - %f`)} left){{ else }}the ${RESPONSE_TARGET_HOURS}h response target was missed by ${valueDuration(`%f - ${RESPONSE_TARGET_HOURS * 3600}`)}{{ end }}`;

/** "3 high-severity security alerts open", counted by partner_security_customer_alerts_active for the alert's customer. */
const HIGH_ALERTS_OPEN = `{{ with printf "partner_security_customer_alerts_active{${TARGET_MATCHERS},customer_tenant_id=%q,severity=%q}"${CUSTOMER_INFO_ARGS.map((arg) => ` ${arg}`).join("")} "high" | query }}{{ $open := . | first | value }}{{ $open | printf "%.0f" }} high-severity security alert{{ if ne $open 1.0 }}s{{ end }} open{{ else }}high-severity security alerts open{{ end }}`;

/** The URL partner_security_requirement_info has for the alert's requirement. */
function requirementUrl(label: "action_url" | "help_url", before = "", after = ""): string {
  return queryLabel(`partner_security_requirement_info{${TARGET_MATCHERS},requirement_id=%q}`, [...TARGET_ARGS, "$labels.requirement_id"], label, before, after);
}

const SCORE = "partner:partner_security_score:max";
const SCORE_RATIO = "partner:partner_security_score_per_max:ratio";
const NONCOMPLIANT = "partner_requirement:partner_security_requirement_noncompliant:max";
const ADMINS_NO_MFA = "partner:partner_security_admins_required_not_using_mfa:max";
const TENANT_POLICY = "partner_customer:partner_security_customer_mfa_policy_enabled:max";
const TENANT_COVERAGE = "partner_customer:partner_security_customer_mfa_coverage:ratio";
const TENANTS_COMPLIANT = "partner:partner_security_customer_tenants_mfa_compliant_per_total:ratio";
const TENANTS_WITHOUT_POLICY = "partner:partner_security_customer_insight_tenants_without_mfa_policy:max";
const RESPONSE_TIME = "partner:partner_security_alert_average_response_time_seconds:max";
const GDAP_END = "partner_relationship:partner_security_gdap_relationship_not_auto_extended_end_timestamp_seconds:max";
const CUSTOMER_OLDEST_ALERT = "partner_customer:partner_security_customer_alerts_oldest_active_detected_timestamp_seconds:min";
const CUSTOMER_OLDEST_HIGH_ALERT = "partner_customer:partner_security_customer_high_alerts_oldest_active_detected_timestamp_seconds:min";
const ENDPOINT_AVAILABLE = "partner_endpoint:partner_security_exporter_endpoint_available:max";
const VALIDATION_WARNINGS = "partner:partner_security_exporter_validation_warnings:max";

const score: RuleGroup = {
  name: "partner-security-score",
  rules: [
    { record: SCORE, usedBy: ["PartnerSecurityScoreDropped"], expr: partnerLevel(sel("partner_security_score")) },
    {
      record: SCORE_RATIO,
      usedBy: ["PartnerSecurityScoreLow"],
      expr: partnerLevel(t`(${sel("partner_security_score")} / (${sel("partner_security_score_max")} > 0))`),
    },
    {
      alert: "PartnerSecurityScoreLow",
      expr: t`${bridged(SCORE_RATIO)} < ${setting("threshold")}`,
      summary: t`Partner security score is {{ $value | humanizePercentage }} of max`,
      description: t`The partner security score${PARTNER} is {{ $value | humanizePercentage }} of the maximum, below {{ ${setting("threshold")} | humanizePercentage }}. Open the requirements that cost points (PartnerSecurityRequirementNoncompliant alerts, or the overview dashboard) and fix them in Partner Center.`,
    },
    {
      alert: "PartnerSecurityScoreDropped",
      // The 7d maximum of one recorded series per partner: cheap, and a reschedule does not reset it.
      expr: t`max_over_time(${sel(SCORE)}[${setting("window")}]) - ${bridged(SCORE)} >= ${setting("points")}`,
      summary: t`Partner security score dropped by {{ $value }} points within ${setting("window")}`,
      description: t`The partner security score${PARTNER} is {{ $value }} points below its highest value of the last ${setting("window")}. A requirement has probably become noncompliant; see the PartnerSecurityRequirementNoncompliant alerts for which one and how to fix it. This alert ends when the score recovers, and also once the drop is ${setting("window")} old with the score still down: a resolved notification then means the drop is older than ${setting("window")}, not that it is fixed. The level is watched by PartnerSecurityScoreLow, PartnerSecurityRequirementNoncompliant and the overview dashboard.`,
    },
  ],
};

const requirements: RuleGroup = {
  name: "partner-security-requirements",
  rules: [
    {
      record: NONCOMPLIANT,
      usedBy: ["PartnerSecurityRequirementNoncompliant"],
      // Preview requirements do not count towards the score yet: they never alert.
      expr: partnerLevel(
        t`(
  ${sel("partner_security_requirement_compliance_status", 'status="noncompliant"')}
  unless on (job, instance, requirement_id)
  (${sel("partner_security_requirement_state", 'state="preview"')} == 1)
)`,
        { without: `${POD_LABELS}, status` },
      ),
    },
    {
      record: ADMINS_NO_MFA,
      usedBy: ["PartnerSecurityAdminsWithoutMfa"],
      expr: partnerLevel(sel("partner_security_admins_required_not_using_mfa")),
    },
    {
      alert: "PartnerSecurityRequirementNoncompliant",
      expr: t`${bridged(NONCOMPLIANT)} == 1`,
      summary: t`Security requirement {{ $labels.requirement_type }} is noncompliant`,
      // URLs are annotations, fetched from the info metric: Microsoft editing one must not reset the alert.
      description: t`The partner security requirement {{ $labels.requirement_type }} (id {{ $labels.requirement_id }})${PARTNER} is noncompliant and costs points of the partner security score. Fix it in Partner Center${requirementUrl("action_url", ": ")}${requirementUrl("help_url", " (background: ", ")")}.`,
      annotations: { action_url: t`${requirementUrl("action_url")}`, help_url: t`${requirementUrl("help_url")}` },
    },
    {
      alert: "PartnerSecurityAdminsWithoutMfa",
      expr: t`${bridged(ADMINS_NO_MFA)} > ${setting("threshold")}`,
      summary: t`{{ $value }} partner admins required to use MFA do not`,
      description: t`{{ $value }} admins of the partner tenant{{ with $labels.partner_tenant_id }} {{ . }}{{ end }} are required to use multi-factor authentication and do not. Enforce MFA for them (security defaults or a Conditional Access policy) in the partner tenant.`,
    },
  ],
};

const customers: RuleGroup = {
  name: "partner-security-customers",
  rules: [
    {
      record: TENANT_POLICY,
      usedBy: ["PartnerSecurityCustomerTenantLostMfaPolicy"],
      // One series per customer tenant: 1 while any MFA policy is on.
      expr: partnerLevel(sel("partner_security_customer_mfa_policy_enabled"), { without: `${POD_LABELS}, policy` }),
    },
    {
      record: TENANT_COVERAGE,
      usedBy: ["PartnerSecurityCustomerMfaCoverageDropped"],
      expr: partnerLevel(
        t`(
  (${sel("partner_security_customer_mfa_compliant_admins")} + ${sel("partner_security_customer_mfa_compliant_non_admins")})
  / (${sel("partner_security_customer_users")} > 0)
)`,
      ),
    },
    {
      record: TENANTS_WITHOUT_POLICY,
      usedBy: ["PartnerSecurityCustomerTenantsWithoutMfaPolicyRose"],
      // Counted by the exporter over every tenant, whatever PSE_CUSTOMER_SERIES: one series per partner.
      expr: partnerLevel(sel("partner_security_customer_insight_tenants_without_mfa_policy")),
    },
    {
      record: TENANTS_COMPLIANT,
      usedBy: ["PartnerSecurityCustomerMfaComplianceLow"],
      expr: partnerLevel(t`(${sel("partner_security_customer_tenants_mfa_compliant")} / (${sel("partner_security_customer_tenants")} > 0))`),
    },
    {
      alert: "PartnerSecurityCustomerTenantLostMfaPolicy",
      // A regression, not a level: per tenant, one value now and one `window` ago (offset), never a range over the window.
      expr: t`${bridged(TENANT_POLICY)} == 0
and
${bridged(TENANT_POLICY, setting("window"))} == 1`,
      summary: t`${CUSTOMER_VAR}Customer ${CUSTOMER} lost its MFA policy`,
      description: t`${CUSTOMER_VAR}Customer ${CUSTOMER}${PARTNER} had an MFA policy (security defaults, Conditional Access or per-user MFA) ${setting("window")} ago and has none now. Turn MFA back on for its users, or find out who turned it off. The alert ends when a policy is back, and also ${setting("window")} after the loss with the tenant still without one: a resolved notification then means the loss is older than ${setting("window")}, not that it is fixed. The Customer tenants dashboard lists every tenant without a policy.`,
      annotations: { customer_name: customerNameAnnotation() },
    },
    {
      alert: "PartnerSecurityCustomerMfaCoverageDropped",
      expr: t`${bridged(TENANT_COVERAGE, setting("window"))} - ${bridged(TENANT_COVERAGE)} >= ${setting("threshold")}`,
      summary: t`${CUSTOMER_VAR}MFA coverage of customer ${CUSTOMER} fell by {{ $value | humanizePercentage }}`,
      description: t`${CUSTOMER_VAR}The share of MFA-compliant users (admins and non-admins) of customer ${CUSTOMER}${PARTNER} fell by {{ $value | humanizePercentage }} of its users within ${setting("window")}; the alert fires from a fall of {{ ${setting("threshold")} | humanizePercentage }}. Look for new users without MFA or a changed Conditional Access policy in that tenant. The alert ends ${setting("window")} after the fall even if the coverage stays low: a resolved notification then means the fall is older than ${setting("window")}, not that it is fixed. The Customer tenants dashboard shows each tenant's coverage.`,
      annotations: { customer_name: customerNameAnnotation() },
    },
    {
      alert: "PartnerSecurityCustomerTenantsWithoutMfaPolicyRose",
      // The per-tenant regressions' count, for every mode: now against one `window` ago (offset); nothing before a day of data.
      expr: t`${bridged(TENANTS_WITHOUT_POLICY)} - ${bridged(TENANTS_WITHOUT_POLICY, setting("window"))} >= ${setting("tenants")}`,
      summary: t`Customer tenants without an MFA policy rose by {{ $value }} within ${setting("window")}`,
      description: t`The number of customer tenants${PARTNER} with no MFA policy enabled (security defaults, Conditional Access and per-user MFA disabled wherever Graph reports them) rose by {{ $value }} within ${setting("window")}, counted over every customer tenant whatever PSE_CUSTOMER_SERIES; the alert fires from a rise of ${setting("tenants")}. Tenants lost their policy, or tenants without one were added. PartnerSecurityCustomerTenantLostMfaPolicy names the tenants that had a policy and a per-tenant series ${setting("window")} ago; the Customer tenants dashboard lists every tenant without a policy (with PSE_CUSTOMER_SERIES all or noncompliant). The alert ends when the count is back down, and also ${setting("window")} after the rise with the count still up: a resolved notification then means the rise is older than ${setting("window")}, not that it is fixed.`,
    },
    {
      alert: "PartnerSecurityCustomerMfaComplianceLow",
      expr: t`${bridged(TENANTS_COMPLIANT)} < ${setting("threshold")}`,
      summary: t`Only {{ $value | humanizePercentage }} of customer tenants are MFA-compliant`,
      description: t`{{ $value | humanizePercentage }} of the customer tenants${PARTNER} are MFA-compliant (requirement mfaEnforcedForAdminsOfCustomers), below {{ ${setting("threshold")} | humanizePercentage }}. The Customer tenants dashboard lists the worst tenants first; PartnerSecurityCustomerTenantLostMfaPolicy and PartnerSecurityCustomerMfaCoverageDropped name the tenants that got worse.`,
    },
  ],
};

const alertResponse: RuleGroup = {
  name: "partner-security-alert-response",
  rules: [
    { record: RESPONSE_TIME, usedBy: ["PartnerSecurityAlertResponseSlow"], expr: partnerLevel(sel("partner_security_alert_average_response_time_seconds")) },
    {
      alert: "PartnerSecurityAlertResponseSlow",
      expr: t`${bridged(RESPONSE_TIME)} > ${setting("thresholdHours")} * 3600`,
      summary: t`Security alerts take {{ $value | humanizeDuration }} on average to resolve`,
      description: t`The average response time${PARTNER} to security alerts over the past 30 days is {{ $value | humanizeDuration }}, above ${setting("thresholdHours")}h (requirement securityAlertsPromptlyResolved). Triage open alerts in Partner Center.`,
    },
  ],
};

/** The GDAP alert of one tier: the same condition, `days` its own. */
function gdapExpiring(alert: "PartnerSecurityGdapRelationshipExpiring" | "PartnerSecurityGdapRelationshipExpiringSoon", tier: string): AlertingRule {
  return {
    alert,
    // The value is the time left; negative once the end has passed while Graph still says active or expiring.
    expr: t`${bridged(GDAP_END)} - time() < ${setting("days")} * 86400`,
    summary: t`${CUSTOMER_VAR}GDAP relationship with customer ${CUSTOMER} ${TIME_LEFT}{{ if ge $value 0.0 }} and does not auto-extend{{ else }}: the partner's admin access is being removed{{ end }}`,
    description: t`${CUSTOMER_VAR}The GDAP relationship {{ $labels.relationship_id }} with customer ${CUSTOMER}${PARTNER} ${TIME_LEFT} and does not auto-extend (its autoExtendDuration is zero or not reported); the alert fires from ${setting("days")} days before the end (Microsoft notifies at 30, 7 and 1 days)${tier}. {{ if ge $value 0.0 }}An expired GDAP relationship cannot be restored: the partner loses its delegated admin access to this customer until the customer approves a new relationship. Extend it in Partner Center, on the customer's admin relationships: turn on auto-extend (180 days at each end), which a relationship with the Global Administrator role cannot have (remove that role while the relationship is active, or have the customer approve a new relationship before this one ends).{{ else }}Past its end date it can no longer be extended: Microsoft is removing the partner's access (status expiring), and only a new relationship that the customer approves gives it back.{{ end }} Once the customer has approved a replacement relationship, silence this alert by relationship_id={{ $labels.relationship_id }} until the old one has expired: it keeps firing until then. The alert resolves when Graph reports the relationship expired or terminated, when auto-extend is turned on, or when the exporter can no longer read relationships (a 403 or 404 of delegatedAdminRelationships): a resolved notification without an extension means it has ended (partner_security_gdap_relationships{status=~"${GDAP_ENDED_STATUSES}"}).`,
    annotations: { customer_name: customerNameAnnotation() },
  };
}

const gdap: RuleGroup = {
  name: "partner-security-gdap",
  rules: [
    {
      record: GDAP_END,
      usedBy: ["PartnerSecurityGdapRelationshipExpiring", "PartnerSecurityGdapRelationshipExpiringSoon"],
      // The exporter exports relationships whose status is active or expiring (past the end date,
      // access being removed) until Graph reports them expired. One that auto-extends
      // (auto_extend="true": a duration above 0) never expires; "false" (PT0S) and "unknown" (Graph
      // sent null or an unreadable duration; its default is PT0S) are taken to end: an expiry is
      // not undone, a needless reminder is. auto_extend is dropped: a flip between "false" and
      // "unknown" must neither reset nor duplicate the alert, and a flip to "true" ends the series
      // (the alert resolves).
      expr: partnerLevel(sel("partner_security_gdap_relationship_end_timestamp_seconds", 'auto_extend!="true"'), { without: `${POD_LABELS}, auto_extend` }),
    },
    // Two tiers of one condition; Alertmanager inhibits the first by the second for the same relationship.
    gdapExpiring("PartnerSecurityGdapRelationshipExpiring", "; PartnerSecurityGdapRelationshipExpiringSoon takes over in the last days"),
    gdapExpiring("PartnerSecurityGdapRelationshipExpiringSoon", "; this is the last tier, after PartnerSecurityGdapRelationshipExpiring"),
  ],
};

const openAlerts: RuleGroup = {
  name: "partner-security-open-alerts",
  rules: [
    {
      record: CUSTOMER_OLDEST_ALERT,
      usedBy: ["PartnerSecurityAlertResponseTargetNear"],
      // Per customer, the oldest open alert of any severity (test alerts are not counted by the
      // exporter). Graph's `severity` is dropped (min over severities): the alert's own severity
      // label would overwrite it, and a label that changes with the oldest alert would reset it.
      expr: partnerLevel(sel("partner_security_customer_alerts_oldest_active_detected_timestamp_seconds"), { aggregate: "min", without: `${POD_LABELS}, severity` }),
    },
    {
      record: CUSTOMER_OLDEST_HIGH_ALERT,
      usedBy: ["PartnerSecurityCustomerHighSeverityAlertOpen"],
      // `severity` is Graph's, dropped here: the alert's own severity label would overwrite it.
      expr: partnerLevel(sel("partner_security_customer_alerts_oldest_active_detected_timestamp_seconds", 'severity="high"'), { aggregate: "min", without: `${POD_LABELS}, severity` }),
    },
    {
      alert: "PartnerSecurityAlertResponseTargetNear",
      expr: t`time() - ${bridged(CUSTOMER_OLDEST_ALERT)} > ${setting("thresholdHours")} * 3600`,
      summary: t`${CUSTOMER_VAR}Customer ${CUSTOMER} has had a security alert${oldestAlertSeverity(" (severity ", ")")} open for {{ $value | humanizeDuration }}: ${RESPONSE_TARGET}`,
      description: t`${CUSTOMER_VAR}The oldest open security alert of customer ${CUSTOMER}${PARTNER}${oldestAlertSeverity(" (severity ", ")")} was detected {{ $value | humanizeDuration }} ago, more than ${setting("thresholdHours")}h: ${RESPONSE_TARGET} (status active or investigating; test alerts left out). Microsoft requires CSP partners to "respond to security alerts within 24 hours or less" (a mandatory partner security requirement from 2025-10-01; the requirement securityAlertsPromptlyResolved reports the 30-day average). Which event ends a response is not documented, so the exporter counts an alert as open until it is resolved. Triage the customer's open alerts in Partner Center, oldest first, and resolve those that are handled. The alert ends when none of the customer's open alerts is older than ${setting("thresholdHours")}h; every customer alerts on its own, so one customer's old alert hides no other customer's.`,
      annotations: { customer_name: customerNameAnnotation(), oldest_alert_severity: [oldestAlertSeverity()] },
    },
    {
      alert: "PartnerSecurityCustomerHighSeverityAlertOpen",
      expr: t`time() - ${bridged(CUSTOMER_OLDEST_HIGH_ALERT)} > ${setting("thresholdHours")} * 3600`,
      summary: t`${CUSTOMER_VAR}Customer ${CUSTOMER} has ${HIGH_ALERTS_OPEN}, the oldest for {{ $value | humanizeDuration }}`,
      description: t`${CUSTOMER_VAR}Customer ${CUSTOMER}${PARTNER} has ${HIGH_ALERTS_OPEN} (status active or investigating; test alerts left out); the oldest was detected {{ $value | humanizeDuration }} ago, more than ${setting("thresholdHours")}h. Microsoft requires CSP partners to respond to security alerts within 24 hours (requirement securityAlertsPromptlyResolved). Triage the customer's high-severity alerts in Partner Center and resolve each one there once handled: an alert under investigation still counts as open, since which event ends a response is not documented. The alert ends when none of the customer's open high-severity alerts is older than ${setting("thresholdHours")}h; PartnerSecurityAlertResponseTargetNear watches each customer's oldest open alert of any severity.`,
      annotations: { customer_name: customerNameAnnotation() },
    },
  ],
};

/** Why the target's last refresh failed. */
const LAST_REASON = queryLabel(`max by (reason) (partner_security_exporter_refresh_failure_reason{${TARGET_MATCHERS}} == 1)`, TARGET_ARGS, "reason", " (last reason: ", ")");

const exporter: RuleGroup = {
  name: "partner-security-exporter",
  rules: [
    {
      alert: "PartnerSecurityExporterDown",
      expr: t`${sel("up")} == 0`,
      // Under prometheus-operator `instance` is only the pod's IP: the pod's name says which one.
      summary: t`partner-security-exporter {{ with $labels.pod }}pod {{ . }}{{ else }}{{ $labels.instance }}{{ end }}{{ with $labels.namespace }} in namespace {{ . }}{{ end }} is down`,
      description: t`Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}{{ with $labels.pod }} (pod {{ . }}){{ end }}{{ with $labels.namespace }} in namespace {{ . }}{{ end }}; no partner security data is collected. The target's error on Prometheus' targets page says why (a sample limit exceeded or a scrape timeout also make up 0). Then check the pod{{ with $labels.pod }} (kubectl -n {{ $labels.namespace }} describe pod {{ . }}; kubectl -n {{ $labels.namespace }} logs {{ . }}){{ else }} or process and its logs{{ end }}.`,
    },
    {
      alert: "PartnerSecurityExporterAbsent",
      // No target up: every target of a service down, or no target at all. Not `absent(up == 1)`,
      // whose alert has no labels at all (absent() takes them from a plain selector's matchers only).
      expr: t`max without (${POD_LABELS}) (${sel("up")}) == 0
or
absent(${sel("up")})`,
      summary: t`No partner-security-exporter target is up`,
      description: t`Prometheus has no target of job {{ $labels.job }}{{ with $labels.namespace }} in namespace {{ . }}{{ end }} that is up: the exporter does not run (scaled to 0, not deployed), or Prometheus does not scrape it (ServiceMonitor not selected, job named differently). No partner security data is collected.`,
    },
    {
      alert: "PartnerSecurityExporterRefreshFailing",
      expr: t`${partnerLevel(sel("partner_security_exporter_refresh_consecutive_failures"))} >= ${setting("failures")}`,
      summary: t`partner-security-exporter failed {{ $value }} refreshes from Microsoft Graph in a row`,
      description: t`The last {{ $value }} refreshes of {{ $labels.job }}${PARTNER} from Microsoft Graph failed${LAST_REASON}; the last good data is still served. The exporter's log line "refresh failed" has the details.`,
    },
    {
      alert: "PartnerSecurityExporterAccessDenied",
      // 401 and 403 within one refresh. No token: also an Entra ID outage (token endpoint 5xx or
      // unreachable, not retried), so only once `tokenFailures` refreshes in a row have failed.
      expr: t`${partnerLevel(
        t`(
  ${sel("partner_security_exporter_refresh_failure_reason", 'reason=~"unauthorized|forbidden"')} == 1
  or
  (
    ${sel("partner_security_exporter_refresh_failure_reason", 'reason="token"')} == 1
    and on (job, instance)
    ${sel("partner_security_exporter_refresh_consecutive_failures")} >= ${setting("tokenFailures")}
  )
)`,
      )} == 1`,
      summary: t`partner-security-exporter {{ if eq $labels.reason "token" }}gets no token from Entra ID{{ else }}is denied access to Microsoft Graph ({{ $labels.reason }}){{ end }}`,
      description: t`{{ if eq $labels.reason "token" }}The last ${setting("tokenFailures")} or more refreshes of {{ $labels.job }}${PARTNER} failed in a row for want of a token from Entra ID (reason token): the client secret or certificate expired or is wrong, the federated credential does not match the service account, or Entra ID's token endpoint is unreachable or answering 5xx. An Entra ID outage passes by itself (check its service health); a bad credential does not: an AADSTS code in the exporter's log line "refresh failed" means the credential.{{ else if eq $labels.reason "unauthorized" }}The last refresh of {{ $labels.job }}${PARTNER} failed with reason unauthorized: Graph rejected the token, a freshly acquired one too (401: revoked, or for another tenant). This does not pass by itself.{{ else }}The last refresh of {{ $labels.job }}${PARTNER} failed with reason forbidden: Graph refused the request (403: the PartnerSecurity.Read.All application permission is missing or lacks admin consent). This does not pass by itself.{{ end }} The last good data is still served.`,
    },
    {
      alert: "PartnerSecurityExporterDataStale",
      // `> 0`: before the first successful refresh there is no data to be stale (RefreshFailing covers that case).
      expr: partnerLevel(
        t`(
  time() - (${sel("partner_security_exporter_last_success_timestamp_seconds")} > 0)
  > ${setting("intervals")} * ${sel("partner_security_exporter_refresh_interval_seconds")}
)`,
      ),
      summary: t`Partner security data is {{ $value | humanizeDuration }} old`,
      description: t`The data {{ $labels.job }}${PARTNER} serves was last refreshed {{ $value | humanizeDuration }} ago, more than ${setting("intervals")} refresh intervals. Dashboards and alerts are working on old data; see PartnerSecurityExporterRefreshFailing for why.`,
    },
    {
      alert: "PartnerSecurityExporterGraphThrottled",
      // The Graph endpoint is `endpoint`, or `exported_endpoint` where the scrape sets its own `endpoint` (prometheus-operator).
      expr: t`${partnerLevel(t`increase(${sel("partner_security_exporter_graph_requests_total", 'code="429"')}[${setting("window")}])`, { aggregate: "sum", without: `${POD_LABELS}, exported_endpoint, code` })} > 0`,
      // At least one 429 in every `window` for `for`: a 429 now and then an hour apart is enough, no steady stream needed.
      summary: t`Microsoft Graph has throttled partner-security-exporter at least once in every ${setting("window")} for ${setting("for")}`,
      description: t`Graph has answered {{ $labels.job }}${PARTNER} with 429 (throttled) at least once in every ${setting("window")} for ${setting("for")} (429 answers in the last ${setting("window")}: about {{ $value | printf "%.0f" }}). The exporter retries them after Retry-After, so refreshes mostly still succeed, but throttling that keeps coming back means the app registration asks too much: lengthen PSE_REFRESH_INTERVAL, or check what else uses the same app registration.`,
    },
    {
      record: ENDPOINT_AVAILABLE,
      usedBy: ["PartnerSecurityExporterEndpointUnavailable"],
      // `endpoint` is kept: it names the Graph endpoint unless the scrape renamed it to exported_endpoint
      // (prometheus-operator's `endpoint` is the port name, the same for every pod).
      expr: partnerLevel(sel("partner_security_exporter_endpoint_available"), { without: "instance, pod, container" }),
    },
    {
      alert: "PartnerSecurityExporterEndpointUnavailable",
      expr: t`${bridged(ENDPOINT_AVAILABLE)} == 0`,
      summary: t`Graph endpoint {{ or $labels.exported_endpoint $labels.endpoint }} is unavailable`,
      description: t`The Microsoft Graph endpoint {{ or $labels.exported_endpoint $labels.endpoint }}${PARTNER} is unavailable, so its metrics are missing; the other endpoints are still exported. history, requirements and customerInsights count as unavailable when Graph answers 404 (a known Graph issue for /history and /requirements on some CSP tenants); the optional endpoints (delegatedAdminCustomers, delegatedAdminRelationships, contracts, securityAlerts) after any failure, a 403 meaning that the app registration lacks their application permission (the exporter's log line names it). After a 403 or 404 of securityAlerts or delegatedAdminRelationships, PartnerSecurityAlertResponseTargetNear, PartnerSecurityCustomerHighSeverityAlertOpen and PartnerSecurityGdapRelationshipExpiring(Soon) cannot fire (after another failure the exporter keeps their last good data); without delegatedAdminCustomers or contracts, alerts name customers by tenant id.`,
    },
    { record: VALIDATION_WARNINGS, usedBy: ["PartnerSecurityExporterValidationWarnings"], expr: partnerLevel(sel("partner_security_exporter_validation_warnings")) },
    {
      alert: "PartnerSecurityExporterValidationWarnings",
      // The refresh succeeds with what it understood: without this alert a changed beta format is silent.
      expr: t`${bridged(VALIDATION_WARNINGS)} > 0`,
      summary: t`partner-security-exporter left out {{ $value }} values of Microsoft Graph's answers it did not understand`,
      description: t`The last successful refresh of {{ $labels.job }}${PARTNER} dropped {{ $value }} fields or values of Microsoft Graph's (beta) answers it did not understand: Graph's response format has probably changed. Their series are left out, so dashboards miss them and posture alerts on them may have resolved without anything having been fixed. The exporter's log line "Graph data not fully understood" names each one; open an issue for partner-security-exporter with those lines, and upgrade once a release reads the new format.`,
    },
  ],
};

/** Every rule group, in file order. */
export const GROUPS: readonly RuleGroup[] = [score, requirements, customers, gdap, alertResponse, openAlerts, exporter];

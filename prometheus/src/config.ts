/**
 * The one configuration the rules are generated from, in the manner of the kubernetes-mixin's
 * `_config`: selector, thresholds, `for` durations, severities, switches and runbook links. The
 * defaults make prometheus/alerts.yml; the chart's values.yaml `prometheusRule` section carries the
 * same keys, and its template reads every one of them.
 */

export type Severity = "critical" | "warning" | "info";

interface Base {
  /** Whether the alert (and the recording rules only it uses) is generated. */
  readonly enabled: boolean;
  readonly severity: Severity;
  /** Prometheus duration the condition must hold before the alert fires. */
  readonly for: string;
}

export interface AlertsConfig {
  readonly PartnerSecurityScoreLow: Base & { readonly threshold: number };
  readonly PartnerSecurityScoreDropped: Base & { readonly points: number; readonly window: string };
  readonly PartnerSecurityRequirementNoncompliant: Base;
  readonly PartnerSecurityAdminsWithoutMfa: Base & { readonly threshold: number };
  readonly PartnerSecurityCustomerTenantLostMfaPolicy: Base & { readonly window: string };
  readonly PartnerSecurityCustomerMfaCoverageDropped: Base & { readonly threshold: number; readonly window: string };
  /** `tenants`: how many more customer tenants without an MFA policy than one `window` ago. */
  readonly PartnerSecurityCustomerTenantsWithoutMfaPolicyRose: Base & { readonly tenants: number; readonly window: string };
  readonly PartnerSecurityCustomerMfaComplianceLow: Base & { readonly threshold: number };
  /** `days`: how long before its end a GDAP relationship (active, or expiring past its end) that does not auto-extend alerts. */
  readonly PartnerSecurityGdapRelationshipExpiring: Base & { readonly days: number };
  /** The same condition within fewer `days`: the second tier, critical; inhibits PartnerSecurityGdapRelationshipExpiring for the same relationship. */
  readonly PartnerSecurityGdapRelationshipExpiringSoon: Base & { readonly days: number };
  readonly PartnerSecurityAlertResponseSlow: Base & { readonly thresholdHours: number };
  /** `thresholdHours`: age of a customer's oldest open security alert (any severity); the response target is 24h. */
  readonly PartnerSecurityAlertResponseTargetNear: Base & { readonly thresholdHours: number };
  /** `thresholdHours`: age of a customer's oldest open high-severity security alert. */
  readonly PartnerSecurityCustomerHighSeverityAlertOpen: Base & { readonly thresholdHours: number };
  readonly PartnerSecurityExporterDown: Base;
  readonly PartnerSecurityExporterAbsent: Base;
  readonly PartnerSecurityExporterRefreshFailing: Base & { readonly failures: number };
  /** `tokenFailures`: refreshes in a row that must fail for want of a token (an Entra ID outage fails one too). */
  readonly PartnerSecurityExporterAccessDenied: Base & { readonly tokenFailures: number };
  readonly PartnerSecurityExporterDataStale: Base & { readonly intervals: number };
  readonly PartnerSecurityExporterGraphThrottled: Base & { readonly window: string };
  readonly PartnerSecurityExporterEndpointUnavailable: Base;
  readonly PartnerSecurityExporterValidationWarnings: Base;
}

export type AlertName = keyof AlertsConfig;

export interface RulesConfig {
  /** Label matchers of the exporter's series, without braces, e.g. `job="partner-security-exporter"`. */
  readonly selector: string;
  /** Absolute URL of docs/alerts.md; empty: the relative path `docs/alerts.md`. */
  readonly runbookBaseUrl: string;
  /** Extra labels on every alert (severity stays the alert's own). */
  readonly alertLabels: Readonly<Record<string, string>>;
  /**
   * How long the posture alerts bridge a gap in the exporter's series: the pod rescheduled, its
   * replacement not scraped yet. Within it an alert neither resolves nor restarts its `for:`.
   */
  readonly seriesGapTolerance: string;
  readonly alerts: AlertsConfig;
}

export const DEFAULT_CONFIG: RulesConfig = {
  selector: 'job="partner-security-exporter"',
  runbookBaseUrl: "",
  alertLabels: {},
  seriesGapTolerance: "10m",
  alerts: {
    PartnerSecurityScoreLow: { enabled: true, severity: "warning", for: "1h", threshold: 0.7 },
    PartnerSecurityScoreDropped: { enabled: true, severity: "warning", for: "30m", points: 10, window: "7d" },
    PartnerSecurityRequirementNoncompliant: { enabled: true, severity: "warning", for: "1h" },
    PartnerSecurityAdminsWithoutMfa: { enabled: true, severity: "warning", for: "1h", threshold: 0 },
    PartnerSecurityCustomerTenantLostMfaPolicy: { enabled: true, severity: "warning", for: "30m", window: "1d" },
    PartnerSecurityCustomerMfaCoverageDropped: { enabled: true, severity: "warning", for: "30m", threshold: 0.2, window: "1d" },
    PartnerSecurityCustomerTenantsWithoutMfaPolicyRose: { enabled: true, severity: "warning", for: "30m", tenants: 1, window: "1d" },
    PartnerSecurityCustomerMfaComplianceLow: { enabled: true, severity: "warning", for: "1h", threshold: 0.9 },
    PartnerSecurityGdapRelationshipExpiring: { enabled: true, severity: "warning", for: "1h", days: 30 },
    PartnerSecurityGdapRelationshipExpiringSoon: { enabled: true, severity: "critical", for: "1h", days: 7 },
    PartnerSecurityAlertResponseSlow: { enabled: true, severity: "warning", for: "1h", thresholdHours: 24 },
    PartnerSecurityAlertResponseTargetNear: { enabled: true, severity: "warning", for: "15m", thresholdHours: 18 },
    PartnerSecurityCustomerHighSeverityAlertOpen: { enabled: true, severity: "warning", for: "15m", thresholdHours: 4 },
    PartnerSecurityExporterDown: { enabled: true, severity: "critical", for: "5m" },
    PartnerSecurityExporterAbsent: { enabled: true, severity: "critical", for: "10m" },
    PartnerSecurityExporterRefreshFailing: { enabled: true, severity: "warning", for: "0m", failures: 2 },
    PartnerSecurityExporterAccessDenied: { enabled: true, severity: "warning", for: "0m", tokenFailures: 2 },
    PartnerSecurityExporterDataStale: { enabled: true, severity: "warning", for: "5m", intervals: 2 },
    PartnerSecurityExporterGraphThrottled: { enabled: true, severity: "warning", for: "2h", window: "1h" },
    PartnerSecurityExporterEndpointUnavailable: { enabled: true, severity: "warning", for: "1h" },
    PartnerSecurityExporterValidationWarnings: { enabled: true, severity: "warning", for: "1h" },
  },
};

export const ALERT_NAMES = Object.keys(DEFAULT_CONFIG.alerts) as AlertName[];

/** A config with some settings replaced; alerts merge one level deep, as Helm merges values. */
export interface ConfigOverrides {
  readonly selector?: string;
  readonly runbookBaseUrl?: string;
  readonly alertLabels?: Readonly<Record<string, string>>;
  readonly seriesGapTolerance?: string;
  readonly alerts?: { readonly [A in AlertName]?: Partial<AlertsConfig[A]> };
}

export function withOverrides(overrides: ConfigOverrides, base: RulesConfig = DEFAULT_CONFIG): RulesConfig {
  const alerts = Object.fromEntries(ALERT_NAMES.map((name) => [name, { ...base.alerts[name], ...overrides.alerts?.[name] }])) as unknown as AlertsConfig;
  return { ...base, ...overrides, alerts };
}

/** A Prometheus duration: units largest first, as Prometheus and the PrometheusRule CRD accept them. */
const UNITS = "([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?";
const DURATION = { type: "string", minLength: 1, pattern: `^(0|${UNITS})$` };
/** A range selector's duration: not 0. */
const RANGE = { type: "string", minLength: 1, pattern: `^${UNITS}$` };

/** A number; also as a string, since `helm --set` passes decimals as strings. */
function decimal(bounds: Record<string, number>): Record<string, unknown> {
  return { type: ["number", "string"], pattern: "^[0-9]+(\\.[0-9]+)?$", ...bounds };
}

/** The schema of each alert setting, for values.schema.json. */
const SETTING_SCHEMAS: Readonly<Record<string, Record<string, unknown>>> = {
  enabled: { type: "boolean" },
  severity: { type: "string", enum: ["critical", "warning", "info"] },
  for: DURATION,
  threshold: decimal({ minimum: 0 }),
  points: decimal({ exclusiveMinimum: 0 }),
  window: RANGE,
  thresholdHours: decimal({ exclusiveMinimum: 0 }),
  failures: { type: "integer", minimum: 1 },
  tokenFailures: { type: "integer", minimum: 1 },
  tenants: { type: "integer", minimum: 1 },
  intervals: decimal({ exclusiveMinimum: 0 }),
  days: decimal({ exclusiveMinimum: 0 }),
};

/** The JSON schema of the chart's `prometheusRule` values. */
export function valuesSchema(): Record<string, unknown> {
  const alertSchema = (name: AlertName) => {
    const keys = Object.keys(DEFAULT_CONFIG.alerts[name]);
    return {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        keys.map((key) => {
          const schema = SETTING_SCHEMAS[key];
          if (!schema) throw new Error(`${name}.${key} has no schema`);
          return [key, schema];
        }),
      ),
    };
  };
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      enabled: { type: "boolean" },
      labels: { type: "object", additionalProperties: { type: "string" } },
      selector: { type: "string", pattern: '^[^{}`]*$' },
      runbookBaseUrl: { type: "string", pattern: '^(https?://[^"\\s#`{}]+)?$' },
      alertLabels: { type: "object", additionalProperties: { type: "string" } },
      seriesGapTolerance: RANGE,
      alerts: {
        type: "object",
        additionalProperties: false,
        properties: Object.fromEntries(ALERT_NAMES.map((name) => [name, alertSchema(name)])),
      },
    },
  };
}

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_NAMES, DEFAULT_CONFIG, valuesSchema, withOverrides } from "../../prometheus/src/config.js";
import { generatedFiles } from "../../prometheus/src/generate.js";
import { renderRuleFile } from "../../prometheus/src/render.js";
import { alertsOf, recordsOf } from "./rule-file.js";
import type { RuleFile } from "./rule-file.js";

const ROOT = new URL("../../", import.meta.url);
const CHART = new URL("helm/partner-security-exporter/", ROOT);

function rules(overrides: Parameters<typeof withOverrides>[0]): RuleFile {
  return parse(renderRuleFile(withOverrides(overrides))) as RuleFile;
}

describe("the rule generator (prometheus/src/)", () => {
  it.each(Object.entries(generatedFiles()))("%s is what npm run rules writes", (path, content) => {
    expect(readFileSync(new URL(path, ROOT), "utf8"), "run npm run rules").toBe(content);
  });

  it("links runbooks relative to the repository by default, absolute with a base URL", () => {
    const base = "https://github.com/example/partner-security-exporter/blob/main/docs/alerts.md";
    for (const rule of alertsOf(rules({ runbookBaseUrl: base }))) expect(rule.annotations?.runbook_url).toBe(`${base}#${rule.alert.toLowerCase()}`);
    for (const rule of alertsOf(rules({}))) expect(rule.annotations?.runbook_url).toBe(`docs/alerts.md#${rule.alert.toLowerCase()}`);
  });

  it("leaves out a disabled alert and the recording rules only it reads", () => {
    const file = rules({ alerts: { PartnerSecurityCustomerTenantLostMfaPolicy: { enabled: false } } });
    expect(alertsOf(file).map((rule) => rule.alert)).toEqual(ALERT_NAMES.filter((name) => name !== "PartnerSecurityCustomerTenantLostMfaPolicy"));
    expect(recordsOf(file).map((rule) => rule.record)).not.toContain("partner_customer:partner_security_customer_mfa_policy_enabled:max");
    expect(recordsOf(file).map((rule) => rule.record)).toContain("partner_customer:partner_security_customer_mfa_coverage:ratio");
  });

  it("keeps the GDAP recording rule while either tier is enabled", () => {
    const record = "partner_relationship:partner_security_gdap_relationship_not_auto_extended_end_timestamp_seconds:max";
    expect(recordsOf(rules({ alerts: { PartnerSecurityGdapRelationshipExpiring: { enabled: false } } })).map((rule) => rule.record)).toContain(record);
    const neither = rules({ alerts: { PartnerSecurityGdapRelationshipExpiring: { enabled: false }, PartnerSecurityGdapRelationshipExpiringSoon: { enabled: false } } });
    expect(recordsOf(neither).map((rule) => rule.record)).not.toContain(record);
    expect(neither.groups.map((group) => group.name)).not.toContain("partner-security-gdap");
  });

  it("leaves out a group whose alerts are all disabled", () => {
    const file = rules({ alerts: { PartnerSecurityAlertResponseSlow: { enabled: false } } });
    expect(file.groups.map((group) => group.name)).not.toContain("partner-security-alert-response");
  });

  it("puts alertLabels on every alert, but never over its severity", () => {
    const file = rules({ alertLabels: { team: "security", severity: "none" } });
    for (const rule of alertsOf(file)) expect(rule.labels).toEqual({ team: "security", severity: DEFAULT_CONFIG.alerts[rule.alert as keyof typeof DEFAULT_CONFIG.alerts].severity });
  });

  it("puts thresholds, windows, durations, severities and the selector where the rules read them", () => {
    const file = rules({
      selector: 'job="pse",cluster="eu"',
      seriesGapTolerance: "20m",
      alerts: {
        PartnerSecurityScoreLow: { threshold: 0.5, for: "2h", severity: "critical" },
        PartnerSecurityCustomerTenantLostMfaPolicy: { window: "3d" },
        PartnerSecurityExporterRefreshFailing: { failures: 3 },
        PartnerSecurityGdapRelationshipExpiring: { days: 7 },
        PartnerSecurityGdapRelationshipExpiringSoon: { days: 2, severity: "warning" },
        PartnerSecurityAlertResponseTargetNear: { thresholdHours: 12 },
        PartnerSecurityCustomerHighSeverityAlertOpen: { thresholdHours: 1.5 },
      },
    });
    const low = alertsOf(file).find((rule) => rule.alert === "PartnerSecurityScoreLow");
    expect(low).toMatchObject({ expr: 'last_over_time(partner:partner_security_score_per_max:ratio{job="pse",cluster="eu"}[20m]) < 0.5', for: "2h", labels: { severity: "critical" } });
    expect(low?.annotations?.description).toContain("below {{ 0.5 | humanizePercentage }}");
    expect(alertsOf(file).find((rule) => rule.alert === "PartnerSecurityCustomerTenantLostMfaPolicy")?.expr).toContain("[20m] offset 3d) == 1");
    expect(alertsOf(file).find((rule) => rule.alert === "PartnerSecurityExporterRefreshFailing")?.expr).toMatch(/\) >= 3$/);
    const gdap = alertsOf(file).find((rule) => rule.alert === "PartnerSecurityGdapRelationshipExpiring");
    expect(gdap?.expr).toMatch(/\[20m\]\) - time\(\) < 7 \* 86400$/);
    expect(gdap?.annotations?.description).toContain("the alert fires from 7 days before the end");
    const soon = alertsOf(file).find((rule) => rule.alert === "PartnerSecurityGdapRelationshipExpiringSoon");
    expect(soon).toMatchObject({ labels: { severity: "warning" } });
    expect(soon?.expr).toMatch(/\[20m\]\) - time\(\) < 2 \* 86400$/);
    expect(soon?.annotations?.description).toContain("the alert fires from 2 days before the end");
    const near = alertsOf(file).find((rule) => rule.alert === "PartnerSecurityAlertResponseTargetNear");
    expect(near?.expr).toMatch(/\[20m\]\) > 12 \* 3600$/);
    expect(near?.annotations?.description).toContain("more than 12h");
    const high = alertsOf(file).find((rule) => rule.alert === "PartnerSecurityCustomerHighSeverityAlertOpen");
    expect(high?.expr).toMatch(/\[20m\]\) > 1\.5 \* 3600$/);
    expect(high?.annotations?.description).toContain("more than 1.5h");
    for (const rule of [...alertsOf(file), ...recordsOf(file)]) {
      for (const selector of rule.expr.matchAll(/[a-z_:]+\{([^}]*)\}/g)) expect(selector[1], rule.alert ?? rule.record).toMatch(/^job="pse",cluster="eu"/);
    }
  });

  it("refuses an empty selector", () => {
    expect(() => renderRuleFile(withOverrides({ selector: "" }))).toThrow("selector");
  });
});

describe("the chart's prometheusRule values", () => {
  const values = parse(readFileSync(new URL("values.yaml", CHART), "utf8")) as { prometheusRule: Record<string, unknown> };
  const schema = JSON.parse(readFileSync(new URL("values.schema.json", CHART), "utf8")) as { properties: { prometheusRule: unknown } };

  it("default to the generator's config, alert by alert", () => {
    expect(values.prometheusRule).toEqual({
      enabled: false,
      labels: {},
      selector: "",
      runbookBaseUrl: DEFAULT_CONFIG.runbookBaseUrl,
      alertLabels: DEFAULT_CONFIG.alertLabels,
      seriesGapTolerance: DEFAULT_CONFIG.seriesGapTolerance,
      alerts: DEFAULT_CONFIG.alerts,
    });
  });

  it("are described by values.schema.json as the generator describes them", () => {
    expect(schema.properties.prometheusRule).toEqual(valuesSchema());
  });
});

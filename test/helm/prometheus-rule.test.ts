import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { ALERT_NAMES, DEFAULT_CONFIG } from "../../prometheus/src/config.js";
import { CHART } from "../../tools/chart.js";
import { hasTool } from "../helpers.js";
import { alertsOf, recordsOf } from "../prometheus/rule-file.js";
import type { RuleFile } from "../prometheus/rule-file.js";

// The chart's PrometheusRule template (generated from prometheus/src/), rendered by the real helm.
// test/helm/chart.test.ts shows the defaults give exactly prometheus/alerts.yml.

function helm(args: string[]) {
  return spawnSync("helm", ["template", ...args, "--kube-version", "1.30.0", "-f", join(CHART, "ci", "defaults-values.yaml"), "--set", "prometheusRule.enabled=true"], { encoding: "utf8" });
}

function renderRule(args: string[] = [], release = "acme", namespace = "security"): { metadata: { labels: Record<string, string> }; spec: RuleFile } {
  const result = helm([release, CHART, "--namespace", namespace, ...args]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  const rule = parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as { kind?: string } | null)
    .find((object) => object?.kind === "PrometheusRule");
  if (!rule) throw new Error("no PrometheusRule rendered");
  return rule as { metadata: { labels: Record<string, string> }; spec: RuleFile };
}

function promtoolCheck(spec: RuleFile): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "pse-rules-"));
  try {
    writeFileSync(join(dir, "rules.yml"), stringify(spec));
    const result = spawnSync("promtool", ["check", "rules", join(dir, "rules.yml")], { encoding: "utf8" });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasTool("helm"))("the chart's PrometheusRule", () => {
  it("selects the series of the chart's own ServiceMonitor under any release name: its job and the release namespace", () => {
    const rule = renderRule();
    new PrometheusRule(rule).validate();
    const all = [...alertsOf(rule.spec), ...recordsOf(rule.spec)];
    for (const item of all) {
      const selectors = [...item.expr.matchAll(/[a-z_:]+\{([^}]*)\}/g)].map((match) => match[1]);
      expect(selectors.length, item.alert ?? item.record).toBeGreaterThan(0);
      for (const selector of selectors) expect(selector, item.alert ?? item.record).toMatch(/^job="partner-security-exporter",namespace="security",service="acme-partner-security-exporter"/);
    }
  });

  it("takes a selector from values", () => {
    const rule = renderRule(["--set-string", 'prometheusRule.selector=job="pse"\\,cluster="eu"']);
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityExporterDown")?.expr).toBe('up{job="pse",cluster="eu"} == 0');
  });

  it.skipIf(!hasTool("promtool"))("with every setting changed, still renders rules promtool accepts", () => {
    const rule = renderRule([
      "--set-string",
      'prometheusRule.selector=job=~"pse|partner-security-exporter"',
      "--set",
      "prometheusRule.seriesGapTolerance=30m,prometheusRule.alerts.PartnerSecurityScoreLow.threshold=0.55,prometheusRule.alerts.PartnerSecurityScoreLow.for=3h",
      "--set",
      "prometheusRule.alerts.PartnerSecurityExporterRefreshFailing.failures=4,prometheusRule.alerts.PartnerSecurityCustomerTenantLostMfaPolicy.window=2d",
      "--set",
      "prometheusRule.alerts.PartnerSecurityGdapRelationshipExpiring.days=7,prometheusRule.alerts.PartnerSecurityCustomerHighSeverityAlertOpen.thresholdHours=2.5",
      "--set",
      "prometheusRule.alerts.PartnerSecurityGdapRelationshipExpiringSoon.days=3,prometheusRule.alerts.PartnerSecurityAlertResponseTargetNear.thresholdHours=12",
      "--set",
      "prometheusRule.alertLabels.team=security,prometheusRule.runbookBaseUrl=https://example.com/pse/docs/alerts.md",
    ]);
    const result = promtoolCheck(rule.spec);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
    const low = alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityScoreLow");
    expect(low).toMatchObject({ for: "3h", expr: 'last_over_time(partner:partner_security_score_per_max:ratio{job=~"pse|partner-security-exporter"}[30m]) < 0.55' });
    expect(low?.annotations?.description).toContain("below {{ 0.55 | humanizePercentage }}");
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityExporterRefreshFailing")?.expr).toMatch(/\) >= 4$/);
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityCustomerTenantLostMfaPolicy")?.expr).toContain("[30m] offset 2d) == 1");
    const gdap = alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityGdapRelationshipExpiring");
    expect(gdap?.expr).toMatch(/\[30m\]\) - time\(\) < 7 \* 86400$/);
    expect(gdap?.annotations?.description).toContain("the alert fires from 7 days before the end");
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityCustomerHighSeverityAlertOpen")?.expr).toMatch(/\[30m\]\) > 2\.5 \* 3600$/);
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityGdapRelationshipExpiringSoon")?.expr).toMatch(/\[30m\]\) - time\(\) < 3 \* 86400$/);
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityAlertResponseTargetNear")?.expr).toMatch(/\[30m\]\) > 12 \* 3600$/);
  });

  it("looks customer names up in the release's own series: the annotation queries carry its job, namespace and Service", () => {
    const gdap = alertsOf(renderRule().spec).find((alert) => alert.alert === "PartnerSecurityGdapRelationshipExpiring");
    // The query's matchers come from the alert's labels, which the default selector pins to this release.
    expect(gdap?.annotations?.summary).toContain('printf "partner_security_customer_info{job=%q,namespace=%q,service=%q,customer_tenant_id=%q}" $labels.job $labels.namespace $labels.service $labels.customer_tenant_id | query');
  });

  it("links runbooks absolutely when runbookBaseUrl is set, relative to the repository otherwise", () => {
    const base = "https://github.com/example/partner-security-exporter/blob/main/docs/alerts.md";
    for (const alert of alertsOf(renderRule(["--set", `prometheusRule.runbookBaseUrl=${base}`]).spec)) expect(alert.annotations?.runbook_url).toBe(`${base}#${alert.alert.toLowerCase()}`);
    for (const alert of alertsOf(renderRule().spec)) expect(alert.annotations?.runbook_url).toBe(`docs/alerts.md#${alert.alert.toLowerCase()}`);
  });

  it("leaves out a disabled alert, the recording rules only it reads, and a group left empty", () => {
    const rule = renderRule(["--set", "prometheusRule.alerts.PartnerSecurityScoreDropped.enabled=false,prometheusRule.alerts.PartnerSecurityAlertResponseSlow.enabled=false"]);
    expect(alertsOf(rule.spec).map((alert) => alert.alert)).toEqual(ALERT_NAMES.filter((name) => name !== "PartnerSecurityScoreDropped" && name !== "PartnerSecurityAlertResponseSlow"));
    expect(recordsOf(rule.spec).map((record) => record.record)).not.toContain("partner:partner_security_score:max");
    expect(recordsOf(rule.spec).map((record) => record.record)).toContain("partner:partner_security_score_per_max:ratio");
    expect(rule.spec.groups.map((group) => group.name)).not.toContain("partner-security-alert-response");
  });

  it("puts alertLabels on every alert, keeping each alert's severity, and sets severities and durations from values", () => {
    const rule = renderRule(["--set", "prometheusRule.alertLabels.team=security,prometheusRule.alertLabels.severity=none", "--set", "prometheusRule.alerts.PartnerSecurityExporterDown.severity=warning,prometheusRule.alerts.PartnerSecurityExporterDown.for=15m"]);
    for (const alert of alertsOf(rule.spec)) {
      const severity = alert.alert === "PartnerSecurityExporterDown" ? "warning" : DEFAULT_CONFIG.alerts[alert.alert as keyof typeof DEFAULT_CONFIG.alerts].severity;
      expect(alert.labels, alert.alert).toEqual({ team: "security", severity });
    }
    expect(alertsOf(rule.spec).find((alert) => alert.alert === "PartnerSecurityExporterDown")?.for).toBe("15m");
  });

  it("puts prometheusRule.labels on the object, e.g. for kube-prometheus-stack's rule selector", () => {
    expect(renderRule(["--set", "prometheusRule.labels.release=kube-prometheus-stack"]).metadata.labels.release).toBe("kube-prometheus-stack");
  });

  it.each([
    ["an unknown alert", ["--set", "prometheusRule.alerts.PartnerSecurityNoSuchAlert.enabled=true"], "PartnerSecurityNoSuchAlert"],
    ["an unknown severity", ["--set", "prometheusRule.alerts.PartnerSecurityScoreLow.severity=page"], "severity"],
    ["a malformed duration", ["--set", "prometheusRule.alerts.PartnerSecurityScoreLow.for=one hour"], "for"],
    ["a GDAP warning of 0 days", ["--set", "prometheusRule.alerts.PartnerSecurityGdapRelationshipExpiring.days=0"], "days"],
    ["a relative runbook base", ["--set", "prometheusRule.runbookBaseUrl=docs/alerts.md"], "runbookBaseUrl"],
    [
      "every alert disabled",
      ["--set", ALERT_NAMES.map((name) => `prometheusRule.alerts.${name}.enabled=false`).join(",")],
      "every alert is disabled",
    ],
  ])("refuses %s", (_name, args, message) => {
    const result = helm(["pse", CHART, ...args]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_NAMES, DEFAULT_CONFIG } from "../../prometheus/src/config.js";
import { ALL_METRICS } from "../../src/metrics/all-metrics.js";
import { hasTool } from "../helpers.js";
import { alertsOf, anchors, recordsOf } from "./rule-file.js";
import type { RuleFile } from "./rule-file.js";

const DIR = fileURLToPath(new URL("../../prometheus/", import.meta.url));
const ALERTS_DOC = readFileSync(new URL("../../docs/alerts.md", import.meta.url), "utf8");

interface RuleTestFile {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }> }>;
}

const file = parse(readFileSync(`${DIR}alerts.yml`, "utf8")) as RuleFile;
const alerts = alertsOf(file);
const testFiles = readdirSync(`${DIR}tests`).filter((name) => name.endsWith(".yml"));
const ruleTests = testFiles.flatMap((name) => (parse(readFileSync(`${DIR}tests/${name}`, "utf8")) as RuleTestFile).tests.flatMap((test) => test.alert_rule_test ?? []));

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: DIR, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Labels that change when the exporter's pod does; the posture alerts must never carry them. */
const POD_LABELS = ["instance", "pod", "container"];
/** Alerts about the exporter itself; the others are about the partner's security posture. */
const EXPORTER_ALERTS = /^PartnerSecurityExporter/;

describe("prometheus/alerts.yml", () => {
  it.skipIf(!hasTool("promtool"))("passes promtool check rules", () => {
    const result = run("promtool", ["check", "rules", "alerts.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  // The week-long and day-long cases evaluate every rule thousands of times: seconds, not milliseconds.
  it.skipIf(!hasTool("promtool"))("passes promtool test rules", { timeout: 120_000 }, () => {
    const result = run("promtool", ["test", "rules", ...testFiles.map((name) => `tests/${name}`)]);
    expect(result.output).not.toContain("FAILED");
    expect(result.status, result.output).toBe(0);
  });

  it("has every alert of the config", () => {
    expect(alerts.map((rule) => rule.alert).sort()).toEqual([...ALERT_NAMES].sort());
  });

  it.each(alerts.map((rule) => [rule.alert, rule]))("%s has severity, summary, description and a relative runbook link to its section of docs/alerts.md", (name, rule) => {
    expect(["critical", "warning"]).toContain(rule.labels?.severity);
    expect(Object.keys(rule.labels ?? {})).toEqual(["severity"]);
    expect(rule.annotations?.summary?.length).toBeGreaterThan(10);
    expect(rule.annotations?.description?.length).toBeGreaterThan(40);
    expect(rule.annotations?.runbook_url).toBe(`docs/alerts.md#${name.toLowerCase()}`);
    expect(anchors(ALERTS_DOC)).toContain(name.toLowerCase());
  });

  it.each(alerts.map((rule) => [rule.alert]))("%s has a promtool case where it fires and one where it must not", (name) => {
    const cases = ruleTests.filter((test) => test.alertname === name);
    expect(cases.some((test) => test.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((test) => test.exp_alerts.length === 0)).toBe(true);
  });

  it("fires no posture alert with a per-pod label in any promtool case", () => {
    const posture = ruleTests.filter((test) => !EXPORTER_ALERTS.test(test.alertname));
    expect(posture.length).toBeGreaterThan(10);
    for (const test of posture) for (const alert of test.exp_alerts) for (const label of [...POD_LABELS, "action_url", "help_url"]) expect(alert.exp_labels, test.alertname).not.toHaveProperty(label);
  });

  it("reads posture, unavailable endpoints and validation warnings from partner-level recorded series, bridged over a reschedule's gap", () => {
    const bridged = alerts.filter((alert) => !EXPORTER_ALERTS.test(alert.alert) || /^PartnerSecurityExporter(EndpointUnavailable|ValidationWarnings)$/.test(alert.alert));
    expect(bridged.length).toBe(ALERT_NAMES.filter((name) => !EXPORTER_ALERTS.test(name)).length + 2);
    for (const rule of bridged) {
      expect(rule.expr, rule.alert).toMatch(/last_over_time\(partner[a-z_]*:[a-z_]+:[a-z_]+\{/);
      expect(rule.expr, rule.alert).not.toMatch(/(^|[^:a-z_])partner_security_[a-z_]+\{/);
    }
  });

  it("names recording rules level:metric:operations, the level saying which labels are left", () => {
    const records = recordsOf(file);
    expect(records.length).toBeGreaterThan(0);
    for (const rule of records) {
      expect(rule.record).toMatch(/^(partner|partner_requirement|partner_customer|partner_relationship|partner_endpoint):partner_security_[a-z_]+:[a-z_0-9]+$/);
      // "partner": the per-pod labels aggregated away after the partner's name was joined on (`min`
      // for the oldest open alert's timestamp, `max` otherwise). Per Graph endpoint, `endpoint`
      // stays: it is the Graph endpoint, or under prometheus-operator the port name (the same for
      // every pod) beside exported_endpoint.
      const podLabels = rule.record.startsWith("partner_endpoint:") ? /^max without \(instance, pod, container\) / : /^(max|min) without \(instance, pod, container, endpoint[,)]/;
      expect(rule.expr.startsWith("min "), rule.record).toBe(rule.record.endsWith(":min"));
      expect(rule.expr, rule.record).toMatch(podLabels);
      expect(rule.expr, rule.record).toContain("group_left (partner_tenant_id) partner_security_exporter_partner_info");
    }
  });

  it("names the customer of every per-customer alert in summary and description, from partner_security_customer_info, never in a label", () => {
    const perCustomer = alerts.filter((alert) => /partner_(customer|relationship):/.test(alert.expr));
    expect(perCustomer.map((alert) => alert.alert).sort()).toEqual([
      "PartnerSecurityAlertResponseTargetNear",
      "PartnerSecurityCustomerHighSeverityAlertOpen",
      "PartnerSecurityCustomerMfaCoverageDropped",
      "PartnerSecurityCustomerTenantLostMfaPolicy",
      "PartnerSecurityGdapRelationshipExpiring",
      "PartnerSecurityGdapRelationshipExpiringSoon",
    ]);
    for (const rule of perCustomer) {
      for (const key of ["summary", "description"]) {
        const text = rule.annotations?.[key] ?? "";
        // The name where one is known, the tenant id always.
        expect(text, `${rule.alert} ${key}`).toMatch(/^\{\{ \$customer := printf "tenant %s" \$labels\.customer_tenant_id \}\}\{\{ with printf "partner_security_customer_info\{job=%q,namespace=%q,service=%q,customer_tenant_id=%q\}"/);
        expect(text, `${rule.alert} ${key}`).toContain('{{ $customer = printf "%s (tenant %s)" . $labels.customer_tenant_id }}');
        expect(text, `${rule.alert} ${key}`).toContain("{{ $customer }}");
      }
      expect(rule.annotations?.customer_name, rule.alert).toContain('label "customer_name"');
      expect(rule.expr, rule.alert).not.toContain("customer_info");
    }
    for (const test of ruleTests) for (const alert of test.exp_alerts) expect(alert.exp_labels, test.alertname).not.toHaveProperty("customer_name");
  });

  it("keeps per-tenant rules cheap: no range over the comparison window on a per-tenant series", () => {
    for (const rule of alerts.filter((alert) => /partner_(customer|relationship):/.test(alert.expr))) {
      for (const range of rule.expr.matchAll(/\[([^\]]+)\]/g)) expect(range[1], rule.alert).toBe(DEFAULT_CONFIG.seriesGapTolerance);
    }
  });
  it("reads only metrics the exporter serves, matching only labels they carry or the scrape's target labels", () => {
    const served = new Map(ALL_METRICS.map((metric) => [metric.name, metric.labelNames]));
    // Expressions, and the queries of annotations.
    const texts = file.groups.flatMap((group) => group.rules).flatMap((rule) => [rule.expr, ...Object.values(rule.annotations ?? {})]);
    const selectors = texts.flatMap((text) => [...text.matchAll(/\b(partner_security_[a-z_]+)\{([^}]*)\}/g)]);
    expect(selectors.length).toBeGreaterThan(20);
    for (const [, name = "", matchers = ""] of selectors) {
      const labels = served.get(name);
      expect(labels, name).toBeDefined();
      for (const [, label = ""] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) expect(["job", "namespace", "service", ...(labels ?? [])], `${name}{${label}}`).toContain(label);
    }
  });

  it("PartnerSecurityGdapRelationshipExpiring: records the end of relationships whose auto_extend is not true, without auto_extend, so a flip between false and unknown keeps one alert", () => {
    const record = recordsOf(file).find((rule) => rule.record.startsWith("partner_relationship:partner_security_gdap_relationship_not_auto_extended_end_timestamp_seconds:"));
    expect(record?.expr).toMatch(/^max without \(instance, pod, container, endpoint, auto_extend\) \(/);
    expect(record?.expr).toContain('partner_security_gdap_relationship_end_timestamp_seconds{job="partner-security-exporter",auto_extend!="true"}');
    expect(record?.expr).not.toContain("unless");
  });

  it("PartnerSecurityGdapRelationshipExpiring(Soon): both tiers read the one recorded series; a negative time left says the end date has passed, how long ago, with no negative duration", () => {
    const tiers = alerts.filter((alert) => alert.alert.startsWith("PartnerSecurityGdapRelationshipExpiring"));
    expect(tiers.map((alert) => alert.alert)).toEqual(["PartnerSecurityGdapRelationshipExpiring", "PartnerSecurityGdapRelationshipExpiringSoon"]);
    expect(tiers.map((alert) => alert.labels?.severity)).toEqual(["warning", "critical"]);
    for (const rule of tiers) {
      expect(rule.expr).toContain("partner_relationship:partner_security_gdap_relationship_not_auto_extended_end_timestamp_seconds:max{");
      for (const key of ["summary", "description"]) {
        const text = rule.annotations?.[key] ?? "";
        expect(text, `${rule.alert} ${key}`).toContain('{{ if ge $value 0.0 }}ends in {{ $value | humanizeDuration }}{{ else }}has passed its end date ({{ with printf "vector(0 - (%f))" $value | query }}');
      }
      expect(rule.annotations?.description).toContain('partner_security_gdap_relationships{status=~"expired|terminationRequested|terminating|terminated"}');
      expect(rule.annotations?.description).toContain("silence this alert by relationship_id=");
    }
  });

  it("PartnerSecurityAlertResponseTargetNear: per customer, from the oldest open alert over every severity, Graph's severity only in an annotation", () => {
    const record = recordsOf(file).find((rule) => rule.record === "partner_customer:partner_security_customer_alerts_oldest_active_detected_timestamp_seconds:min");
    expect(record?.expr).toMatch(/^min without \(instance, pod, container, endpoint, severity\) \(\n {2}partner_security_customer_alerts_oldest_active_detected_timestamp_seconds\{job="partner-security-exporter"\}\n/);
    // The partner-level series (still exported, for the dashboards) is read by no rule.
    expect(file.groups.flatMap((group) => group.rules).some((rule) => rule.expr.includes("partner_security_alerts_oldest_active"))).toBe(false);
    const near = alerts.find((alert) => alert.alert === "PartnerSecurityAlertResponseTargetNear");
    expect(near?.expr).toBe('time() - last_over_time(partner_customer:partner_security_customer_alerts_oldest_active_detected_timestamp_seconds:min{job="partner-security-exporter"}[10m]) > 18 * 3600');
    expect(near?.annotations?.oldest_alert_severity).toContain('label "severity"');
    expect(near?.annotations?.summary).toContain("{{ if lt $value 86400.0 }}the 24h response target is near");
    expect(near?.annotations?.summary).toContain("{{ else }}the 24h response target was missed by");
  });
});

describe("the example configurations", () => {
  it.skipIf(!hasTool("promtool"))("prometheus.example.yml passes promtool check config", () => {
    const result = run("promtool", ["check", "config", "prometheus.example.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasTool("amtool"))("alertmanager.example.yml passes amtool check-config", () => {
    const result = run("amtool", ["check-config", "alertmanager.example.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  interface Route {
    matchers?: string[];
    group_by?: string[];
    repeat_interval?: string;
    routes?: Route[];
  }
  const am = parse(readFileSync(`${DIR}alertmanager.example.yml`, "utf8")) as {
    route: Route;
    inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
  };
  const hours = (duration: string) => Number(/^(\d+)h$/.exec(duration)?.[1] ?? Number(/^(\d+)d$/.exec(duration)?.[1] ?? NaN) * 24);

  it("groups per alert name and partner, routes by severity, and re-notifies no more than every 4h", () => {
    expect(am.route.group_by).toEqual(["alertname", "cluster", "namespace", "job", "partner_tenant_id"]);
    expect(am.route.routes?.map((route) => route.matchers?.[0])).toEqual(['severity="critical"', 'severity="warning"']);
    for (const route of [am.route, ...(am.route.routes ?? [])]) expect(hours(route.repeat_interval ?? am.route.repeat_interval ?? "")).toBeGreaterThanOrEqual(4);
  });

  /** The alert names an `alertname` matcher of an inhibit rule selects. */
  function selected(matchers: string[]): string[] {
    const [matcher] = matchers;
    const match = /^alertname(=~?)"(.*)"$/.exec(matcher ?? "");
    if (!match) throw new Error(`not an alertname matcher: ${matcher}`);
    const pattern = match[1] === "=" ? new RegExp(`^${match[2]?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : new RegExp(`^(?:${match[2]})$`);
    return ALERT_NAMES.filter((name) => pattern.test(name));
  }

  /** The alerts `source` silences, over every inhibit rule. */
  const silencedBy = (source: string) => am.inhibit_rules.filter((rule) => selected(rule.source_matchers).includes(source)).flatMap((rule) => selected(rule.target_matchers));

  /** Alerts on end dates and detection times, which stay valid on the last good data: only the exporter gone silences them. */
  const TIME_BASED = /^PartnerSecurity(Gdap.+|AlertResponseTargetNear|CustomerHighSeverityAlertOpen)$/;
  /** The equal labels of every inhibit rule but the GDAP tiers'. */
  const EXPORTER_EQUAL = ["cluster", "namespace", "job", "service"];

  it("lets the exporter's Down and Absent silence every posture alert, on labels the alerts carry", () => {
    const posture = ALERT_NAMES.filter((name) => !EXPORTER_ALERTS.test(name));
    for (const source of ["PartnerSecurityExporterDown", "PartnerSecurityExporterAbsent"]) {
      const silenced = silencedBy(source);
      expect(silenced, source).toEqual(expect.arrayContaining(posture));
      expect(silenced, source).not.toContain(source);
    }
    for (const rule of am.inhibit_rules) {
      expect(selected(rule.source_matchers).length).toBeGreaterThan(0);
      expect(selected(rule.target_matchers).length).toBeGreaterThan(0);
      expect(rule.equal.slice(0, EXPORTER_EQUAL.length)).toEqual(EXPORTER_EQUAL);
    }
  });

  it("lets RefreshFailing, AccessDenied and DataStale silence the posture alerts on Graph's levels, but not the GDAP and alert-age alerts, which stay valid on the last good data", () => {
    const posture = ALERT_NAMES.filter((name) => !EXPORTER_ALERTS.test(name));
    const levels = posture.filter((name) => !TIME_BASED.test(name));
    expect(posture.filter((name) => TIME_BASED.test(name)).sort()).toEqual([
      "PartnerSecurityAlertResponseTargetNear",
      "PartnerSecurityCustomerHighSeverityAlertOpen",
      "PartnerSecurityGdapRelationshipExpiring",
      "PartnerSecurityGdapRelationshipExpiringSoon",
    ]);
    expect(levels).toContain("PartnerSecurityAlertResponseSlow");
    for (const source of ["PartnerSecurityExporterRefreshFailing", "PartnerSecurityExporterAccessDenied", "PartnerSecurityExporterDataStale"]) {
      const silenced = silencedBy(source);
      expect(silenced, source).toEqual(expect.arrayContaining(levels));
      for (const name of posture.filter((alert) => TIME_BASED.test(alert))) expect(silenced, `${source} silences ${name}`).not.toContain(name);
    }
  });

  it("lets the 7-day GDAP tier silence the 30-day one for the same relationship only, and nothing else", () => {
    expect(silencedBy("PartnerSecurityGdapRelationshipExpiringSoon")).toEqual(["PartnerSecurityGdapRelationshipExpiring"]);
    const rule = am.inhibit_rules.find((inhibit) => selected(inhibit.source_matchers).includes("PartnerSecurityGdapRelationshipExpiringSoon"));
    expect(rule?.equal).toEqual([...EXPORTER_EQUAL, "partner_tenant_id", "customer_tenant_id", "relationship_id"]);
    for (const other of am.inhibit_rules.filter((inhibit) => inhibit !== rule)) expect(other.equal).toEqual(EXPORTER_EQUAL);
  });

  it("lets AccessDenied silence RefreshFailing and DataStale: one expired secret, one warning", () => {
    expect(silencedBy("PartnerSecurityExporterAccessDenied")).toEqual(expect.arrayContaining(["PartnerSecurityExporterRefreshFailing", "PartnerSecurityExporterDataStale"]));
  });

  it("lets Down and Absent silence ValidationWarnings, which itself silences nothing", () => {
    for (const source of ["PartnerSecurityExporterDown", "PartnerSecurityExporterAbsent"]) expect(silencedBy(source), source).toContain("PartnerSecurityExporterValidationWarnings");
    expect(silencedBy("PartnerSecurityExporterValidationWarnings")).toEqual([]);
  });
});

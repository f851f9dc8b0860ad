import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hasTool } from "../helpers.js";

const DIR = fileURLToPath(new URL("../../prometheus/", import.meta.url));
const ALERTS_DOC = readFileSync(new URL("../../docs/alerts.md", import.meta.url), "utf8");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface RuleTestFile {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

const rules = (parse(readFileSync(`${DIR}alerts.yml`, "utf8")) as RuleFile).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const testFiles = readdirSync(`${DIR}tests`).filter((name) => name.endsWith(".yml"));
const ruleTests = testFiles.flatMap((name) => (parse(readFileSync(`${DIR}tests/${name}`, "utf8")) as RuleTestFile).tests.flatMap((test) => test.alert_rule_test ?? []));

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: DIR, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  return new Set(markdown.split("\n").filter((line) => line.startsWith("#")).map((line) => line.replace(/^#+\s*/, "").toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
}

describe("prometheus/alerts.yml", () => {
  it("passes promtool check rules", () => {
    if (!hasTool("promtool")) return;
    const result = run("promtool", ["check", "rules", "alerts.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("passes promtool test rules", () => {
    if (!hasTool("promtool")) return;
    const result = run("promtool", ["test", "rules", ...testFiles.map((name) => `tests/${name}`)]);
    expect(result.output).not.toContain("FAILED");
    expect(result.status).toBe(0);
  });

  it.each(alerts.map((rule) => [rule.alert, rule]))("%s has severity, summary, description and a runbook in docs/alerts.md", (name, rule) => {
    expect(["critical", "warning", "info"]).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary?.length).toBeGreaterThan(10);
    expect(rule.annotations?.description?.length).toBeGreaterThan(40);
    const runbook = rule.annotations?.runbook_url ?? "";
    expect(runbook).toBe(`docs/alerts.md#${String(name).toLowerCase()}`);
    expect(anchors(ALERTS_DOC)).toContain(String(name).toLowerCase());
  });

  it.each(alerts.map((rule) => [rule.alert]))("%s has a promtool case where it fires and one where it must not", (name) => {
    const cases = ruleTests.filter((test) => test.alertname === name);
    expect(cases.some((test) => test.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((test) => test.exp_alerts.length === 0)).toBe(true);
  });

  it("names recording rules level:metric:operations", () => {
    const recorded = rules.flatMap((rule) => (rule.record ? [rule.record] : []));
    expect(recorded.length).toBeGreaterThan(0);
    for (const name of recorded) expect(name).toMatch(/^[a-z_]+:[a-z_]+:[a-z_0-9]+$/);
  });
});

describe("the example configurations", () => {
  it("prometheus.example.yml passes promtool check config", () => {
    if (!hasTool("promtool")) return;
    const result = run("promtool", ["check", "config", "prometheus.example.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("alertmanager.example.yml passes amtool check-config", () => {
    if (!hasTool("amtool")) return;
    const result = run("amtool", ["check-config", "alertmanager.example.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("routes by severity and groups by alertname and requirement_type", () => {
    const config = parse(readFileSync(`${DIR}alertmanager.example.yml`, "utf8")) as { route: { group_by: string[]; routes: Array<{ matchers: string[] }> } };
    expect(config.route.group_by).toEqual(["alertname", "requirement_type"]);
    expect(config.route.routes.map((route) => route.matchers[0])).toEqual(['severity="critical"', 'severity="warning"', 'severity="info"']);
  });
});

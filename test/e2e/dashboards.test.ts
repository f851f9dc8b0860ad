import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { RunningExporter } from "../../src/main.js";
import { GRAPH_ENDPOINTS } from "../../src/simulator/endpoints.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { committedDashboards, panelsOf } from "../grafana/dashboard-model.js";
import type { VariableJson } from "../grafana/dashboard-model.js";
import { escapeValue, resolveDefaults, substitute, variableOptions } from "../grafana/grafana-variables.js";
import type { PromQuery } from "../grafana/grafana-variables.js";
import { eventually, hasTool, startTestExporter, startTestSimulator } from "../helpers.js";
import { JOB, startPrometheus } from "./prometheus-harness.js";
import type { RunningPrometheus } from "./prometheus-harness.js";

// Only where a real Prometheus is there; under CI=true hasTool fails the file when it is not.
const enabled = hasTool("prometheus");
const TENANTS = 30;
const PARTNER = "0f0e0d0c-0b0a-4000-8000-000000000001";

// Alerts for the annotation queries: one of the exporter's job that they must show, and the ones
// they must not (another job, another team's alert name, an alert still pending).
const PROBE = "PartnerSecurityExporterDashboardProbe";
const RULES = stringify({
  groups: [
    {
      name: "dashboard-annotations",
      rules: [
        { alert: PROBE, expr: "max by (job) (partner_security_exporter_build_info)", labels: { severity: "warning" } },
        { alert: "PartnerSecurityExporterOtherJob", expr: 'label_replace(max by (job) (partner_security_exporter_build_info), "job", "other-exporter", "", "")' },
        { alert: "SomeOtherTeamsAlert", expr: "max by (job) (partner_security_exporter_build_info)" },
        { alert: "PartnerSecurityExporterPendingProbe", expr: "max by (job) (partner_security_exporter_build_info)", for: "1h" },
        { alert: "PartnerSecurityOtherPartnerProbe", expr: 'label_replace(max by (job) (partner_security_exporter_build_info), "partner_tenant_id", "another-partner", "", "")' },
        { alert: "PartnerSecurityCustomerProbe", expr: "max by (job, partner_tenant_id, customer_tenant_id) (partner_security_customer_users * on (job, instance) group_left (partner_tenant_id) partner_security_exporter_partner_info)" },
      ],
    },
  ],
});

let simulator: Simulator | undefined;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;
/** Per dashboard file: every variable at its default, formatted as Grafana interpolates it into PromQL. */
const defaults: Record<string, Record<string, string>> = {};
const dashboards = committedDashboards();

function running(): RunningPrometheus {
  if (!prometheus) throw new Error("Prometheus did not start");
  return prometheus;
}

/** A variable helper bound to this file's Prometheus. */
const query: PromQuery = (expr) => running().query(expr);
const pickerOptions = (variable: VariableJson, values: Record<string, string>) => variableOptions(variable, values, query);
const options = async (variable: VariableJson, values: Record<string, string>) => (await pickerOptions(variable, values)).map((option) => option.value);

beforeAll(async () => {
  if (!enabled) return;
  simulator = await startTestSimulator({ tenants: TENANTS, pageSize: 10, driftPeriodMs: 1e12 });
  // One throttled answer, so the throttling panels have a series to show.
  simulator.injectFault({ endpoint: "history", status: 429, retryAfter: 0, times: 1 });
  // Names from the GDAP customers, and with them the GDAP relationships; security alerts are on by default.
  exporter = await startTestExporter(simulator, { flags: { customerNames: "gdap" }, client: { tenantId: PARTNER }, retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 } });
  // The target labels prometheus-operator adds: its `endpoint` (the port name) pushes the exporter's
  // own to `exported_endpoint`, as under the chart.
  prometheus = await startPrometheus(new URL(exporter.url).host, { rules: RULES, targetLabels: { endpoint: "http", pod: "pse-0" } });
  const prom = prometheus;
  // Range functions need a few samples; refresh once more so the refresh histogram moves within the window.
  await eventually("three scrapes", async () => ((await prom.query(`count_over_time(up{job="${JOB}"}[1m]) >= 3`)).length > 0 ? true : undefined), 20_000);
  await exporter.poller.refreshNow();
  await eventually("a scrape after the second refresh", async () => ((await prom.query(`partner_security_exporter_refreshes_total{result="success"} == 2`)).length > 0 ? true : undefined), 20_000);
  // Then one refresh that fails on a lost permission, so the failure panels have something to show;
  // the data of the last success stays and is still fresh.
  simulator.injectFault({ endpoint: "securityScore", status: 403, times: 3 });
  await exporter.poller.refreshNow();
  simulator.clearFaults();
  await eventually("a scrape after the failed refresh", async () => ((await prom.query('partner_security_exporter_refresh_failure_reason{reason="forbidden"} == 1')).length > 0 ? true : undefined), 20_000);
  if ((await prom.query("max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0")).length === 0) throw new Error("the simulated tenants all have an MFA policy; pick another seed");
  await eventually("the probe alert firing", async () => ((await prom.query(`ALERTS{alertname="${PROBE}",alertstate="firing"}`)).length > 0 ? true : undefined), 20_000);
  for (const [file, dashboard] of dashboards) defaults[file] = await resolveDefaults(dashboard, query);
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await simulator?.close();
});

type Case = [name: string, file: string, expr: string, minInterval?: string];
/**
 * Columns the simulated data leaves empty: none of the simulated tenants' open alerts is informational
 * or of an unknown severity. They are still evaluated, so a query Prometheus refuses fails them.
 */
const EMPTY_IN_SIMULATION = /\/ ((Open security alerts by type|Customers with open security alerts, most severe first) \/ (informational|unknown)|Oldest open security alert \/ none)$/;
/** At least one series, except where the simulated data has none. */
function minimumRows(name: string): number {
  return EMPTY_IN_SIMULATION.test(name) ? 0 : 1;
}
const panelCases: Case[] = dashboards.flatMap(([file, dashboard]) =>
  panelsOf(dashboard).flatMap((panel) => (panel.targets ?? []).map((target): Case => [`${file} / ${panel.title} / ${target.refId}`, file, target.expr ?? "", panel.interval])),
);
const tableCases: Case[] = dashboards.flatMap(([file, dashboard]) =>
  panelsOf(dashboard)
    .filter((panel) => panel.type === "table")
    .flatMap((panel) => (panel.targets ?? []).map((target): Case => [`${file} / ${panel.title} / ${target.refId}`, file, target.expr ?? ""])),
);
const variableCases: Case[] = dashboards.flatMap(([file, dashboard]) =>
  dashboard.templating.list
    .filter((variable) => variable.type === "query")
    .map((variable): Case => {
      // label_values(selector, label) holds data exactly when count by (label) (selector) does.
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query ?? "");
      const result = /^query_result\((.+)\)$/.exec(variable.query ?? "");
      return [`${file} / variable ${variable.name}`, file, match ? `count by (${match[2]}) (${match[1]})` : (result?.[1] ?? variable.query ?? "")];
    }),
);

function panelExpr(file: string, title: string, refId: string): string {
  const dashboard = dashboards.find(([name]) => name === file)?.[1];
  const expr = dashboard && panelsOf(dashboard).find((panel) => panel.title === title)?.targets?.find((target) => target.refId === refId)?.expr;
  if (!expr) throw new Error(`no query ${refId} of ${title} in ${file}`);
  return expr;
}

describe.skipIf(!enabled)("every dashboard query against a real Prometheus that scraped the exporter", () => {
  it("the variables resolve through the chain: the partner from the info metric, its job and instance, cluster and namespace matching anything", () => {
    const values = defaults["partner-security-overview.json"] ?? {};
    expect(values).toMatchObject({ cluster: ".*", namespace: ".*", partner: ".*", job: `(${escapeValue(JOB)})`, instance: ".*" });
    expect(defaults["partner-security-customers.json"]).toMatchObject({ limit: "20", customer_tenant_id: expect.stringMatching(/^\(.+\)$/) });
  });

  it("the partner variable lists the exporter's partner tenant", async () => {
    const partner = dashboards[0]?.[1].templating.list.find((variable) => variable.name === "partner");
    if (!partner) throw new Error("no partner variable");
    expect(await options(partner, defaults[dashboards[0]?.[0] ?? ""] ?? {})).toEqual([PARTNER]);
  });

  it.each(variableCases)("%s lists values", async (_name, file, expr) => {
    const promql = substitute(expr, defaults[file] ?? {});
    expect(promql, "every variable resolved (label_replace's $1 and $2 are not ones)").not.toMatch(/\$(?![0-9])/);
    expect((await running().query(promql)).length, promql).toBeGreaterThan(0);
  });

  it.each(panelCases)("%s returns data, and never one series per tenant", async (name, file, expr, minInterval) => {
    const promql = substitute(expr, defaults[file] ?? {}, minInterval);
    expect(promql, "every variable resolved (label_replace's $1 and $2 are not ones)").not.toMatch(/\$(?![0-9])/);
    const result = await running().query(promql);
    expect(result.length, promql).toBeGreaterThanOrEqual(minimumRows(name));
    // 30 simulated tenants, 20 shown by default: a query per tenant would return 30.
    expect(result.length, promql).toBeLessThanOrEqual(20);
  });

  it.each(tableCases)("%s: rows name the partner tenant and not the pod address, so a replaced pod leaves no second row", async (name, file, expr) => {
    const result = await running().query(substitute(expr, defaults[file] ?? {}));
    expect(result.length).toBeGreaterThanOrEqual(minimumRows(name));
    for (const series of result) {
      expect(series.metric.partner_tenant_id).toBe(PARTNER);
      expect(series.metric).not.toHaveProperty("instance");
    }
  });

  it("the Graph endpoint panels name the Graph endpoint, not prometheus-operator's port name", async () => {
    const file = "partner-security-exporter-health.json";
    const dashboard = dashboards.find(([name]) => name === file)?.[1];
    const graphPanels = (dashboard ? panelsOf(dashboard) : []).filter((panel) => (panel.targets ?? []).some((target) => target.legendFormat?.includes("{{graph_endpoint}}")));
    expect(graphPanels.map((panel) => panel.title)).toHaveLength(4);
    for (const panel of graphPanels) {
      for (const target of panel.targets ?? []) {
        const result = await running().query(substitute(target.expr ?? "", defaults[file] ?? {}, panel.interval));
        expect(result.length, panel.title).toBeGreaterThan(0);
        for (const series of result) expect(GRAPH_ENDPOINTS, `${panel.title}: ${JSON.stringify(series.metric)}`).toContain(series.metric.graph_endpoint);
      }
    }
  });

  it("requirement links are never empty", async () => {
    const file = "partner-security-overview.json";
    const rows = await running().query(substitute(panelExpr(file, "Requirements", "F"), defaults[file] ?? {}));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect([row.metric.action_url, row.metric.help_url]).toEqual([expect.stringMatching(/^https:\/\//), expect.stringMatching(/^https:\/\//)]);
  });

  it("the worst-coverage table shows exactly the default 20 tenants, those with the lowest coverage, more users first among equals", async () => {
    const file = "partner-security-customers.json";
    const values = defaults[file] ?? {};
    const coverage = panelExpr(file, "Customer tenants, worst MFA coverage first", "D");
    const shown = await running().query(substitute(coverage, values));
    expect(shown).toHaveLength(20);
    const all = await running().query(substitute(coverage.slice(0, coverage.indexOf(" and bottomk ")), values));
    expect(all).toHaveLength(TENANTS);
    const users = new Map((await running().query(substitute(panelExpr(file, "Customer tenants, worst MFA coverage first", "C").split(" and bottomk ")[0] ?? "", values))).map((series) => [series.metric.customer_tenant_id, Number(series.value[1])]));
    const worstShown = Math.max(...shown.map((series) => Number(series.value[1])));
    const hidden = all.filter((series) => !shown.some((s) => s.metric.customer_tenant_id === series.metric.customer_tenant_id));
    expect(hidden).toHaveLength(TENANTS - 20);
    const fewestUsersShownAt = (value: number) => Math.min(...shown.filter((series) => Number(series.value[1]) === value).map((series) => users.get(series.metric.customer_tenant_id) ?? Number.NaN));
    for (const series of hidden) {
      expect(Number(series.value[1])).toBeGreaterThanOrEqual(worstShown);
      if (Number(series.value[1]) === worstShown) expect(users.get(series.metric.customer_tenant_id)).toBeLessThanOrEqual(fewestUsersShownAt(worstShown));
    }
  });

  it("tables name each customer: the name from the GDAP customers, the tenant id where none is known (and everywhere without names)", async () => {
    const file = "partner-security-customers.json";
    const values = defaults[file] ?? {};
    for (const title of ["Customer tenants, worst MFA coverage first", "Customers with open security alerts, most severe first", "Active GDAP relationships ending soonest, not auto-extending first"]) {
      const expr = panelExpr(file, title, "name");
      const rows = await running().query(substitute(expr, values));
      expect(rows.length, title).toBeGreaterThan(0);
      for (const row of rows) expect(row.metric.customer_name, title).toMatch(/\S/);
      // Without the info metric (PSE_CUSTOMER_NAMES=none) the same rows, each named by its tenant id.
      const unnamed = await running().query(substitute(expr.replaceAll("partner_security_customer_info{", "partner_security_customer_info_absent{"), values));
      expect(unnamed.map((row) => row.metric.customer_tenant_id).sort(), title).toEqual(rows.map((row) => row.metric.customer_tenant_id).sort());
      for (const row of unnamed) expect(row.metric.customer_name, title).toBe(row.metric.customer_tenant_id);
    }
    const worst = await running().query(substitute(panelExpr(file, "Customer tenants, worst MFA coverage first", "name"), values));
    expect(worst.some((row) => row.metric.customer_name !== row.metric.customer_tenant_id), "some simulated customers have a GDAP name").toBe(true);
  });

  it("the customer picker lists customers by name and selects their tenant ids", async () => {
    const file = "partner-security-customers.json";
    const picker = dashboards.find(([name]) => name === file)?.[1].templating.list.find((variable) => variable.name === "customer_tenant_id");
    if (!picker) throw new Error("no customer picker");
    const listed = await pickerOptions(picker, defaults[file] ?? {});
    expect(listed).toHaveLength(TENANTS);
    for (const option of listed) expect(option.value).toMatch(/^[0-9a-f-]{36}$/);
    expect(listed.some((option) => option.text !== option.value)).toBe(true);
    // "name (first 8 characters of the tenant id)", or the tenant id alone.
    for (const option of listed) if (option.text !== option.value) expect(option.text).toMatch(new RegExp(`^\\S.* \\(${option.value.slice(0, 8)}\\)$`, "s"));
    // A name with a newline is shortened too: `.` matches it in Prometheus 3 only, so the panels say (?s).
    expect(listed.filter((option) => option.text.includes("\n"))).toHaveLength(1);
  });

  it("GDAP: every relationship that does not auto-extend (or has ended) is shown before any that does, and marked as its auto_extend label says", async () => {
    const file = "partner-security-customers.json";
    const values = defaults[file] ?? {};
    const title = "Active GDAP relationships ending soonest, not auto-extending first";
    // Time left (A) where the relationship ends for good or has ended, Extends in (D) where it auto-extends: each shown row in exactly one.
    const urgent = await running().query(substitute(panelExpr(file, title, "A"), values));
    const extending = await running().query(substitute(panelExpr(file, title, "D"), values));
    const shown = [...urgent, ...extending];
    // The exporter's own word, read from the label: "false" and "unknown" do not auto-extend.
    const relationships = await running().query(`partner_security_gdap_relationship_end_timestamp_seconds{job="${JOB}"}`);
    const label = new Map(relationships.map((row) => [row.metric.relationship_id, row.metric.auto_extend]));
    expect(new Set(label.values()), "the simulator has relationships of every auto_extend value").toEqual(new Set(["true", "false", "unknown"]));
    const notExtending = relationships.filter((row) => row.metric.auto_extend !== "true").map((row) => row.metric.relationship_id);
    expect(notExtending.length).toBeGreaterThan(0);
    expect(urgent.length).toBeGreaterThan(0);
    const ids = new Set(shown.map((row) => row.metric.relationship_id));
    expect(ids.size, "no row in both time columns").toBe(shown.length);
    for (const row of extending) expect([label.get(row.metric.relationship_id), Number(row.value[1]) >= 0], row.metric.relationship_id).toEqual(["true", true]);
    for (const row of urgent) expect(label.get(row.metric.relationship_id) !== "true" || Number(row.value[1]) < 0, row.metric.relationship_id).toBe(true);
    // Not-extending first: all of them shown when they fit, else nothing but them.
    if (notExtending.length <= shown.length) for (const id of notExtending) expect(ids.has(id), id).toBe(true);
    else expect(extending).toEqual([]);
    // The Auto-extends column of each shown row: -1 ended (past its end), else 0 no, 1 unknown, 2 yes.
    const marked = await running().query(substitute(panelExpr(file, title, "B"), values));
    const ended = new Set(urgent.filter((row) => Number(row.value[1]) < 0).map((row) => row.metric.relationship_id));
    const expected: Record<string, string> = { false: "0", unknown: "1", true: "2" };
    expect(marked.map((row) => row.metric.relationship_id).sort()).toEqual([...ids].sort());
    for (const row of marked) expect(row.value[1], row.metric.relationship_id).toBe(ended.has(row.metric.relationship_id) ? "-1" : expected[label.get(row.metric.relationship_id) ?? ""]);
  });

  it("security alerts: ages are ages, test alerts are counted apart", async () => {
    const file = "partner-security-overview.json";
    const values = defaults[file] ?? {};
    const ages = await running().query(substitute(panelExpr(file, "Oldest open security alert", "A"), values));
    expect(ages.length).toBeGreaterThan(0);
    for (const age of ages) expect(Number(age.value[1])).toBeGreaterThan(0);
    for (const age of ages) expect(Number(age.value[1])).toBeLessThan(365 * 86_400);
    const tests = await running().query(substitute(panelExpr(file, "Test security alerts", "A"), values));
    expect(Number(tests[0]?.value[1])).toBeGreaterThan(0);
  });

  it.each(dashboards)("%s: the stale-data banner reads fresh, and no data when no exporter is selected", async (file, dashboard) => {
    const expr = dashboard.panels[0]?.targets?.[0]?.expr ?? "";
    expect((await running().query(substitute(expr, defaults[file] ?? {}))).map((series) => series.value[1])).toEqual(["0"]);
    expect((await running().query(substitute(expr, { ...defaults[file], job: "no-such-job" }))).map((series) => series.value[1])).toEqual(["2"]);
  });

  it.each(dashboards)("%s: the alert annotation shows the firing alert of the exporter's job, not other jobs, partners, tenants, teams or pending alerts", async (file, dashboard) => {
    const expr = dashboard.annotations.list?.find((annotation) => annotation.expr?.startsWith("ALERTS"))?.expr ?? "";
    const result = await running().query(substitute(expr, { ...defaults[file], partner: `(${escapeValue(PARTNER)})` }));
    expect(result.map((series) => [series.metric.alertname, series.metric.job])).toEqual([[PROBE, JOB]]);
  });

  it("the customers dashboard's tenant annotation shows the alerts of the picked tenant only", async () => {
    const file = "partner-security-customers.json";
    const values = defaults[file] ?? {};
    const expr = dashboards.find(([name]) => name === file)?.[1].annotations.list?.find((annotation) => annotation.name === "Alerts of the picked tenants")?.expr ?? "";
    await eventually("the per-tenant probe firing", async () => ((await running().query('count(ALERTS{alertname="PartnerSecurityCustomerProbe",alertstate="firing"})')).length > 0 ? true : undefined), 20_000);
    const result = await running().query(substitute(expr, values));
    expect(result.map((series) => [series.metric.alertname, `(${escapeValue(series.metric.customer_tenant_id ?? "")})`])).toEqual([["PartnerSecurityCustomerProbe", values.customer_tenant_id]]);
  });

  // Last: it stops the exporter.
  it.each(dashboards.slice(0, 1))("%s: the stale-data banner turns red when the exporter is down, its own series gone", async (file, dashboard) => {
    const expr = substitute(dashboard.panels[0]?.targets?.[0]?.expr ?? "", defaults[file] ?? {});
    await exporter?.close();
    await eventually("the banner reading stale", async () => ((await running().query(expr))[0]?.value[1] === "1" ? true : undefined), 20_000);
    expect(await running().query(`up{job="${JOB}"}`)).toMatchObject([{ value: [expect.any(Number), "0"] }]);
  });
});

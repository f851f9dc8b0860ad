import { describe, expect, it } from "vitest";
import { SETTINGS, parseDuration } from "../../src/config.js";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { GRAFANA_DEFAULT_THRESHOLDS, colourAt, columnOf, committedDashboards, dashboardNamed, fieldOf, mappingsOf, panelNamed, panelsOf } from "./dashboard-model.js";
import type { FieldJson } from "./dashboard-model.js";
import { tenantBounded } from "./tenant-bounds.js";

// What the panels mean once drawn: colours at given values, units, the banner, the alert
// annotations, and that no default query returns one series per customer tenant.
const dashboards = committedDashboards();
const PER_TENANT = new Set(GRAPH_METRICS.filter((row) => row.labelNames.includes("customer_tenant_id")).map((row) => row.name));
const DAY = 86_400;

const dashboard = dashboardNamed;
const panel = panelNamed;
/** The field options of one query of a panel. */
function field(file: string, title: string, refId = "A"): FieldJson {
  const p = panel(file, title);
  const target = p.targets?.find((t) => t.refId === refId);
  if (!target) throw new Error(`no query ${refId} in ${title}`);
  return fieldOf(p, target);
}
/** Colours at the given values, to compare with what a reader should see. */
function colours(f: FieldJson, values: number[]): string[] {
  return values.map((value) => colourAt(f, value));
}
function isNeutral(f: FieldJson): boolean {
  return [0, 1, 79, 80, 100, 1e6].every((value) => colourAt(f, value) === "text");
}
const OVERVIEW = "partner-security-overview.json";
const CUSTOMERS = "partner-security-customers.json";
const HEALTH = "partner-security-exporter-health.json";

describe("customer tenant picker", () => {
  const variables = dashboard(CUSTOMERS).templating.list;

  it("has no All and does not default to it: Grafana starts on one tenant", () => {
    const tenant = variables.find((v) => v.name === "customer_tenant_id");
    expect(tenant).toMatchObject({ type: "query", includeAll: false });
    expect(tenant?.current).toBeUndefined();
  });

  it("the number of tenants the all-tenant tables show is a variable, 20 by default", () => {
    const limit = variables.find((v) => v.name === "limit");
    expect(limit).toMatchObject({ type: "custom", current: { value: "20" }, includeAll: false, multi: false });
    expect(limit?.query?.split(",")).toContain("20");
  });
});

describe("no default query draws one series per customer tenant", () => {
  it("the checker tells bounded queries from per-tenant ones", () => {
    const users = 'partner_security_customer_users{job=~"$job"}';
    const picked = 'partner_security_customer_users{job=~"$job",customer_tenant_id=~"$customer_tenant_id"}';
    expect(tenantBounded(users, PER_TENANT)).toBe(false);
    expect(tenantBounded(`max by (job, customer_tenant_id) (${users}) == 0`, PER_TENANT)).toBe(false);
    expect(tenantBounded(`max without (policy) (${users})`, PER_TENANT)).toBe(false);
    expect(tenantBounded(`topk(10, ${users})`, PER_TENANT)).toBe(false);
    expect(tenantBounded(`${users} / ${picked}`, PER_TENANT)).toBe(false);
    expect(tenantBounded(picked, PER_TENANT)).toBe(true);
    expect(tenantBounded(`topk($limit, ${users})`, PER_TENANT)).toBe(true);
    expect(tenantBounded(`max by (job, customer_tenant_id) (${users}) and bottomk($limit, ${users})`, PER_TENANT)).toBe(true);
    expect(tenantBounded(`count(${users} == 0) or vector(0)`, PER_TENANT)).toBe(true);
    expect(tenantBounded(`sum by (job) (${users})`, PER_TENANT)).toBe(true);
    expect(tenantBounded('partner_security_customer_tenants{job=~"$job"}', PER_TENANT)).toBe(true);
  });

  it.each(dashboards)("%s: every panel query is cut to $limit tenants, to the picked tenants or aggregated", (_file, d) => {
    for (const p of panelsOf(d)) for (const target of p.targets ?? []) expect(tenantBounded(target.expr ?? "", PER_TENANT), `${p.title} / ${target.refId}: ${target.expr}`).toBe(true);
  });
});

const STAT_LIKE = new Set(["stat", "gauge"]);
const DEFAULT_REFRESH_MS = parseDuration(SETTINGS.find((setting) => setting.key === "refreshInterval")?.fallback ?? "") ?? Number.NaN;

describe.each(dashboards)("%s: what the panels show once an exporter is gone or replaced", (_file, d) => {
  it("every stat and gauge asks for the value now (an instant query): a stopped exporter's tile empties instead of freezing on its last value", () => {
    for (const p of panelsOf(d).filter((candidate) => STAT_LIKE.has(candidate.type))) for (const target of p.targets ?? []) expect(target.instant, `${p.title} / ${target.refId}`).toBe(true);
  });

  it("stats, gauges and tables over Graph data aggregate the instance away and name the partner tenant", () => {
    const graphMetric = /\bpartner_security_(?!exporter_)[a-z_]+\{/;
    for (const p of panelsOf(d).filter((candidate) => STAT_LIKE.has(candidate.type) || candidate.type === "table")) {
      for (const target of p.targets ?? []) {
        const expr = target.expr ?? "";
        if (!graphMetric.test(expr)) continue;
        const where = `${p.title} / ${target.refId}: ${expr}`;
        expect(expr, where).toMatch(/(?:max|sum) by \(cluster, namespace, job, partner_tenant_id[,)]/);
        if (p.type !== "table") expect(target.legendFormat, where).toContain("{{partner_tenant_id}}");
      }
    }
  });

  it("rates over counters that move once per refresh use a window of at least two default refresh intervals", () => {
    for (const p of panelsOf(d)) {
      if (!(p.targets ?? []).some((target) => target.expr?.includes("$__rate_interval"))) continue;
      expect(p.interval, p.title).toBeDefined();
      expect(parseDuration(p.interval ?? ""), p.title).toBeGreaterThanOrEqual(2 * DEFAULT_REFRESH_MS);
    }
  });

  it("shares divide only by a denominator above 0: no NaN or infinite percentage", () => {
    for (const p of panelsOf(d).filter((candidate) => candidate.fieldConfig?.defaults?.unit === "percentunit" && STAT_LIKE.has(candidate.type))) {
      for (const target of p.targets ?? []) expect(target.expr, p.title).toMatch(/ \/ \(partner_security_[a-z_]+\{[^}]*\} > 0\)/);
    }
  });

  it("every time series and state timeline names its lines in a visible legend, and the tooltip lists them all", () => {
    for (const p of panelsOf(d).filter((candidate) => candidate.type === "timeseries" || candidate.type === "state-timeline")) {
      expect(p.options?.legend, p.title).toMatchObject({ showLegend: true, displayMode: "list" });
      expect(p.options?.tooltip, p.title).toMatchObject({ mode: "multi" });
    }
  });

  it("series of the exporter's endpoint label are read through graph_endpoint, which survives prometheus-operator's own endpoint label", () => {
    const withEndpoint = new Set(["partner_security_exporter_endpoint_available", "partner_security_exporter_graph_requests_total", "partner_security_exporter_graph_retries_total", "partner_security_exporter_graph_request_duration_seconds_bucket"]);
    for (const p of panelsOf(d)) {
      for (const target of p.targets ?? []) {
        const expr = target.expr ?? "";
        if (![...withEndpoint].some((metric) => expr.includes(`${metric}{`))) continue;
        expect(expr, p.title).toContain('"graph_endpoint", "$1", "exported_endpoint", "(.+)")');
        expect(target.legendFormat, p.title).not.toMatch(/\{\{endpoint\}\}/);
      }
    }
  });

  it("no two panels share a title, so a link or a reader names exactly one", () => {
    const titles = panelsOf(d).map((p) => p.title);
    expect(titles.filter((title, index) => titles.indexOf(title) !== index)).toEqual([]);
  });

  it("MFA policy states (0/1) are drawn as states, never as lines in a palette colour", () => {
    for (const p of panelsOf(d)) if (mappingsOf(p).some(([, text]) => text === "enabled")) expect(["stat", "table", "state-timeline"], p.title).toContain(p.type);
  });
});

describe.each(dashboards)("%s: colours", (_file, d) => {
  it("every stat and gauge field has explicit thresholds (never Grafana's green < 80 < red), a colour mode and a unit", () => {
    for (const p of panelsOf(d).filter((candidate) => STAT_LIKE.has(candidate.type))) {
      for (const target of p.targets ?? []) {
        const f = fieldOf(p, target);
        const where = `${p.title} / ${target.refId}`;
        expect(f.thresholds, where).toBeDefined();
        expect(f.thresholds, where).not.toEqual(GRAFANA_DEFAULT_THRESHOLDS);
        expect(f.thresholds?.steps.some((step) => step.value === 80), where).toBe(false);
        expect(["fixed", "thresholds"], where).toContain(f.color?.mode);
        expect(f.unit, where).toBeTruthy();
      }
      expect(p.options?.colorMode ?? "value", p.title).toBeTruthy();
    }
  });

  it("tables set explicit thresholds, and every coloured column says which way is bad", () => {
    for (const p of panelsOf(d).filter((candidate) => candidate.type === "table")) {
      expect(p.fieldConfig?.defaults?.thresholds, p.title).toBeDefined();
      expect(p.fieldConfig?.defaults?.thresholds, p.title).not.toEqual(GRAFANA_DEFAULT_THRESHOLDS);
      for (const override of p.fieldConfig?.overrides ?? []) {
        const column = columnOf(p, override.matcher.options ?? "");
        if (column.cellType?.startsWith("color")) expect((column.mappings?.length ?? 0) > 0 || (column.thresholds !== undefined && column.color?.mode === "thresholds"), `${p.title} / ${override.matcher.options}`).toBe(true);
      }
    }
  });

  it("MFA policies on or off carry no red: security defaults, Conditional Access and per-user MFA exclude each other", () => {
    for (const p of panelsOf(d)) {
      for (const [value, text, color] of mappingsOf(p)) if (text === "enabled" || text === "disabled") expect(color, `${p.title}: ${value} -> ${text}`).not.toMatch(/red/);
    }
  });

  it("starts with a stale-data banner: green when fresh, red when older than twice the refresh interval or when no exporter answers", () => {
    const banner = d.panels[0];
    if (!banner) throw new Error("no panels");
    expect(banner).toMatchObject({ type: "stat", title: "Data freshness", gridPos: { x: 0, y: 0, w: 24 }, options: { colorMode: "background" } });
    const expr = banner.targets?.[0]?.expr ?? "";
    // The freshest pod per partner deployment against twice its interval, or any target down.
    expect(expr.startsWith("max((time() - max by (cluster, namespace, job, partner_tenant_id) (last_over_time(partner_security_exporter_last_success_timestamp_seconds{"), expr).toBe(true);
    for (const part of ["[1d])", 'last_over_time(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",partner_tenant_id=~"$partner"}[1d])', ") > bool (2 * max by (cluster, namespace, job, partner_tenant_id) (last_over_time(partner_security_exporter_refresh_interval_seconds{", " or (1 - max by (cluster, namespace, job, instance) (up{"]) expect(expr).toContain(part);
    expect(expr.endsWith(")) or vector(2)"), expr).toBe(true);
    expect(banner.targets?.[0]?.instant, "the banner tells the state now").toBe(true);
    const f = fieldOf(banner, banner.targets?.[0] ?? {});
    expect(colours(f, [0, 1, 2])).toEqual(["green", "red", "red"]);
    expect(mappingsOf(banner).map(([value, text]) => [value, text.split(":")[0]])).toEqual([
      ["0", "Data is fresh"],
      ["1", "Data is stale"],
      ["2", "No data"],
    ]);
  });

  it("marks firing PartnerSecurity alerts of the selected jobs, partners and instances as annotations, leaving per-tenant alerts out", () => {
    const annotation = (d.annotations.list ?? []).find((a) => a.expr?.startsWith("ALERTS{"));
    expect(annotation).toMatchObject({ enable: true, datasource: { type: "prometheus", uid: "${datasource}" }, titleFormat: "{{alertname}}" });
    for (const matcher of ['alertstate="firing"', 'job=~"$job"', 'partner_tenant_id=~"$partner|"', 'instance=~"$instance|"', 'customer_tenant_id=""']) expect(annotation?.expr).toContain(matcher);
    const alertname = /alertname=~"([^"]+)"/.exec(annotation?.expr ?? "")?.[1] ?? "";
    expect(new RegExp(`^(?:${alertname})$`).test("SomeOtherTeamsAlert")).toBe(false);
  });
});

describe("what each colour means", () => {
  it("score, % of max: red below the PartnerSecurityScoreLow threshold of 70%, orange below 90%, green from 90%", () => {
    const f = field(OVERVIEW, "Score, % of max");
    expect(f).toMatchObject({ unit: "percentunit", min: 0, max: 1, color: { mode: "thresholds" } });
    expect(f.thresholds?.steps).toEqual([
      { value: null, color: "red" },
      { value: 0.7, color: "orange" },
      { value: 0.9, color: "green" },
    ]);
    expect(colours(f, [0.3, 0.69, 0.7, 0.89, 0.95, 1])).toEqual(["red", "red", "orange", "orange", "green", "green"]);
  });

  it("the raw score and its max are neutral: 95 of 100 is not drawn red, 60 not green", () => {
    expect(isNeutral(field(OVERVIEW, "Score", "A"))).toBe(true);
    expect(isNeutral(field(OVERVIEW, "Score", "B"))).toBe(true);
  });

  it("ages of Microsoft's daily evaluation are green when fresh, yellow after 2 days, red after a week; the age of the last change is neutral", () => {
    for (const [title, refId] of [
      ["Last checked by Microsoft", "A"],
      ["Compliant requirements (latest history entry)", "C"],
    ] as const) {
      const f = field(OVERVIEW, title, refId);
      expect(f.unit, title).toBe("s");
      expect(colours(f, [60, DAY, 3 * DAY, 8 * DAY]), title).toEqual(["green", "green", "yellow", "red"]);
    }
    expect(panel(OVERVIEW, "Last checked by Microsoft").targets?.[0]?.expr).toMatch(/^max by \(cluster, namespace, job, partner_tenant_id\) \(\(time\(\) - partner_security_score_last_refresh_timestamp_seconds/);
    expect(isNeutral(field(OVERVIEW, "Last checked by Microsoft", "B"))).toBe(true);
    expect(isNeutral(field(OVERVIEW, "Compliant requirements (latest history entry)", "A"))).toBe(true);
    expect(isNeutral(field(OVERVIEW, "Compliant requirements (latest history entry)", "B"))).toBe(true);
  });

  it("data age, in refresh intervals: green when fresh, yellow when a refresh is late, red from twice the interval (PartnerSecurityExporterDataStale)", () => {
    const p = panel(HEALTH, "Data age");
    // No age before the first success (the timestamp is 0 then): not "56 years".
    expect(p.targets?.find((t) => t.refId === "B")?.expr).toMatch(/^\(\(time\(\) - \(partner_security_exporter_last_success_timestamp_seconds\{.*\} > 0\)\) \/ partner_security_exporter_refresh_interval_seconds\{/);
    expect(colours(field(HEALTH, "Data age", "B"), [0, 0.9, 1.3, 2, 50])).toEqual(["green", "green", "yellow", "red", "red"]);
    for (const refId of ["A", "C", "D"]) expect(isNeutral(field(HEALTH, "Data age", refId)), refId).toBe(true);
    expect(field(HEALTH, "Data age", "A").unit).toBe("s");
  });

  it("counts are neutral unless any is a problem: admins and users required to use MFA but not using it are green at 0, red from 1", () => {
    for (const refId of ["A", "B", "D", "E"]) expect(isNeutral(field(OVERVIEW, "Partner admins and users with MFA", refId)), refId).toBe(true);
    for (const refId of ["C", "F"]) expect(colours(field(OVERVIEW, "Partner admins and users with MFA", refId), [0, 1, 5]), refId).toEqual(["green", "red", "red"]);
    expect(colours(field(CUSTOMERS, "Customer tenants at risk", "A"), [0, 1, 500])).toEqual(["green", "red", "red"]);
    expect(colours(field(CUSTOMERS, "Customer tenants at risk", "B"), [0, 1, 500])).toEqual(["green", "orange", "orange"]);
    expect(isNeutral(field(HEALTH, "Series and validation warnings", "A"))).toBe(true);
    expect(colours(field(HEALTH, "Series and validation warnings", "B"), [0, 1, 9])).toEqual(["green", "orange", "orange"]);
    expect(colours(field(HEALTH, "Consecutive failed refreshes"), [0, 1, 2, 7])).toEqual(["green", "yellow", "red", "red"]);
    expect(colours(field(HEALTH, "Last refresh"), [1, 0])).toEqual(["green", "red"]);
  });

  it("MFA policies: enabled and disabled are neutral text; only no MFA policy at all is red", () => {
    const policies = field(OVERVIEW, "Partner tenant MFA policies", "A");
    expect(colours(policies, [0, 1]).filter((color) => color === "red")).toEqual([]);
    const any = field(OVERVIEW, "Partner tenant MFA policies", "B");
    expect(colours(any, [0, 1])).toEqual(["red", "green"]);
    const table = panel(CUSTOMERS, "Customer tenants, worst MFA coverage first");
    for (const column of ["Security defaults", "Conditional Access", "Per-user MFA"]) expect(colours(columnOf(table, column), [0, 1]), column).toEqual(["text", "blue"]);
    expect(colours(columnOf(table, "Any MFA policy"), [0, 1])).toEqual(["red", "green"]);
    expect(colours(columnOf(table, "MFA coverage"), [0.1, 0.6, 0.95, 1])).toEqual(["red", "orange", "yellow", "green"]);
  });

  it("percentages of customers are red when low and green at 100%; the alert response time is red from the 24h limit", () => {
    expect(colours(field(OVERVIEW, "Customers with a spending budget"), [0.5, 0.85, 1])).toEqual(["red", "orange", "green"]);
    expect(colours(field(OVERVIEW, "MFA-compliant customer tenants"), [0.5, 0.95, 1])).toEqual(["red", "orange", "green"]);
    expect(colours(field(OVERVIEW, "Average security alert response time"), [3600, 13 * 3600, DAY, 2 * DAY])).toEqual(["green", "orange", "red", "red"]);
  });
});

describe("alert annotations per dashboard", () => {
  const alertnames = (file: string) => new RegExp(`^(?:${/alertname=~"([^"]+)"/.exec(dashboard(file).annotations.list?.[0]?.expr ?? "")?.[1] ?? ""})$`);

  it("the overview marks every PartnerSecurity alert, the customers dashboard customer and exporter alerts, exporter health the exporter's", () => {
    expect(["PartnerSecurityScoreLow", "PartnerSecurityCustomerTenantLostMfaPolicy", "PartnerSecurityExporterDown"].every((name) => alertnames(OVERVIEW).test(name))).toBe(true);
    expect(["PartnerSecurityCustomerMfaCoverageDropped", "PartnerSecurityExporterDataStale"].every((name) => alertnames(CUSTOMERS).test(name))).toBe(true);
    expect(alertnames(CUSTOMERS).test("PartnerSecurityScoreLow")).toBe(false);
    expect(alertnames(HEALTH).test("PartnerSecurityExporterAccessDenied")).toBe(true);
    expect(alertnames(HEALTH).test("PartnerSecurityScoreLow")).toBe(false);
  });

  it("the customers dashboard adds the alerts of the picked tenants, and only of them", () => {
    const tenant = dashboard(CUSTOMERS).annotations.list?.find((a) => a.expr?.includes('customer_tenant_id=~"$customer_tenant_id"'));
    expect(tenant).toMatchObject({ enable: true, name: "Alerts of the picked tenants" });
    expect(tenant?.expr).toContain('alertname=~"PartnerSecurityCustomer.*"');
  });
});

describe("small things a reader trips over", () => {
  it("a max staleness of 0 reads as never dropped, not as 0 seconds", () => {
    expect(mappingsOf(panel(HEALTH, "Data age")).filter(([value]) => value === "0").map(([, text]) => text)).toEqual(["never dropped"]);
  });

  it("requirement links fall back to the partner security score documentation where Graph gives none", () => {
    const info = panel(OVERVIEW, "Requirements").targets?.find((t) => t.refId === "F")?.expr ?? "";
    for (const label of ["action_url", "help_url"]) expect(info).toContain(`"${label}", "https://learn.microsoft.com/partner-center/security/partner-security-score", "${label}", "")`);
  });

  it("the worst-coverage table breaks ties by user count, far below a visible coverage difference", () => {
    const coverage = panel(CUSTOMERS, "Customer tenants, worst MFA coverage first").targets?.find((t) => t.refId === "D")?.expr ?? "";
    expect(coverage).toMatch(/ and bottomk by \(cluster, namespace, job, partner_tenant_id\) \(\$limit, .+ - max by \(cluster, namespace, job, partner_tenant_id, customer_tenant_id\) \(.*partner_security_customer_users\{.*\) \* 1e-12\)$/);
  });
});

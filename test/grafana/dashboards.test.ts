import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildDashboards, serialize } from "../../grafana/src/dashboards.js";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { DASHBOARD_DIR, committedDashboards, exprsOf, metricNames, panelsOf } from "./dashboard-model.js";

const DOCS = readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
const dashboards = committedDashboards();

describe("dashboards as code", () => {
  it("the committed JSON is exactly what `npm run dashboards` generates", () => {
    const generated = buildDashboards();
    expect(Object.keys(generated).sort()).toEqual(dashboards.map(([file]) => file));
    for (const [file, generatedDashboard] of Object.entries(generated)) {
      expect(readFileSync(new URL(file, DASHBOARD_DIR), "utf8"), `${file} is stale: run npm run dashboards`).toBe(serialize(generatedDashboard));
    }
  });

  it("has unique uids and links the three dashboards by tag", () => {
    expect(new Set(dashboards.map(([, d]) => d.uid)).size).toBe(3);
    for (const [, d] of dashboards) {
      expect(d.tags).toContain("partner-security");
      expect(d.links).toContainEqual(expect.objectContaining({ type: "dashboards", tags: ["partner-security"] }));
    }
  });
});

const SELECTOR = /\b((?:partner_security|process|nodejs)_[a-z0-9_]+)(\{[^}]*\})?/g;

// The rules of Grafana's dashboard-linter that apply here, checked directly: the linter itself
// cannot be installed on these machines (its Go module is refused by the module proxy).
describe.each(dashboards)("%s follows the dashboard-linter rules", (_file, d) => {
  const variables = d.templating.list;

  it("template-datasource-rule: a `datasource` variable of type prometheus", () => {
    expect(variables.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
  });

  it.each(["job", "instance"])("template-%s-rule: a multi-value `%s` query variable on ${datasource}", (name) => {
    expect(variables.find((v) => v.name === name)).toMatchObject({ type: "query", multi: true, includeAll: true, datasource: { uid: "${datasource}" } });
  });

  it("panel-datasource-rule: every panel and target queries ${datasource}", () => {
    for (const p of panelsOf(d)) {
      expect(p.datasource?.uid, p.title).toBe("${datasource}");
      for (const target of p.targets ?? []) expect(target.datasource?.uid, p.title).toBe("${datasource}");
    }
  });

  it("panel-title-description-rule and panel-units-rule: every panel has a title, a description and a unit", () => {
    for (const p of panelsOf(d)) {
      expect(p.title?.length, JSON.stringify(p.title)).toBeGreaterThan(3);
      expect(p.description?.length, p.title).toBeGreaterThan(20);
      expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
    }
  });

  it("target-job-rule and target-instance-rule: every selector of a panel or the tenant variable filters by $cluster, $namespace, $job and $instance", () => {
    const tenantVariable = variables.filter((v) => v.name === "customer_tenant_id").map((v) => v.query ?? "");
    for (const expr of [...exprsOf(d), ...tenantVariable]) {
      for (const match of expr.matchAll(SELECTOR)) {
        for (const matcher of ['cluster=~"$cluster"', 'namespace=~"$namespace"', 'job=~"$job"', 'instance=~"$instance"']) expect(match[2], `${match[1]} in ${expr}`).toContain(matcher);
      }
    }
  });

  it("target-rate-interval-rule: range functions use $__rate_interval", () => {
    for (const expr of exprsOf(d)) {
      for (const match of expr.matchAll(/\b(rate|irate|increase)\([^[]*\[([^\]]+)\]/g)) expect(match[2], expr).toBe("$__rate_interval");
    }
  });
});

describe.each(dashboards)("%s: variables", (_file, d) => {
  const variables = d.templating.list;
  const byName = (name: string) => variables.find((v) => v.name === name);
  const ALL = { text: ["All"], value: ["$__all"] };

  it("cluster and namespace come from the exporter's series, chained, and their All also matches a Prometheus without those labels", () => {
    expect(byName("cluster")).toMatchObject({ type: "query", query: "label_values(partner_security_exporter_build_info, cluster)", includeAll: true, allValue: ".*", current: ALL });
    expect(byName("namespace")).toMatchObject({ type: "query", query: 'label_values(partner_security_exporter_build_info{cluster=~"$cluster"}, namespace)', includeAll: true, allValue: ".*", current: ALL });
    // An absent label reads as "": only a pattern that matches "" keeps such series.
    expect(new RegExp(`^(?:${byName("cluster")?.allValue ?? ""})$`).test("")).toBe(true);
  });

  it("partner lists the partner tenants of partner_security_exporter_partner_info; job and instance are chained on it", () => {
    expect(byName("partner")).toMatchObject({ query: 'label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace"}, partner_tenant_id)', includeAll: true, current: ALL });
    expect(byName("job")?.query).toBe('label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace",partner_tenant_id=~"$partner"}, job)');
    expect(byName("instance")?.query).toBe('label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace",partner_tenant_id=~"$partner",job=~"$job"}, instance)');
    // With a custom allValue on job ("All" = ".*") the panels would select every job of the Prometheus.
    expect(byName("job")?.allValue).toBeUndefined();
    // The instance's All matches any instance of those jobs, so a pod not scraped successfully yet
    // (so not listed) still counts; the partner choice reaches every panel through the info metric.
    expect(byName("instance")?.allValue).toBe(".*");
  });

  it("every variable a query uses is defined before it (the chain resolves in order)", () => {
    variables.forEach((variable, index) => {
      for (const [, used] of (variable.query ?? "").matchAll(/\$([A-Za-z_]\w*)/g)) expect(variables.slice(0, index).map((v) => v.name), `${variable.name} uses $${used}`).toContain(used);
    });
  });
});

describe("metric coverage", () => {
  const used = new Set(dashboards.flatMap(([, d]) => exprsOf(d).flatMap(metricNames)));

  it("uses only metrics that docs/metrics.md lists", () => {
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      const documented = DOCS.includes(`\`${name}\``) || DOCS.includes(`\`${base}\``) || /^(process|nodejs)_/.test(name);
      expect(documented, name).toBe(true);
    }
  });

  it("shows every Graph-derived metric in at least one panel", () => {
    expect(GRAPH_METRICS.map((row) => row.name).filter((name) => !used.has(name))).toEqual([]);
  });
});

describe("Grafana provisioning", () => {
  it("provisions a Prometheus data source and the dashboards folder", () => {
    const datasources = parse(readFileSync(new URL("../../grafana/provisioning/datasources/prometheus.yml", import.meta.url), "utf8")) as {
      apiVersion: number;
      datasources: Array<{ type: string; uid: string; url: string }>;
    };
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources[0]).toMatchObject({ type: "prometheus", uid: "prometheus" });
    const providers = parse(readFileSync(new URL("../../grafana/provisioning/dashboards/partner-security.yml", import.meta.url), "utf8")) as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers[0]).toMatchObject({ type: "file", options: { path: "/var/lib/grafana/dashboards/partner-security" } });
  });
});

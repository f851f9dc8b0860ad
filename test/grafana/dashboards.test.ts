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
    for (const [file, dashboard] of Object.entries(generated)) {
      expect(readFileSync(new URL(file, DASHBOARD_DIR), "utf8"), `${file} is stale: run npm run dashboards`).toBe(serialize(dashboard));
    }
  });

  it("has unique uids and links the three dashboards by tag", () => {
    expect(new Set(dashboards.map(([, d]) => d.uid)).size).toBe(3);
    for (const [, dashboard] of dashboards) {
      expect(dashboard.tags).toContain("partner-security");
      expect(dashboard.links).toContainEqual(expect.objectContaining({ type: "dashboards", tags: ["partner-security"] }));
    }
  });
});

// The rules of Grafana's dashboard-linter that apply here, checked directly: the linter itself
// cannot be installed on these machines (its Go module is refused by the module proxy).
describe.each(dashboards)("%s follows the dashboard-linter rules", (_file, dashboard) => {
  const variables = dashboard.templating.list;

  it("template-datasource-rule: a `datasource` variable of type prometheus", () => {
    expect(variables.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
  });

  it.each(["job", "instance"])("template-%s-rule: a multi-value `%s` query variable on ${datasource}", (name) => {
    expect(variables.find((v) => v.name === name)).toMatchObject({ type: "query", multi: true, includeAll: true, datasource: { uid: "${datasource}" } });
  });

  it("panel-datasource-rule: every panel and target queries ${datasource}", () => {
    for (const panel of panelsOf(dashboard)) {
      expect(panel.datasource?.uid, panel.title).toBe("${datasource}");
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe("${datasource}");
    }
  });

  it("panel-title-description-rule and panel-units-rule: every panel has a title, a description and a unit", () => {
    for (const panel of panelsOf(dashboard)) {
      expect(panel.title?.length, JSON.stringify(panel.title)).toBeGreaterThan(3);
      expect(panel.description?.length, panel.title).toBeGreaterThan(20);
      expect(panel.fieldConfig?.defaults?.unit, panel.title).toBeTruthy();
    }
  });

  it("target-job-rule and target-instance-rule: every selector filters by $job and $instance", () => {
    for (const expr of exprsOf(dashboard)) {
      for (const match of expr.matchAll(/\b((?:partner_security|process|nodejs)_[a-z0-9_]+)(\{[^}]*\})?/g)) {
        expect(match[2], `${match[1]} in ${expr}`).toContain('job=~"$job"');
        expect(match[2], `${match[1]} in ${expr}`).toContain('instance=~"$instance"');
      }
    }
  });

  it("target-rate-interval-rule: range functions use $__rate_interval", () => {
    for (const expr of exprsOf(dashboard)) {
      for (const match of expr.matchAll(/\b(rate|irate|increase)\([^[]*\[([^\]]+)\]/g)) expect(match[2], expr).toBe("$__rate_interval");
    }
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

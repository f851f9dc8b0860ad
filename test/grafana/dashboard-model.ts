import { readFileSync, readdirSync } from "node:fs";

/** The parts of a dashboard JSON the tests read. */
export interface PanelJson {
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string }; format?: string; instant?: boolean }>;
  fieldConfig?: { defaults?: { unit?: string } };
  panels?: PanelJson[];
}
export interface VariableJson {
  type: string;
  name: string;
  query?: string;
  datasource?: { uid?: string };
  multi?: boolean;
  includeAll?: boolean;
}
export interface DashboardJson {
  uid: string;
  title: string;
  description?: string;
  tags: string[];
  links: Array<{ type: string; tags: string[] }>;
  templating: { list: VariableJson[] };
  panels: PanelJson[];
}

export const DASHBOARD_DIR = new URL("../../grafana/dashboards/", import.meta.url);

export function committedDashboards(): Array<[string, DashboardJson]> {
  return readdirSync(DASHBOARD_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(new URL(file, DASHBOARD_DIR), "utf8")) as DashboardJson]);
}

export function panelsOf(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== "row");
}

export function exprsOf(dashboard: DashboardJson): string[] {
  return panelsOf(dashboard).flatMap((panel) => (panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : [])));
}

/** Metric names in a PromQL expression (the project's and the process metrics). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:partner_security|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1] ?? "");
}

import { readFileSync, readdirSync } from "node:fs";

/** The parts of a dashboard JSON the tests read. */
export interface StepJson {
  value: number | null;
  color: string;
}
export interface ThresholdsJson {
  mode: string;
  steps: StepJson[];
}
export interface MappingJson {
  type: string;
  options: Record<string, { text?: string; color?: string }>;
}
export interface ColorJson {
  mode: string;
  fixedColor?: string;
}
/** The field options the tests judge; defaults and overrides both set them. */
export interface FieldJson {
  unit?: string;
  min?: number;
  max?: number;
  color?: ColorJson;
  thresholds?: ThresholdsJson;
  mappings?: MappingJson[];
  cellType?: string;
  /** What an empty cell (or a stat with no value) shows. */
  noValue?: string;
}
export interface OverrideJson {
  matcher: { id: string; options?: string };
  properties: Array<{ id: string; value?: unknown }>;
}
export interface TargetJson {
  expr?: string;
  refId?: string;
  legendFormat?: string;
  datasource?: { uid?: string };
  format?: string;
  instant?: boolean;
}
export interface PanelJson {
  type: string;
  title?: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  /** The panel's minimum interval ("Min interval"), which $__interval and $__rate_interval never go below. */
  interval?: string;
  options?: {
    colorMode?: string;
    textMode?: string;
    legend?: { showLegend?: boolean; displayMode?: string };
    tooltip?: { mode?: string };
    sortBy?: Array<{ displayName: string; desc?: boolean }>;
  };
  targets?: TargetJson[];
  /** Table transformations: merge, then organize (excludeByName, renameByName, indexByName). */
  transformations?: Array<{ id: string; options: { excludeByName?: Record<string, boolean>; renameByName?: Record<string, string>; indexByName?: Record<string, number> } }>;
  fieldConfig?: { defaults?: Omit<FieldJson, "cellType"> & { noValue?: string; custom?: { cellOptions?: { type?: string } } }; overrides?: OverrideJson[] };
  panels?: PanelJson[];
}
export interface VariableJson {
  type: string;
  name: string;
  query?: string;
  /** Grafana's filter of the options; named groups `text` and `value` split what is shown from what is selected. */
  regex?: string;
  datasource?: { uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { text: string | string[]; value: string | string[] };
}
export interface AnnotationJson {
  name: string;
  enable: boolean;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  titleFormat?: string;
}
export interface DashboardJson {
  uid: string;
  title: string;
  description?: string;
  tags: string[];
  links: Array<{ type: string; tags: string[] }>;
  templating: { list: VariableJson[] };
  annotations: { list?: AnnotationJson[] };
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

function applyProperties(into: FieldJson, properties: OverrideJson["properties"]): FieldJson {
  const field: FieldJson = { ...into };
  for (const { id, value } of properties) {
    if (id === "unit") field.unit = value as string;
    else if (id === "color") field.color = value as ColorJson;
    else if (id === "thresholds") field.thresholds = value as ThresholdsJson;
    else if (id === "mappings") field.mappings = value as MappingJson[];
    else if (id === "custom.cellOptions") field.cellType = (value as { type?: string }).type;
    else if (id === "noValue") field.noValue = value as string;
  }
  return field;
}

function defaultsOf(panel: PanelJson): FieldJson {
  const { custom, ...defaults } = panel.fieldConfig?.defaults ?? {};
  return { ...defaults, cellType: custom?.cellOptions?.type };
}

/** A legend as a display name, its {{label}} parts filled with sample values. */
function displayName(legend: string): string {
  return legend.replace(/\{\{\s*(\w+)\s*\}\}/g, (_whole, label: string) => `<${label}>`);
}

/**
 * The field options the fields of one query end up with, as Grafana applies them: the defaults,
 * then every override whose matcher (query, name or regexp of the display name) selects them.
 */
export function fieldOf(panel: PanelJson, target: TargetJson): FieldJson {
  const name = displayName(target.legendFormat ?? "");
  return (panel.fieldConfig?.overrides ?? []).reduce((field, override) => {
    const { id, options = "" } = override.matcher;
    const matches = (id === "byFrameRefID" && options === target.refId) || (id === "byName" && options === name) || (id === "byRegexp" && new RegExp(`^(?:${options})$`).test(name));
    return matches ? applyProperties(field, override.properties) : field;
  }, defaultsOf(panel));
}

/** The options of a table column, by its (renamed) display name. */
export function columnOf(panel: PanelJson, column: string): FieldJson {
  return (panel.fieldConfig?.overrides ?? []).reduce((field, override) => {
    const { id, options = "" } = override.matcher;
    const matches = (id === "byName" && options === column) || (id === "byRegexp" && new RegExp(`^(?:${options})$`).test(column));
    return matches ? applyProperties(field, override.properties) : field;
  }, defaultsOf(panel));
}

/** Grafana's thresholds when a panel sets none: base green, red from 80. */
export const GRAFANA_DEFAULT_THRESHOLDS: ThresholdsJson = { mode: "absolute", steps: [{ value: null, color: "green" }, { value: 80, color: "red" }] };

/**
 * The colour Grafana draws `value` in: a value mapping's colour first, else by the field's colour
 * mode (thresholds when unset, falling back to Grafana's default thresholds), else the fixed colour.
 */
export function colourAt(field: FieldJson, value: number): string {
  const color = mappedAt(field, value)?.color;
  if (color) return color;
  if (field.color?.mode === "fixed") return field.color.fixedColor ?? "";
  const steps = (field.thresholds ?? GRAFANA_DEFAULT_THRESHOLDS).steps;
  return steps.reduce((color, step) => (step.value === null || value >= step.value ? step.color : color), steps[0]?.color ?? "");
}

/** The value mapping (exact value, or range with both ends inclusive) that applies to `value`, as Grafana picks it: the first that matches. */
export function mappedAt(field: FieldJson, value: number): { text?: string; color?: string } | undefined {
  for (const mapping of field.mappings ?? []) {
    if (mapping.type === "value" && mapping.options[String(value)]) return mapping.options[String(value)];
    if (mapping.type === "range") {
      const { from, to, result } = mapping.options as unknown as { from: number | null; to: number | null; result: { text?: string; color?: string } };
      if ((from === null || value >= from) && (to === null || value <= to)) return result;
    }
  }
  return undefined;
}

/** Every value mapping of a panel (defaults and overrides) as [value, text, colour]. */
export function mappingsOf(panel: PanelJson): Array<[string, string, string]> {
  const lists = [panel.fieldConfig?.defaults?.mappings ?? [], ...(panel.fieldConfig?.overrides ?? []).flatMap((o) => o.properties.filter((p) => p.id === "mappings").map((p) => p.value as MappingJson[]))];
  return lists.flat().flatMap((mapping) => Object.entries(mapping.options).map(([value, { text = "", color = "" }]): [string, string, string] => [value, text, color]));
}

/** A series as Prometheus' query API returns it: labels, sorted by name as Prometheus sends them. */
export type SeriesLabels = Record<string, string>;

/** The line Grafana's query_result() makes of one series: `name{a="1",b="2"} value time-in-ms`, label values unescaped. */
export function queryResultLine(metric: SeriesLabels, value = "1", timeSeconds = 1_700_000_000): string {
  const { __name__: name = "", ...labels } = metric;
  return `${name}{${Object.entries(labels)
    .map(([label, text]) => `${label}="${text}"`)
    .join(",")}} ${value} ${timeSeconds * 1000}`;
}

/** The options a query variable's regex makes of its result lines, as Grafana does: named groups text and value, else the first group. */
export function regexOptions(regex: string | undefined, lines: string[]): Array<{ text: string; value: string }> {
  if (!regex) return lines.map((line) => ({ text: line, value: line }));
  const parts = /^\/(.*)\/([a-z]*)$/s.exec(regex);
  const pattern = new RegExp(parts?.[1] ?? regex, parts?.[2] ?? "");
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    if (!match) return [];
    const value = match.groups?.value ?? match.groups?.text ?? match[1] ?? match[0];
    return [{ text: match.groups?.text ?? value, value }];
  });
}

let committed: Array<[string, DashboardJson]> | undefined;

/** One committed dashboard by file name, or a clear error. */
export function dashboardNamed(file: string): DashboardJson {
  committed ??= committedDashboards();
  const found = committed.find(([name]) => name === file)?.[1];
  if (!found) throw new Error(`no dashboard ${file}`);
  return found;
}

/** One panel of a committed dashboard by title, or a clear error. */
export function panelNamed(file: string, title: string): PanelJson {
  const found = panelsOf(dashboardNamed(file)).find((p) => p.title === title);
  if (!found) throw new Error(`no panel ${title} in ${file}`);
  return found;
}

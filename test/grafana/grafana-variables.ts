import { queryResultLine, regexOptions } from "./dashboard-model.js";
import type { DashboardJson, VariableJson } from "./dashboard-model.js";

// Grafana's handling of dashboard variables, for tests that run the queries on a real Prometheus.

/** An instant query: the result vector. */
export type PromQuery = (expr: string) => Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;

/** Grafana's regex escaping of one variable value inside a PromQL string (prometheusSpecialRegexEscape). */
export function escapeValue(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/** `expr` as Grafana sends it; `$__rate_interval` is the panel's minimum interval where it sets one. */
export function substitute(expr: string, values: Record<string, string>, minInterval = "1m"): string {
  const builtIn: Record<string, string> = { __rate_interval: minInterval, __interval: "15s", __range: "5m" };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? builtIn[name] ?? whole);
}

/**
 * The options a variable offers, sorted by their text: what Grafana's label_values(selector, label)
 * lists, or what its regex makes of the lines of query_result(expr) (text and value apart).
 */
export async function variableOptions(variable: VariableJson, values: Record<string, string>, query: PromQuery): Promise<Array<{ text: string; value: string }>> {
  const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query ?? "");
  if (labelValues) {
    const result = await query(`count by (${labelValues[2]}) (${substitute(labelValues[1] ?? "", values)})`);
    return result.map((series) => series.metric[labelValues[2] ?? ""] ?? "").filter((value) => value !== "").sort().map((value) => ({ text: value, value }));
  }
  const queryResult = /^query_result\((.+)\)$/.exec(variable.query ?? "");
  if (!queryResult) throw new Error(`${variable.name}: neither label_values nor query_result: ${variable.query}`);
  const result = await query(substitute(queryResult[1] ?? "", values));
  const listed = regexOptions(variable.regex, result.map((series) => queryResultLine(series.metric, series.value[1], series.value[0])));
  return listed.sort((a, b) => a.text.localeCompare(b.text, "en", { sensitivity: "base" }));
}

/**
 * Resolves the variables in order, each from the ones before, as Grafana does when the dashboard
 * opens: the saved default (All, or the custom value), else the first value listed. All is the
 * variable's allValue, else every listed value as a regex alternation.
 */
export async function resolveDefaults(dashboard: DashboardJson, query: PromQuery): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating.list) {
    const current = [variable.current?.value ?? []].flat();
    if (variable.type === "datasource") continue;
    if (variable.type === "custom") {
      values[variable.name] = current[0] ?? variable.query?.split(",")[0] ?? "";
      continue;
    }
    const listed = (await variableOptions(variable, values, query)).map((option) => option.value);
    if (variable.includeAll && current.includes("$__all")) {
      values[variable.name] = variable.allValue ?? `(${listed.map(escapeValue).join("|")})`;
    } else {
      const first = current[0] ?? listed[0];
      if (first === undefined) throw new Error(`variable ${variable.name} lists no values`);
      values[variable.name] = variable.multi ? `(${escapeValue(first)})` : escapeValue(first);
    }
  }
  return values;
}

import { ALERT_NAMES } from "./config.js";
import type { AlertName, RulesConfig } from "./config.js";
import { GROUPS, isAlert } from "./rules.js";
import type { Rule, RuleGroup } from "./rules.js";
import type { Param, Text } from "./text.js";

/**
 * One emitter, two targets: a rule file with the configured values, and the chart's template with
 * a Helm placeholder for every setting. Only `Target` differs between them.
 */
interface Target {
  /** A parameter inside an expression (a block scalar: no escaping). */
  exprParam(param: Param, alert: AlertName | undefined): string;
  /** A parameter inside a double-quoted annotation. */
  stringParam(param: Param, alert: AlertName): string;
  /** Literal text inside a double-quoted annotation, already JSON-escaped. */
  stringLiteral(escaped: string): string;
  /** Lines opening a block that exists only while one of `alerts` is enabled, and closing it; undefined: always there. */
  when(alerts: readonly AlertName[], indent: string): { open: string[]; close: string[] } | undefined;
  forValue(alert: AlertName): string;
  labelLines(alert: AlertName, indent: string): string[];
  runbook(alert: AlertName): string;
  header: string[];
  footer: string[];
  /** Indentation of `- name:` lines. */
  groupIndent: string;
}

/** The heading anchor of the alert's section in docs/alerts.md. */
export function anchor(alert: AlertName): string {
  return alert.toLowerCase();
}

function escape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

const PLAIN = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

/** A YAML scalar: plain where that reads the same, else double-quoted. */
function scalar(value: string): string {
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

function renderExpr(text: Text, target: Target, alert: AlertName | undefined): string {
  return text.map((piece) => (typeof piece === "string" ? piece : target.exprParam(piece, alert))).join("");
}

function renderString(text: Text, target: Target, alert: AlertName): string {
  return `"${text.map((piece) => (typeof piece === "string" ? target.stringLiteral(escape(piece)) : target.stringParam(piece, alert))).join("")}"`;
}

function renderRule(rule: Rule, target: Target, indent: string): string[] {
  const body = `${indent}  `;
  const alert = isAlert(rule) ? rule.alert : undefined;
  const exprLines = renderExpr(rule.expr, target, alert).split("\n").map((line) => `${body}  ${line}`.trimEnd());
  const lines = isAlert(rule) ? [`${indent}- alert: ${rule.alert}`] : [`${indent}- record: ${rule.record}`];
  lines.push(`${body}expr: |-`, ...exprLines);
  if (isAlert(rule)) {
    const annotations: Array<[string, string]> = [
      ["summary", renderString(rule.summary, target, rule.alert)],
      ["description", renderString(rule.description, target, rule.alert)],
      ...Object.entries(rule.annotations ?? {}).map(([key, text]): [string, string] => [key, renderString(text, target, rule.alert)]),
      ["runbook_url", target.runbook(rule.alert)],
    ];
    lines.push(
      `${body}for: ${target.forValue(rule.alert)}`,
      `${body}labels:`,
      ...target.labelLines(rule.alert, `${body}  `),
      `${body}annotations:`,
      ...annotations.map(([key, value]) => `${body}  ${key}: ${value}`),
    );
  }
  const condition = target.when(isAlert(rule) ? [rule.alert] : rule.usedBy, indent);
  return condition ? [...condition.open, ...lines, ...condition.close] : lines;
}

function renderGroup(group: RuleGroup, target: Target): string[] {
  const indent = target.groupIndent;
  const alerts = group.rules.flatMap((rule) => (isAlert(rule) ? [rule.alert] : []));
  const rules = group.rules.flatMap((rule) => renderRule(rule, target, `${indent}    `));
  const condition = target.when(alerts, indent);
  const lines = [`${indent}- name: ${group.name}`, `${indent}  rules:`, ...rules];
  return condition ? [...condition.open, ...lines, ...condition.close] : lines;
}

function render(target: Target, groups: readonly RuleGroup[]): string {
  return [...target.header, ...groups.flatMap((group) => renderGroup(group, target)), ...target.footer, ""].join("\n");
}

/** Only the groups and rules the config enables: a recording rule stays while an alert that reads it is enabled. */
function enabledGroups(config: RulesConfig): RuleGroup[] {
  const on = (alert: AlertName) => config.alerts[alert].enabled;
  return GROUPS.map((group) => ({ ...group, rules: group.rules.filter((rule) => (isAlert(rule) ? on(rule.alert) : rule.usedBy.some(on))) })).filter((group) =>
    group.rules.some(isAlert),
  );
}

/** prometheus/alerts.yml for `config`: plain Prometheus rule file. */
export function renderRuleFile(config: RulesConfig): string {
  if (config.selector.trim() === "") throw new Error("the selector must not be empty: it is spliced into every series selector");
  const setting = (alert: AlertName | undefined, key: string): string => {
    const value: unknown = alert ? new Map(Object.entries(config.alerts[alert])).get(key) : undefined;
    if (typeof value !== "string" && typeof value !== "number") throw new Error(`${alert ?? "a recording rule"} has no setting ${key}`);
    return String(value);
  };
  const param = (piece: Param, alert: AlertName | undefined): string => {
    if (piece.kind === "selector") return config.selector;
    if (piece.kind === "gap") return config.seriesGapTolerance;
    return setting(alert, piece.key);
  };
  const target: Target = {
    exprParam: param,
    stringParam: (piece, alert) => escape(param(piece, alert)),
    stringLiteral: (escaped) => escaped,
    when: () => undefined,
    forValue: (alert) => config.alerts[alert].for,
    labelLines: (alert, indent) =>
      Object.entries({ ...config.alertLabels, severity: config.alerts[alert].severity })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${indent}${key}: ${scalar(value)}`),
    runbook: (alert) => JSON.stringify(`${config.runbookBaseUrl || "docs/alerts.md"}#${anchor(alert)}`),
    header: [
      "# Alerting and recording rules for partner-security-exporter.",
      "# Generated by `npm run rules` from prometheus/src/ (the chart's PrometheusRule comes from the same",
      "# source); change the config there, or override the chart's prometheusRule values. docs/alerts.md",
      "# explains every alert, its `for:` and its settings.",
      "groups:",
    ],
    footer: [],
    groupIndent: "  ",
  };
  return render(target, enabledGroups(config));
}

/** Go template raw strings cannot hold a backtick, and `{{{` would not parse: both are refused. */
function helmRaw(escaped: string): string {
  if (escaped.includes("`")) throw new Error(`a rule text contains a backtick, which the Helm template cannot quote: ${escaped}`);
  return /\{\{|\}\}/.test(escaped) ? `{{\`${escaped}\`}}` : escaped;
}

/** helm/partner-security-exporter/templates/prometheusrule.yaml: every setting read from .Values.prometheusRule. */
export function renderHelmTemplate(): string {
  const alertVar = (alert: AlertName) => `$alerts.${alert}`;
  const param = (piece: Param, alert: AlertName | undefined): string => {
    if (piece.kind === "selector") return " {{- $sel -}} ";
    if (piece.kind === "gap") return "{{ $gap }}";
    if (!alert) throw new Error(`a recording rule cannot read the alert setting ${piece.key}`);
    return `{{ ${alertVar(alert)}.${piece.key} }}`;
  };
  const target: Target = {
    exprParam: param,
    stringParam: (piece, alert) => {
      if (piece.kind === "selector") throw new Error(`${alert}: the selector cannot go into an annotation`);
      return param(piece, alert);
    },
    stringLiteral: helmRaw,
    when: (alerts, indent) => {
      if (alerts.length === 0) throw new Error("a rule that no alert uses");
      const test = alerts.length === 1 ? `${alertVar(alerts[0] as AlertName)}.enabled` : `or ${alerts.map((alert) => `${alertVar(alert)}.enabled`).join(" ")}`;
      return { open: [`${indent}{{- if ${test} }}`], close: [`${indent}{{- end }}`] };
    },
    forValue: (alert) => `{{ ${alertVar(alert)}.for }}`,
    labelLines: (alert, indent) => [`${indent}{{- toYaml (merge (dict "severity" ${alertVar(alert)}.severity) (default (dict) $cfg.alertLabels)) | nindent ${indent.length} }}`],
    runbook: (alert) => `"{{ $runbook }}#${anchor(alert)}"`,
    header: [
      "{{- /* Generated by `npm run rules` from prometheus/src/, like prometheus/alerts.yml; edit there. */ -}}",
      "{{- if .Values.prometheusRule.enabled }}",
      "{{- $cfg := .Values.prometheusRule }}",
      "{{- $alerts := $cfg.alerts }}",
      `{{- if not (or ${ALERT_NAMES.map((alert) => `${alertVar(alert)}.enabled`).join(" ")}) }}`,
      '{{- fail "prometheusRule: every alert is disabled; set prometheusRule.enabled=false instead" }}',
      "{{- end }}",
      "{{- /* The series the chart's own ServiceMonitor produces: its job (serviceMonitor.jobLabel) in the release namespace, of this release's Service. */}}",
      '{{- $sel := $cfg.selector | default (printf "job=%q,namespace=%q,service=%q" (include "pse.jobName" .) .Release.Namespace (include "pse.fullname" .)) }}',
      "{{- $gap := $cfg.seriesGapTolerance }}",
      '{{- $runbook := $cfg.runbookBaseUrl | default "docs/alerts.md" }}',
      "apiVersion: monitoring.coreos.com/v1",
      "kind: PrometheusRule",
      "metadata:",
      "  name: {{ include \"pse.fullname\" . }}",
      "  labels:",
      '    {{- include "pse.labels" . | nindent 4 }}',
      "    {{- with $cfg.labels }}",
      "    {{- toYaml . | nindent 4 }}",
      "    {{- end }}",
      "spec:",
      "  groups:",
    ],
    footer: ["{{- end }}"],
    groupIndent: "    ",
  };
  const text = render(target, GROUPS);
  if (text.includes("{{{")) throw new Error("the Helm template has `{{{`, which Go templates cannot parse");
  return text;
}

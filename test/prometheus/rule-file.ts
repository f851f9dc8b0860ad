/** A Prometheus rule file (or a PrometheusRule's spec), as the tests read it. */
export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}

export function alertsOf(file: RuleFile): Array<Rule & { alert: string }> {
  return file.groups.flatMap((group) => group.rules).filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
}

export function recordsOf(file: RuleFile): Array<Rule & { record: string }> {
  return file.groups.flatMap((group) => group.rules).filter((rule): rule is Rule & { record: string } => rule.record !== undefined);
}

/** GitHub's anchor for each heading: lower case, punctuation dropped, spaces to dashes. */
export function anchors(markdown: string): Set<string> {
  return new Set(markdown.split("\n").filter((line) => line.startsWith("#")).map((line) => line.replace(/^#+\s*/, "").toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
}

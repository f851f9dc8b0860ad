import type { HistoryEntry } from "../graph/snapshot.js";
import { GRAPH_METRICS } from "../metrics/graph-metrics.js";

/** The series the backfill writes, each from one field of a history entry. */
const SERIES: ReadonlyArray<readonly [name: string, read: (entry: HistoryEntry) => number | undefined]> = [
  ["partner_security_history_score", (entry) => entry.score],
  ["partner_security_history_compliant_requirements", (entry) => entry.compliantRequirements],
  ["partner_security_history_requirements", (entry) => entry.totalRequirements],
  // The score itself, so the score-over-time panel shows the past as the score.
  ["partner_security_score", (entry) => entry.score],
];

export interface HistoryRendering {
  /** Labels of every series, as Prometheus stores them for the live ones (job, namespace, …). */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** The partner tenant, for the info series the dashboards join on; none when empty. */
  readonly partnerTenantId: string;
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: ReadonlyArray<readonly [string, string]>): string {
  return labels.length === 0 ? "" : `{${labels.map(([name, value]) => `${name}="${escape(value)}"`).join(",")}}`;
}

function helpOf(name: string): string {
  const row = GRAPH_METRICS.find((metric) => metric.name === name);
  return (row?.help ?? name).replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/**
 * The entries as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`: every sample at
 * its entry's `createdDateTime` (seconds), each family's samples in time order, `# EOF` last.
 * Entries must be in time order, one per date.
 */
export function renderHistory(entries: readonly HistoryEntry[], rendering: HistoryRendering): string {
  const lines: string[] = [];
  const labels = labelText(rendering.labels);
  for (const [name, read] of SERIES) {
    lines.push(`# HELP ${name} ${helpOf(name)}`, `# TYPE ${name} gauge`);
    for (const entry of entries) {
      const value = read(entry);
      if (value !== undefined && Number.isFinite(value)) lines.push(`${name}${labels} ${value} ${entry.createdSeconds}`);
    }
  }
  if (rendering.partnerTenantId) {
    const name = "partner_security_exporter_partner_info";
    const infoLabels = labelText([...rendering.labels, ["partner_tenant_id", rendering.partnerTenantId]]);
    lines.push(`# HELP ${name} The partner tenant whose security score this exporter reads. Always 1.`, `# TYPE ${name} gauge`);
    for (const entry of entries) lines.push(`${name}${infoLabels} 1 ${entry.createdSeconds}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

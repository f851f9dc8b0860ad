/** The kinds of metric this exporter serves. */
export type MetricType = "gauge" | "counter" | "histogram";

/**
 * What a metric promises its users: name, type, labels and where its value comes from. Every
 * metric the exporter serves is a row of one of the tables built on this (the Graph-derived rows
 * in graph-metrics.ts, the self-metrics in self-metric-table.ts), and docs/metrics.md and the
 * end-to-end contract test are made from those tables.
 */
export interface MetricContract {
  readonly name: string;
  readonly type: MetricType;
  /** HELP text: what the value is and where it comes from. */
  readonly help: string;
  /** The label names every sample carries, in this order. */
  readonly labelNames: readonly string[];
  /** The unit the name must end in, if any. */
  readonly unit?: "seconds";
  /** Where the value comes from: a Graph field, a setting, or the exporter itself (docs/metrics.md says it in more words). */
  readonly source: string;
}

/**
 * One sample: its label values in the order of its row's `labelNames`, so a sample cannot carry a
 * label its row does not declare.
 */
export interface Sample {
  readonly labelValues: readonly string[];
  readonly value: number;
}

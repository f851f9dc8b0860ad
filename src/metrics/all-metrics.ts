import type { MetricContract } from "./contract.js";
import { GRAPH_METRICS } from "./graph-metrics.js";
import { SELF_METRICS, SNAPSHOT_GENERATION } from "./self-metric-table.js";

/** Every metric the exporter serves besides prom-client's defaults: what docs/metrics.md and the contract tests are made from. */
export const ALL_METRICS: readonly MetricContract[] = [...GRAPH_METRICS, SNAPSHOT_GENERATION, ...Object.values(SELF_METRICS)];

import { Gauge, Registry } from "prom-client";
import type { OpenMetricsContentType, PrometheusContentType, RegistryContentType } from "prom-client";
import type { Snapshot } from "../graph/snapshot.js";
import { GRAPH_METRICS } from "./graph-metrics.js";

export type ExpositionFormat = "text" | "openmetrics";

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, PrometheusContentType | OpenMetricsContentType>> = {
  text: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

/** A registry that renders in the given format. */
export function createRegistry(format: ExpositionFormat): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(CONTENT_TYPES[format]);
  return registry;
}

/** The Graph-derived exposition of one snapshot, rendered once per refresh and never changed after. */
export interface RenderedSnapshot {
  readonly bodies: Readonly<Record<ExpositionFormat, Buffer>>;
  readonly renderedAt: number;
  readonly series: number;
}

export interface RenderOptions {
  /** The configured interval as the user wrote it, for the HELP text. */
  readonly refreshInterval: string;
  readonly now?: number;
}

/** Fills a fresh registry of the given format from the metric table; pure but for prom-client's own objects. */
async function renderFormat(snapshot: Snapshot, format: ExpositionFormat, options: RenderOptions): Promise<{ text: string; series: number }> {
  const registry = createRegistry(format);
  let series = 0;
  for (const row of GRAPH_METRICS) {
    const samples = row.samples(snapshot);
    // prom-client would print 0 for a label-less gauge that was never set; absent data must stay absent.
    if (samples.length === 0) continue;
    const gauge = new Gauge({
      name: row.name,
      help: `${row.help} Cached; refreshed from Microsoft Graph every ${options.refreshInterval}.`,
      labelNames: [...row.labelNames],
      registers: [registry],
    });
    for (const sample of samples) {
      gauge.set(sample.labels, sample.value);
      series++;
    }
  }
  if (series === 0) return { text: "", series };
  let text = await registry.metrics();
  // OpenMetrics allows one `# EOF`, and the exporter's own metrics follow this part.
  if (format === "openmetrics") text = text.replace(/# EOF\n?$/, "");
  return { text, series };
}

/** Renders a snapshot in both formats. */
export async function renderSnapshot(snapshot: Snapshot, options: RenderOptions): Promise<RenderedSnapshot> {
  const text = await renderFormat(snapshot, "text", options);
  const openMetrics = await renderFormat(snapshot, "openmetrics", options);
  return Object.freeze({
    bodies: Object.freeze({ text: Buffer.from(text.text, "utf8"), openmetrics: Buffer.from(openMetrics.text, "utf8") }),
    renderedAt: options.now ?? Date.now(),
    series: text.series,
  });
}

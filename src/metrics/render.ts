import { constants, crc32, deflateRawSync } from "node:zlib";
import { Registry } from "prom-client";
import type { OpenMetricsContentType, PrometheusContentType, RegistryContentType } from "prom-client";
import type { Snapshot } from "../graph/snapshot.js";
import type { CustomerSeries } from "./customer-series.js";
import { GRAPH_METRICS } from "./graph-metrics.js";
import { SNAPSHOT_GENERATION } from "./self-metric-table.js";
import type { Sample } from "./contract.js";
import { inSlices } from "../slices.js";
import { summarizeSnapshot } from "./summary.js";

export type ExpositionFormat = "text" | "openmetrics";

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, PrometheusContentType | OpenMetricsContentType>> = {
  text: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

/** A registry that renders in the given format (the self-metrics). */
export function createRegistry(format: ExpositionFormat): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(CONTENT_TYPES[format]);
  return registry;
}

/**
 * The Graph-derived part in one format, as chunks to send in order, plain and as the start of a
 * gzip stream: raw deflate ending in a sync flush (byte aligned, not final) and the CRC-32 of the
 * plain bytes, so a scrape that wants gzip compresses only the small self-metrics part that follows and
 * still sends one gzip member. Every Graph-derived family is a gauge, whose lines are the same in
 * both formats, and no blank line separates families (as Prometheus's own text encoder writes
 * them), so both formats share one rendering: one deflate and one CRC per refresh, not two.
 */
export interface RenderedBody {
  readonly chunks: readonly Buffer[];
  /** Bytes in all plain chunks together. */
  readonly length: number;
  readonly deflated: Buffer;
  readonly crc: number;
}

/** The Graph-derived exposition of one snapshot, rendered once per refresh and never changed after. */
export interface RenderedSnapshot {
  readonly bodies: Readonly<Record<ExpositionFormat, RenderedBody>>;
  readonly renderedAt: number;
  readonly series: number;
}

export interface RenderOptions {
  /** Which customer tenants get per-tenant series (PSE_CUSTOMER_SERIES). */
  readonly customerSeries: CustomerSeries;
  readonly now?: number;
  /** Numbers successive renderings, so a scraper can tell which refresh a body came from. */
  readonly generation?: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Pulled a slice at a time while the family is written, so a large table is never computed at once. */
  samples(): Iterable<Sample>;
}

/**
 * Runs compressed (and their CRC computed) between two yields to the event loop: a run is 64 KB to
 * ~180 KB, deflated in 1-4 ms.
 */
const DEFLATE_SLICE_RUNS = 2;

/**
 * Ends every Graph-derived HELP. The same text whatever the configuration, so exporters with
 * different settings agree on a metric's metadata; the interval itself is a metric.
 */
const CACHED = " Cached between refreshes from Microsoft Graph; partner_security_exporter_refresh_interval_seconds gives the interval.";

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Nearly no label value needs escaping; testing once is cheaper than three replacements per sample. */
const LABEL_ESCAPES = /[\\\n"]/;

function escapeLabelValue(text: string): string {
  if (!LABEL_ESCAPES.test(text)) return text;
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return String(value);
}

/** Writes a sample's labels as `{name="value",…}`: the one place label names meet their values. */
function labelWriter(labelNames: readonly string[]): (sample: Sample) => string {
  if (labelNames.length === 0) return () => "";
  const openers = labelNames.map((name, index) => `${index === 0 ? "{" : ","}${name}="`);
  return (sample) => {
    let text = "";
    for (let index = 0; index < openers.length; index++) text += `${openers[index]}${escapeLabelValue(sample.labelValues[index] ?? "")}"`;
    return `${text}}`;
  };
}

const DEFLATE_OPTIONS = { level: 6, finishFlush: constants.Z_SYNC_FLUSH } as const;
const DEFLATE_RUN_BYTES = 64 * 1024;

/**
 * Groups chunks into runs of at least `DEFLATE_RUN_BYTES` (the last may be shorter), each deflated
 * on its own and ending in a sync flush (byte aligned, not final): one after another they are one
 * valid raw deflate stream, as the self-metrics part that a scrape appends is. Little is lost to the
 * window restarting (about 1% at 10,000 tenants), and the work runs on the refresh thread a run at
 * a time between yields, rather than on libuv's thread pool.
 */
function* deflateRuns(chunks: readonly Buffer[]): Generator<Buffer[]> {
  let run: Buffer[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    run.push(chunk);
    bytes += chunk.length;
    if (bytes < DEFLATE_RUN_BYTES) continue;
    yield run;
    run = [];
    bytes = 0;
  }
  if (run.length > 0) yield run;
}

/** The CRC, the length and the deflate data of the chunks, a run or two at a time between yields. */
async function finishBody(chunks: readonly Buffer[]): Promise<RenderedBody> {
  let crc = 0;
  let length = 0;
  const deflated: Buffer[] = [];
  for await (const slice of inSlices(deflateRuns(chunks), DEFLATE_SLICE_RUNS)) {
    for (const run of slice) {
      for (const chunk of run) {
        crc = crc32(chunk, crc);
        length += chunk.length;
      }
      // A run of one chunk (every run of a large family: its chunks are ~70 KB) is deflated as it
      // is. Copying each into a new buffer first left the allocator so fragmented that a refresh of
      // 100,000 tenants peaked ~100 MiB higher.
      deflated.push(deflateRawSync(run.length === 1 ? run[0]! : Buffer.concat(run), DEFLATE_OPTIONS));
    }
  }
  return Object.freeze({ chunks, length, deflated: Buffer.concat(deflated), crc });
}

/**
 * Writes one family (`# EOF` left to whoever appends the last part of OpenMetrics) as one chunk per
 * slice of samples, the HELP and TYPE lines in the first. A slice becomes bytes as soon as it is
 * written, so the strings of one slice at most are alive at a time. Absent data stays absent: no
 * chunk at all for a metric without samples.
 */
async function writeFamily(family: Family): Promise<{ chunks: Buffer[]; series: number }> {
  const chunks: Buffer[] = [];
  let series = 0;
  const labels = labelWriter(family.labelNames);
  for await (const slice of inSlices(family.samples())) {
    const lines = slice.map((sample) => `${family.name}${labels(sample)} ${formatValue(sample.value)}\n`);
    if (chunks.length === 0) lines.unshift(`# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} gauge\n`);
    chunks.push(Buffer.from(lines.join(""), "utf8"));
    series += slice.length;
  }
  return { chunks, series };
}

/**
 * Renders a snapshot once, in the classic text format and in OpenMetrics, from the metric table.
 * Written by hand rather than through prom-client gauges: the lines are prom-client's (the golden
 * files were first made with it; only the blank lines between families are gone), 10,000 tenants
 * render in a fraction of the time, and the work is sliced so a render never holds the event loop
 * for long.
 */
export async function renderSnapshot(snapshot: Snapshot, options: RenderOptions): Promise<RenderedSnapshot> {
  const families: Family[] = [];
  const generation = options.generation;
  if (generation !== undefined) {
    families.push({ ...SNAPSHOT_GENERATION, samples: () => [{ labelValues: [], value: generation }] });
  }
  const summary = await summarizeSnapshot(snapshot, options.customerSeries);
  for (const row of GRAPH_METRICS) families.push({ name: row.name, help: `${row.help}${CACHED}`, labelNames: row.labelNames, samples: () => row.samples(snapshot, summary) });
  const chunks: Buffer[] = [];
  let series = 0;
  for (const family of families) {
    const written = await writeFamily(family);
    chunks.push(...written.chunks);
    series += written.series;
  }
  if (generation !== undefined) series -= 1;
  const body = await finishBody(chunks);
  return Object.freeze({
    bodies: Object.freeze({ text: body, openmetrics: body }),
    renderedAt: options.now ?? Date.now(),
    series,
  });
}

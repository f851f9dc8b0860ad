import { crc32, deflateRawSync } from "node:zlib";
import { CONTENT_TYPES } from "./render.js";
import type { ExpositionFormat, RenderedBody, RenderedSnapshot } from "./render.js";
import type { SelfMetrics } from "./self-metrics.js";

/** A gzip member header: deflate, no name, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * One gzip member from the prepared Graph part and the self-metrics: the prefix's deflate data ends
 * in a sync flush, so a second deflate stream may follow it; the CRC continues over both.
 */
function gzipMember(graph: RenderedBody | undefined, selfMetrics: Buffer): Buffer[] {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(selfMetrics, graph?.crc ?? 0), 0);
  trailer.writeUInt32LE(((graph?.length ?? 0) + selfMetrics.length) % 2 ** 32, 4);
  return graph ? [GZIP_HEADER, graph.deflated, deflateRawSync(selfMetrics), trailer] : [GZIP_HEADER, deflateRawSync(selfMetrics), trailer];
}

export interface Exposition {
  /** The body in order; the Graph part is not copied into one buffer with the self-metrics. */
  readonly chunks: readonly Buffer[];
  /** Bytes in all chunks together (Content-Length). */
  readonly length: number;
  readonly contentType: string;
  readonly gzip: boolean;
}

/** The whole body in one buffer, for callers that need it so (tests, the benchmark). */
export function expositionBody(exposition: Exposition): Buffer {
  return Buffer.concat(exposition.chunks, exposition.length);
}

/** Holds the one published snapshot rendering; a scrape sends its bytes followed by the self-metrics, rendered at the time. */
export interface ExpositionCache {
  /** Replaces the published rendering in one assignment, so a scrape sees one refresh, never a mix. */
  publish(rendered: RenderedSnapshot): void;
  /** Drops the Graph-derived series (staleness); the self-metrics stay. */
  drop(): void;
  current(): RenderedSnapshot | undefined;
  expose(format: ExpositionFormat, gzip: boolean): Promise<Exposition>;
}

/**
 * The self-metrics are rendered at most once per this many ms while nothing the exporter
 * records changes: process and Node.js figures a second old are as good as new to a scraper, and
 * concurrent scrapes then share one rendering.
 */
const SELF_METRICS_MAX_AGE_MS = 1000;

/**
 * A body smaller than this is sent as one buffer: copying it once per rendering of the self-metrics
 * costs less than writing its chunks one by one on every scrape. A larger one is never copied.
 */
const COALESCE_BELOW_BYTES = 1024 * 1024;

type Variant = `${ExpositionFormat}:${"gzip" | "plain"}`;

export function createExpositionCache(self: SelfMetrics): ExpositionCache {
  let published: RenderedSnapshot | undefined;
  const selfMetricsText = new Map<ExpositionFormat, { version: number; at: number; text: Promise<Buffer> }>();
  // A scrape between two renderings of the self-metrics sends the very response the previous one sent.
  const assembled = new Map<Variant, { graph: RenderedBody | undefined; selfMetrics: Buffer; exposition: Exposition }>();

  function renderSelfMetrics(format: ExpositionFormat): Promise<Buffer> {
    const cached = selfMetricsText.get(format);
    const now = Date.now();
    if (cached && cached.version === self.version() && now - cached.at < SELF_METRICS_MAX_AGE_MS) return cached.text;
    const text = self.registries[format].metrics().then((rendered) => Buffer.from(rendered, "utf8"));
    selfMetricsText.set(format, { version: self.version(), at: now, text });
    text.catch(() => selfMetricsText.delete(format));
    return text;
  }

  function assemble(format: ExpositionFormat, gzip: boolean, graph: RenderedBody | undefined, selfMetrics: Buffer): Exposition {
    const variant: Variant = `${format}:${gzip ? "gzip" : "plain"}`;
    const cached = assembled.get(variant);
    if (cached && cached.graph === graph && cached.selfMetrics === selfMetrics) return cached.exposition;
    // One gzip member (curl and some clients read only the first); the large part was compressed at refresh time.
    const chunks = gzip ? gzipMember(graph, selfMetrics) : [...(graph?.chunks ?? []), selfMetrics];
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const exposition: Exposition = { chunks: length < COALESCE_BELOW_BYTES ? [Buffer.concat(chunks, length)] : chunks, length, contentType: CONTENT_TYPES[format], gzip };
    assembled.set(variant, { graph, selfMetrics, exposition });
    return exposition;
  }

  return {
    publish(rendered) {
      published = rendered;
      // The old rendering must not stay alive through a response nobody will send again.
      assembled.clear();
    },
    drop() {
      published = undefined;
      assembled.clear();
    },
    current: () => published,
    async expose(format, gzip) {
      const graph = published?.bodies[format];
      const selfMetrics = await renderSelfMetrics(format);
      return assemble(format, gzip, graph, selfMetrics);
    },
  };
}

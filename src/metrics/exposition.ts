import { crc32, deflateRawSync } from "node:zlib";
import { CONTENT_TYPES } from "./render.js";
import type { ExpositionFormat, RenderedBody, RenderedSnapshot } from "./render.js";
import type { SelfMetrics } from "./self-metrics.js";

/** A gzip member header: deflate, no name, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * One gzip member from the prepared Graph part and the live part: the prefix's deflate data ends
 * in a sync flush, so a second deflate stream may follow it; the CRC continues over both.
 */
function gzipMember(graph: RenderedBody | undefined, own: Buffer): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(own, graph?.crc ?? 0), 0);
  trailer.writeUInt32LE(((graph?.plain.length ?? 0) + own.length) % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, graph?.deflated ?? Buffer.alloc(0), deflateRawSync(own), trailer]);
}

export interface Exposition {
  readonly body: Buffer;
  readonly contentType: string;
  readonly gzip: boolean;
}

/** Holds the one published snapshot rendering; a scrape copies its bytes and appends the live self-metrics. */
export interface ExpositionCache {
  /** Replaces the published rendering in one assignment, so a scrape sees one refresh, never a mix. */
  publish(rendered: RenderedSnapshot): void;
  /** Drops the Graph-derived series (staleness); the exporter's own metrics stay. */
  drop(): void;
  current(): RenderedSnapshot | undefined;
  expose(format: ExpositionFormat, gzip: boolean): Promise<Exposition>;
}

/**
 * The exporter's own metrics are rendered at most once per this many ms while nothing the exporter
 * records changes: process and Node.js figures a second old are as good as new to a scraper, and
 * concurrent scrapes then share one rendering.
 */
const OWN_METRICS_MAX_AGE_MS = 1000;

export function createExpositionCache(self: SelfMetrics): ExpositionCache {
  let published: RenderedSnapshot | undefined;
  const own = new Map<ExpositionFormat, { version: number; at: number; text: Promise<Buffer> }>();

  function ownMetrics(format: ExpositionFormat): Promise<Buffer> {
    const cached = own.get(format);
    const now = Date.now();
    if (cached && cached.version === self.version() && now - cached.at < OWN_METRICS_MAX_AGE_MS) return cached.text;
    const text = self.registries[format].metrics().then((rendered) => Buffer.from(rendered, "utf8"));
    own.set(format, { version: self.version(), at: now, text });
    text.catch(() => own.delete(format));
    return text;
  }

  return {
    publish(rendered) {
      published = rendered;
    },
    drop() {
      published = undefined;
    },
    current: () => published,
    async expose(format, gzip) {
      const graph = published?.bodies[format];
      const live = await ownMetrics(format);
      // One gzip member (curl and some clients read only the first); the large part was compressed at refresh time.
      const body = gzip ? gzipMember(graph, live) : graph ? Buffer.concat([graph.plain, live]) : live;
      return { body, contentType: CONTENT_TYPES[format], gzip };
    },
  };
}

import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { CONTENT_TYPES } from "./render.js";
import type { ExpositionFormat, RenderedSnapshot } from "./render.js";
import type { SelfMetrics } from "./self-metrics.js";

const gzipAsync = promisify(gzipCallback);

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

export function createExpositionCache(self: SelfMetrics): ExpositionCache {
  let published: RenderedSnapshot | undefined;
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
      const own = Buffer.from(await self.registries[format].metrics(), "utf8");
      const plain = graph ? Buffer.concat([graph, own]) : own;
      // One gzip member (curl and some clients read only the first), compressed on libuv's thread pool, off the event loop.
      return { body: gzip ? await gzipAsync(plain, { level: 1 }) : plain, contentType: CONTENT_TYPES[format], gzip };
    },
  };
}

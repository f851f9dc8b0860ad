import { inSlices } from "../slices.js";
import type { GraphClient } from "./client.js";
import { SchemaError } from "./errors.js";
import { parseCollectionPage } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { Endpoint } from "./snapshot.js";

const ROOT = "/security/partner/securityScore";
/** Where each endpoint is, under Graph's /beta. */
export const PATHS: Record<Endpoint, string> = {
  securityScore: ROOT,
  requirements: `${ROOT}/requirements`,
  history: `${ROOT}/history`,
  customerInsights: `${ROOT}/customerInsights`,
  delegatedAdminCustomers: "/tenantRelationships/delegatedAdminCustomers",
  delegatedAdminRelationships: "/tenantRelationships/delegatedAdminRelationships",
  contracts: "/contracts",
  securityAlerts: "/security/partner/securityAlerts",
};

/**
 * No fixed page limit by default: at Graph's page sizes a healthy partner with 100,000 customer
 * tenants needs hundreds of pages, and how many depends on a page size Graph does not document.
 * A runaway nextLink chain is stopped by the loop check and by MAX_PAGES_WITHOUT_NEW_ITEMS instead;
 * a positive `maxPages` (PSE_MAX_PAGES) still caps the pages of one collection.
 */
export const DEFAULT_MAX_PAGES = 0;

/**
 * Consecutive pages that may add no new item (empty, or only duplicates and unusable items) before
 * the chain is taken for a runaway: a healthy collection adds items on every page but, at most, a
 * few empty ones.
 */
export const MAX_PAGES_WITHOUT_NEW_ITEMS = 10;

export interface CollectionOptions {
  readonly signal: AbortSignal;
  /** Most pages of one collection; 0 or absent: no fixed limit. */
  readonly maxPages?: number;
}

/**
 * What one collection's items become while its pages arrive: each item is validated as it comes and
 * the raw page dropped, so a refresh never holds every raw item of 100,000 tenants.
 */
export interface Collector<T> {
  /** Takes one raw item; true when it added something new (not a duplicate, not unusable). */
  add(item: unknown): boolean;
  result(): T;
}

/**
 * Follows `@odata.nextLink` to the end, feeding every item to the collector; the whole collection or
 * an error, never part of it. The next page is requested while the current one is validated.
 */
export async function fetchCollection<T>(client: GraphClient, endpoint: Endpoint, options: CollectionOptions, collector: Collector<T>): Promise<T> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  // Aborts the page requested ahead when this collection fails.
  const abandon = new AbortController();
  const signal = AbortSignal.any([options.signal, abandon.signal]);
  const requested = new Set<string>();
  function request(link: string): Promise<unknown> {
    requested.add(link);
    const answer = client.getJson(endpoint, link, signal);
    // Awaited on the next turn of the loop, unless this collection fails first.
    answer.catch(() => undefined);
    return answer;
  }
  let pending: Promise<unknown> | undefined = request(PATHS[endpoint]);
  let pages = 1;
  let withoutNewItems = 0;
  try {
    while (pending !== undefined) {
      const page = parseCollectionPage(endpoint, await pending);
      pending = undefined;
      const next = page.nextLink;
      if (next !== undefined) {
        if (requested.has(next)) throw new SchemaError(`${endpoint}: @odata.nextLink repeats an earlier page (loop)`, endpoint);
        if (maxPages > 0 && pages >= maxPages) throw new SchemaError(`${endpoint}: more than ${maxPages} pages (PSE_MAX_PAGES); stopped following @odata.nextLink`, endpoint);
        pending = request(next);
        pages++;
      }
      withoutNewItems = (await collect(page.items, collector)) ? 0 : withoutNewItems + 1;
      if (next !== undefined && withoutNewItems >= MAX_PAGES_WITHOUT_NEW_ITEMS) {
        throw new SchemaError(`${endpoint}: ${withoutNewItems} pages in a row added no new item; stopped following @odata.nextLink (runaway chain)`, endpoint);
      }
    }
    return collector.result();
  } finally {
    abandon.abort();
  }
}

/** Items validated between two yields to the event loop, so scrapes are served while 100,000 tenants are read. */
const PARSE_SLICE = 200;

/** Feeds one page's items to the collector in slices; true when any of them was new. */
async function collect(items: readonly unknown[], collector: Collector<unknown>): Promise<boolean> {
  let added = false;
  for await (const slice of inSlices(items, PARSE_SLICE)) {
    for (const item of slice) {
      if (collector.add(item)) added = true;
    }
  }
  return added;
}

/** Two series with one label set would make the exposition invalid; the first one wins. */
export function distinct<T>(endpoint: Endpoint, parse: (item: unknown, warn: WarningSink) => T | undefined, key: (value: T) => string, warn: WarningSink): Collector<T[]> {
  const values: T[] = [];
  const seen = new Set<string>();
  return {
    add(item) {
      const value = parse(item, warn);
      if (value === undefined) return false;
      const id = key(value);
      if (seen.has(id)) {
        warn(`${endpoint}: duplicate id dropped`);
        return false;
      }
      seen.add(id);
      values.push(value);
      return true;
    },
    result: () => values,
  };
}


import { inSlices } from "../slices.js";
import type { GraphClient } from "./client.js";
import { EnvelopeError, GraphError, SchemaError } from "./errors.js";
import { foldHistory, parseCollectionPage, parseCustomerInsight, parseRequirement, parseScore } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { Endpoint, HistoryEntry, Score, Snapshot } from "./snapshot.js";

const ROOT = "/security/partner/securityScore";
const PATHS: Record<Endpoint, string> = {
  securityScore: ROOT,
  requirements: `${ROOT}/requirements`,
  history: `${ROOT}/history`,
  customerInsights: `${ROOT}/customerInsights`,
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

export interface FetchSnapshotOptions {
  readonly signal: AbortSignal;
  readonly warn: WarningSink;
  /** Most pages of one collection; 0 or absent: no fixed limit. */
  readonly maxPages?: number;
}

/**
 * Marks a 404 on a collection: the endpoint is unavailable for this refresh (a known Graph issue for
 * /history and /requirements), which is not a failure of the refresh. A 404 on the score itself is:
 * without it there is nothing to export.
 */
const UNAVAILABLE = Symbol("unavailable");
/** Marks JSON of the wrong envelope: that endpoint's series are left out, the refresh goes on. */
const UNREADABLE = Symbol("unreadable");

async function settle<T>(work: Promise<T>, warn: WarningSink): Promise<T | typeof UNAVAILABLE | typeof UNREADABLE> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return UNAVAILABLE;
    if (error instanceof EnvelopeError) {
      warn(`${error.message}; its series are left out`);
      return UNREADABLE;
    }
    throw error;
  }
}

function readScore(body: unknown, warn: WarningSink): Score | undefined {
  try {
    return parseScore(body, warn);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    warn(`${error.message}; its series are left out`);
    return undefined;
  }
}

function present<T>(value: T | typeof UNAVAILABLE | typeof UNREADABLE): value is T {
  return value !== UNAVAILABLE && value !== UNREADABLE;
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
export async function fetchCollection<T>(client: GraphClient, endpoint: Endpoint, options: FetchSnapshotOptions, collector: Collector<T>): Promise<T> {
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
function distinct<T>(endpoint: Endpoint, parse: (item: unknown, warn: WarningSink) => T | undefined, key: (value: T) => string, warn: WarningSink): Collector<T[]> {
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

/** Only the newest history entry is exported; an entry is new when no earlier one had its date. */
function newestHistory(warn: WarningSink): Collector<HistoryEntry | undefined> {
  let latest: HistoryEntry | undefined;
  const dates = new Set<number>();
  return {
    add(item) {
      const folded = foldHistory(latest, item, warn);
      latest = folded.latest;
      if (folded.createdSeconds === undefined || dates.has(folded.createdSeconds)) return false;
      dates.add(folded.createdSeconds);
      return true;
    },
    result: () => latest,
  };
}

/** One refresh: the four endpoints concurrently (four requests in flight at most), validated into a frozen snapshot. */
export async function fetchSnapshot(client: GraphClient, options: FetchSnapshotOptions): Promise<Snapshot> {
  const { warn } = options;
  // The first failure fails the refresh, so the requests still in flight are abandoned with it.
  const abandon = new AbortController();
  const inner = { ...options, signal: AbortSignal.any([options.signal, abandon.signal]) };
  const [scoreBody, requirements, history, customers] = await Promise.all([
    client.getJson("securityScore", PATHS.securityScore, inner.signal),
    settle(fetchCollection(client, "requirements", inner, distinct("requirements", parseRequirement, (requirement) => requirement.id, warn)), warn),
    settle(fetchCollection(client, "history", inner, newestHistory(warn)), warn),
    settle(fetchCollection(client, "customerInsights", inner, distinct("customerInsights", parseCustomerInsight, (customer) => customer.tenantId, warn)), warn),
  ]).catch((error: unknown) => {
    abandon.abort(error);
    throw error;
  });
  return freezeSnapshot({
    available: {
      // Always true in a snapshot: a 404 on the score fails the refresh instead.
      securityScore: true,
      requirements: requirements !== UNAVAILABLE,
      history: history !== UNAVAILABLE,
      customerInsights: customers !== UNAVAILABLE,
    },
    score: readScore(scoreBody, warn),
    requirements: present(requirements) ? requirements : [],
    latestHistory: present(history) ? history : undefined,
    customers: present(customers) ? customers : [],
  });
}

/**
 * Freezes the snapshot and its arrays. The 10,000 tenant records inside are readonly by type;
 * freezing each of them (and their nested objects) held the event loop for ~20 ms.
 */
function freezeSnapshot(snapshot: Snapshot): Snapshot {
  Object.freeze(snapshot.available);
  if (snapshot.score) Object.freeze(snapshot.score);
  Object.freeze(snapshot.requirements);
  Object.freeze(snapshot.customers);
  return Object.freeze(snapshot);
}

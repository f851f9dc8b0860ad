import type { GraphClient } from "./client.js";
import { EnvelopeError, GraphError, SchemaError } from "./errors.js";
import { latestHistory, parseCollectionPage, parseCustomerInsight, parseRequirement, parseScore } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { CustomerInsight, Endpoint, Requirement, Score, Snapshot } from "./snapshot.js";

const ROOT = "/security/partner/securityScore";
const PATHS: Record<Endpoint, string> = {
  securityScore: ROOT,
  requirements: `${ROOT}/requirements`,
  history: `${ROOT}/history`,
  customerInsights: `${ROOT}/customerInsights`,
};

/** 10,000 tenants at Graph's usual page sizes is well under this; a runaway nextLink chain is not. */
export const DEFAULT_MAX_PAGES = 1000;

export interface FetchSnapshotOptions {
  readonly signal: AbortSignal;
  readonly warn: WarningSink;
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

/** Follows `@odata.nextLink` to the end; the whole collection or an error, never part of it. */
export async function fetchCollection(client: GraphClient, endpoint: Endpoint, options: FetchSnapshotOptions): Promise<unknown[]> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const items: unknown[] = [];
  const seen = new Set<string>();
  let next: string | undefined = PATHS[endpoint];
  for (let pages = 0; next !== undefined; pages++) {
    if (pages >= maxPages) throw new SchemaError(`${endpoint}: more than ${maxPages} pages; stopped following @odata.nextLink`, endpoint);
    seen.add(next);
    const page = parseCollectionPage(endpoint, await client.getJson(endpoint, next, options.signal));
    items.push(...page.items);
    if (page.nextLink !== undefined && seen.has(page.nextLink)) {
      throw new SchemaError(`${endpoint}: @odata.nextLink repeats an earlier page (loop)`, endpoint);
    }
    next = page.nextLink;
  }
  return items;
}

/** Items validated between two yields to the event loop, so scrapes are served while 10,000 tenants are read. */
const PARSE_SLICE = 200;

async function parseInSlices<T>(items: readonly unknown[], parse: (item: unknown) => T | undefined): Promise<T[]> {
  const parsed: T[] = [];
  for (let start = 0; start < items.length; start += PARSE_SLICE) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const item of items.slice(start, start + PARSE_SLICE)) {
      const value = parse(item);
      if (value !== undefined) parsed.push(value);
    }
  }
  return parsed;
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** One refresh: the four endpoints concurrently (four requests in flight at most), validated into a frozen snapshot. */
export async function fetchSnapshot(client: GraphClient, options: FetchSnapshotOptions): Promise<Snapshot> {
  const { warn } = options;
  // The first failure fails the refresh, so the requests still in flight are abandoned with it.
  const abandon = new AbortController();
  const inner = { ...options, signal: AbortSignal.any([options.signal, abandon.signal]) };
  const [scoreBody, requirements, history, customers] = await Promise.all([
    client.getJson("securityScore", PATHS.securityScore, inner.signal),
    settle(fetchCollection(client, "requirements", inner), warn),
    settle(fetchCollection(client, "history", inner), warn),
    settle(fetchCollection(client, "customerInsights", inner), warn),
  ]).catch((error: unknown) => {
    abandon.abort(error);
    throw error;
  });
  const score = readScore(scoreBody, warn);
  const parsedRequirements: Requirement[] = present(requirements) ? requirements.map((item) => parseRequirement(item, warn)).filter(defined) : [];
  const parsedCustomers: CustomerInsight[] = present(customers) ? await parseInSlices(customers, (item) => parseCustomerInsight(item, warn)) : [];
  return freezeSnapshot({
    available: {
      // Always true in a snapshot: a 404 on the score fails the refresh instead.
      securityScore: true,
      requirements: requirements !== UNAVAILABLE,
      history: history !== UNAVAILABLE,
      customerInsights: customers !== UNAVAILABLE,
    },
    score,
    requirements: uniqueBy(parsedRequirements, (requirement) => requirement.id, "requirements", warn),
    latestHistory: present(history) ? latestHistory(history, warn) : undefined,
    customers: uniqueBy(parsedCustomers, (customer) => customer.tenantId, "customerInsights", warn),
  });
}

/** Two series with one label set would make the exposition invalid; the first one wins. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string, endpoint: Endpoint, warn: WarningSink): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = key(item);
    if (!seen.has(id)) {
      seen.add(id);
      return true;
    }
    warn(`${endpoint}: duplicate id dropped`);
    return false;
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

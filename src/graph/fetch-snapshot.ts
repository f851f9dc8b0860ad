import type { GraphClient } from "./client.js";
import { distinct, fetchCollection, PATHS } from "./collection.js";
import type { Collector } from "./collection.js";
import { EnvelopeError, GraphError } from "./errors.js";
import { fetchOptional, NO_OPTIONAL_SOURCES } from "./optional-sources.js";
import type { OptionalMemory, OptionalOptions, OptionalSources } from "./optional-sources.js";
import { foldHistory, parseCustomerInsight, parseRequirement, parseScore } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { HistoryEntry, Score, Snapshot } from "./snapshot.js";

export { DEFAULT_MAX_PAGES, MAX_PAGES_WITHOUT_NEW_ITEMS, fetchCollection } from "./collection.js";
export type { Collector } from "./collection.js";

export interface FetchSnapshotOptions {
  readonly signal: AbortSignal;
  readonly warn: WarningSink;
  /** Most pages of one collection; 0 or absent: no fixed limit. */
  readonly maxPages?: number;
  /** The optional sources to read besides the score's four endpoints; none when absent. */
  readonly sources?: OptionalSources;
  /** Told, once per refresh, each optional endpoint left out and why (a 403 names the permission). */
  readonly unavailable?: OptionalOptions["unavailable"];
  /** The optional sources' last good data, kept by the caller across refreshes. */
  readonly memory?: OptionalMemory;
  /** How long the optional sources may take; absent: as long as the refresh. */
  readonly optionalBudgetMs?: number;
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

/**
 * One refresh: the score's four endpoints and the optional sources that are on, concurrently (one
 * request in flight per endpoint), validated into a frozen snapshot.
 */
export async function fetchSnapshot(client: GraphClient, options: FetchSnapshotOptions): Promise<Snapshot> {
  const { warn } = options;
  // The first failure fails the refresh, so the requests still in flight are abandoned with it.
  const abandon = new AbortController();
  const inner = { ...options, signal: AbortSignal.any([options.signal, abandon.signal]) };
  const optional = fetchOptional(client, options.sources ?? NO_OPTIONAL_SOURCES, {
    ...inner,
    unavailable: options.unavailable ?? (() => undefined),
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.optionalBudgetMs ? { budgetMs: options.optionalBudgetMs } : {}),
  });
  const [scoreBody, requirements, history, customers, extra] = await Promise.all([
    client.getJson("securityScore", PATHS.securityScore, inner.signal),
    settle(fetchCollection(client, "requirements", inner, distinct("requirements", parseRequirement, (requirement) => requirement.id, warn)), warn),
    settle(fetchCollection(client, "history", inner, newestHistory(warn)), warn),
    settle(fetchCollection(client, "customerInsights", inner, distinct("customerInsights", parseCustomerInsight, (customer) => customer.tenantId, warn)), warn),
    optional,
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
      ...extra.available,
    },
    score: readScore(scoreBody, warn),
    requirements: present(requirements) ? requirements : [],
    latestHistory: present(history) ? history : undefined,
    customers: present(customers) ? customers : [],
    customerNames: extra.customerNames,
    gdapRelationships: extra.gdapRelationships,
    securityAlerts: extra.securityAlerts,
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
  for (const list of [snapshot.customerNames, snapshot.gdapRelationships, snapshot.securityAlerts]) if (list) Object.freeze(list);
  return Object.freeze(snapshot);
}

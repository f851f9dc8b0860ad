import type { GraphClient } from "./client.js";
import { GraphError, SchemaError } from "./errors.js";
import { latestHistory, parseCollectionPage, parseCustomerInsight, parseRequirement, parseScore } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { CustomerInsight, Endpoint, Requirement, Snapshot } from "./snapshot.js";

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

/** Marks a 404: the endpoint is unavailable for this refresh, which is not a failure of the refresh. */
const UNAVAILABLE = Symbol("unavailable");

async function unlessNotFound<T>(work: Promise<T>): Promise<T | typeof UNAVAILABLE> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return UNAVAILABLE;
    throw error;
  }
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

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** One refresh: the four endpoints concurrently (four requests in flight at most), validated into a frozen snapshot. */
export async function fetchSnapshot(client: GraphClient, options: FetchSnapshotOptions): Promise<Snapshot> {
  const { warn } = options;
  // The first failure fails the refresh, so the requests still in flight are abandoned with it.
  const abandon = new AbortController();
  const inner = { ...options, signal: AbortSignal.any([options.signal, abandon.signal]) };
  const [score, requirements, history, customers] = await Promise.all([
    unlessNotFound(client.getJson("securityScore", PATHS.securityScore, inner.signal)),
    unlessNotFound(fetchCollection(client, "requirements", inner)),
    unlessNotFound(fetchCollection(client, "history", inner)),
    unlessNotFound(fetchCollection(client, "customerInsights", inner)),
  ]).catch((error: unknown) => {
    abandon.abort(error);
    throw error;
  });
  const parsedRequirements: Requirement[] = requirements === UNAVAILABLE ? [] : requirements.map((item) => parseRequirement(item, warn)).filter(defined);
  const parsedCustomers: CustomerInsight[] = customers === UNAVAILABLE ? [] : customers.map((item) => parseCustomerInsight(item, warn)).filter(defined);
  return deepFreeze({
    available: {
      securityScore: score !== UNAVAILABLE,
      requirements: requirements !== UNAVAILABLE,
      history: history !== UNAVAILABLE,
      customerInsights: customers !== UNAVAILABLE,
    },
    score: score === UNAVAILABLE ? undefined : parseScore(score, warn),
    requirements: uniqueBy(parsedRequirements, (requirement) => requirement.id, "requirements", warn),
    latestHistory: history === UNAVAILABLE ? undefined : latestHistory(history, warn),
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

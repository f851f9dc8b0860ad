import type { GraphClient } from "./client.js";
import { fetchCollection } from "./collection.js";
import type { Collector, CollectionOptions } from "./collection.js";
import { asObject, field, graphDateTime, graphNumber } from "./schema.js";
import type { WarningSink } from "./schema.js";
import type { HistoryEntry } from "./snapshot.js";

/** One history entry; `undefined` (with a warning) without a `createdDateTime`: it cannot be placed in time. */
export function parseHistoryEntry(item: unknown, warn: WarningSink): HistoryEntry | undefined {
  const object = asObject(item, "history[]", warn);
  if (!object) return undefined;
  const createdSeconds = field(object, "createdDateTime", graphDateTime, "history[]", warn);
  if (createdSeconds === undefined) {
    warn("history[].createdDateTime: entry without a date dropped");
    return undefined;
  }
  return {
    createdSeconds,
    score: field(object, "score", graphNumber, "history[]", warn),
    compliantRequirements: field(object, "compliantRequirementsCount", graphNumber, "history[]", warn),
    totalRequirements: field(object, "totalRequirementsCount", graphNumber, "history[]", warn),
  };
}

/** Every entry, one per date (the first of two with one date wins, with a warning), oldest first. */
function everyEntry(warn: WarningSink): Collector<HistoryEntry[]> {
  const byDate = new Map<number, HistoryEntry>();
  return {
    add(item) {
      const entry = parseHistoryEntry(item, warn);
      if (!entry) return false;
      if (byDate.has(entry.createdSeconds)) {
        warn(`history: two entries for ${new Date(entry.createdSeconds * 1000).toISOString()}, the first kept`);
        return false;
      }
      byDate.set(entry.createdSeconds, entry);
      return true;
    },
    result: () => [...byDate.values()].sort((a, b) => a.createdSeconds - b.createdSeconds),
  };
}

/** The whole score history, every page, validated and in time order (Graph documents no order). */
export function readHistory(client: GraphClient, options: CollectionOptions & { readonly warn: WarningSink }): Promise<HistoryEntry[]> {
  return fetchCollection(client, "history", options, everyEntry(options.warn));
}

/**
 * What a page is cut from: an array, or a list that makes its items only when a page asks for them.
 * At 100,000 tenants the triage sources hold several hundred thousand objects; made all at once and
 * kept for a drift step they cost seconds of garbage collection, made a page at a time they cost little.
 */
export interface ItemList {
  readonly length: number;
  slice(start: number, end: number): readonly unknown[];
}

/** A list of `length` items, the item at `i` being `item(i)` (a pure function, so every page of a step agrees). */
export function generatedList(length: number, item: (i: number) => unknown): ItemList {
  return {
    length,
    slice(start, end) {
      const items: unknown[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, length); i++) items.push(item(i));
      return items;
    },
  };
}

import type { ItemList } from "./item-list.js";

/** A link to a Graph path on the simulator, `base` being its root with the trailing slash. */
export function graphLink(base: string, pathname: string, search: string): string {
  return `${base}beta${pathname.slice("/beta".length)}${search}`;
}

/**
 * The `@odata.context` of a collection at a Graph path: `…/beta/$metadata#contracts`, and for
 * tenantRelationships the form the GDAP docs show, `…/beta/tenantRelationships/$metadata#delegatedAdminCustomers`.
 */
export function collectionContext(base: string, pathname: string): string {
  const collection = pathname.slice("/beta/".length);
  const gdap = /^tenantRelationships\/(.+)$/.exec(collection)?.[1];
  return gdap === undefined ? `${base}beta/$metadata#${collection}` : `${base}beta/tenantRelationships/$metadata#${gdap}`;
}

/** One OData page of a collection: `$skiptoken` is the offset, and a nextLink follows while items remain. */
export function page(items: ItemList, url: URL, base: string, pageSize: number): Record<string, unknown> {
  const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
  const offset = Number.isSafeInteger(skip) && skip > 0 ? skip : 0;
  const next = offset + pageSize;
  return {
    "@odata.context": collectionContext(base, url.pathname),
    value: items.slice(offset, next),
    ...(next < items.length ? { "@odata.nextLink": graphLink(base, url.pathname, `?$skiptoken=${next}`) } : {}),
  };
}

/** The index of the page a request asks for, as a fault's `fromPage` counts. */
export function requestedPage(url: URL, pageSize: number): number {
  return Math.floor(Number(url.searchParams.get("$skiptoken") ?? "0") / pageSize);
}

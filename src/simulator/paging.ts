/** A link to a Graph path on the simulator, `base` being its root with the trailing slash. */
export function graphLink(base: string, pathname: string, search: string): string {
  return `${base}beta${pathname.slice("/beta".length)}${search}`;
}

/** One OData page of a collection: `$skiptoken` is the offset, and a nextLink follows while items remain. */
export function page(items: readonly unknown[], url: URL, base: string, pageSize: number): Record<string, unknown> {
  const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
  const offset = Number.isSafeInteger(skip) && skip > 0 ? skip : 0;
  const next = offset + pageSize;
  return {
    "@odata.context": `${base}beta/$metadata#security/partner/securityScore/${url.pathname.split("/").pop() ?? ""}`,
    value: items.slice(offset, next),
    ...(next < items.length ? { "@odata.nextLink": graphLink(base, url.pathname, `?$skiptoken=${next}`) } : {}),
  };
}

/** The index of the page a request asks for, as a fault's `fromPage` counts. */
export function requestedPage(url: URL, pageSize: number): number {
  return Math.floor(Number(url.searchParams.get("$skiptoken") ?? "0") / pageSize);
}

import { describe, expect, it } from "vitest";
import type { GraphClient } from "../../src/graph/client.js";
import { distinct, fetchCollection, MAX_PAGES_WITHOUT_NEW_ITEMS } from "../../src/graph/collection.js";
import { SchemaError } from "../../src/graph/errors.js";
import { parseCustomerInsight } from "../../src/graph/schema.js";
import { pagedChain } from "../fixtures/graph-fixtures.js";

const INSIGHTS = "/security/partner/securityScore/customerInsights";
const signal = new AbortController().signal;

function tenant(id: string) {
  return { tenantId: id, mfa: { totalUsersCount: 1 } };
}


/** The customer tenants of a chain, as the refresh reads them: validated, one per tenant id. */
function customers(client: GraphClient, warnings: string[] = []) {
  const warn = (message: string): void => void warnings.push(message);
  return fetchCollection(client, "customerInsights", { signal }, distinct("customerInsights", parseCustomerInsight, (customer) => customer.tenantId, warn));
}

describe("fetchCollection with the refresh's validating collector", () => {
  it("reads a long chain whole when every page adds one new tenant", async () => {
    const pages = MAX_PAGES_WITHOUT_NEW_ITEMS + 5;
    const client = pagedChain(INSIGHTS, pages, (page) => [tenant(`t${page}`)]);
    const read = await customers(client);
    expect(read.map((customer) => customer.tenantId)).toEqual(Array.from({ length: pages }, (_, page) => `t${page}`));
  });

  it.each([
    ["tenants already read", (): unknown[] => [tenant("t0")]],
    ["customers without a tenantId", (): unknown[] => [{ mfa: { totalUsersCount: 1 } }]],
  ])("stops a runaway chain of pages holding only %s", async (_what, filler) => {
    const client = pagedChain(INSIGHTS, 1_000_000, (page) => (page === 0 ? [tenant("t0")] : filler()));
    const failure = await customers(client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SchemaError);
    expect(String(failure)).toContain(`customerInsights: ${MAX_PAGES_WITHOUT_NEW_ITEMS} pages in a row added no new item`);
    expect(client.calls).toHaveLength(1 + MAX_PAGES_WITHOUT_NEW_ITEMS + 1);
  });

  it("reads a chain whole that ends on its last page after as many pages without a new tenant as the guard counts", async () => {
    // Page 0 has a tenant; pages 1…MAX add nothing, and page MAX is the last: the chain ended, it did not run away.
    const client = pagedChain(INSIGHTS, 1 + MAX_PAGES_WITHOUT_NEW_ITEMS, (page) => (page === 0 ? [tenant("t0")] : []));
    const read = await customers(client);
    expect(read.map((customer) => customer.tenantId)).toEqual(["t0"]);
    expect(client.calls).toHaveLength(1 + MAX_PAGES_WITHOUT_NEW_ITEMS);
  });
});

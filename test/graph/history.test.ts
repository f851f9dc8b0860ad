import { describe, expect, it } from "vitest";
import { SchemaError } from "../../src/graph/errors.js";
import { MAX_PAGES_WITHOUT_NEW_ITEMS } from "../../src/graph/collection.js";
import { readHistory } from "../../src/graph/history.js";
import { fakeGraphClient, pagedChain } from "../fixtures/graph-fixtures.js";

const HISTORY = "/security/partner/securityScore/history";
const signal = new AbortController().signal;

function entry(date: string, score: unknown = 50, extra: Record<string, unknown> = {}) {
  return { "@odata.type": "#microsoft.graph.partner.security.securityScoreHistory", id: date, createdDateTime: date, score, compliantRequirementsCount: 3, totalRequirementsCount: 5, ...extra };
}

const seconds = (date: string): number => Date.parse(date) / 1000;

async function read(answers: Record<string, unknown>) {
  const warnings: string[] = [];
  const client = fakeGraphClient(answers);
  const entries = await readHistory(client, { signal, warn: (message) => warnings.push(message) });
  return { entries, warnings, calls: client.calls };
}


describe("readHistory (the backfill's whole score history)", () => {
  it("reads every page from the history endpoint and returns every entry oldest first, whatever order Graph sent", async () => {
    const { entries, warnings, calls } = await read({
      [HISTORY]: { value: [entry("2024-01-17T00:00:00Z", 14.29), entry("2024-01-15T00:00:00Z", "12.5")], "@odata.nextLink": "https://g/p2" },
      "https://g/p2": { value: [entry("2024-01-16T00:00:00Z", 13), entry("2024-01-18T00:00:00Z", 15)] },
    });
    expect(calls).toEqual([HISTORY, "https://g/p2"]);
    expect(entries).toEqual([
      { createdSeconds: seconds("2024-01-15T00:00:00Z"), score: 12.5, compliantRequirements: 3, totalRequirements: 5 },
      { createdSeconds: seconds("2024-01-16T00:00:00Z"), score: 13, compliantRequirements: 3, totalRequirements: 5 },
      { createdSeconds: seconds("2024-01-17T00:00:00Z"), score: 14.29, compliantRequirements: 3, totalRequirements: 5 },
      { createdSeconds: seconds("2024-01-18T00:00:00Z"), score: 15, compliantRequirements: 3, totalRequirements: 5 },
    ]);
    expect(warnings).toEqual([]);
  });

  it("keeps the first of two entries with one date, and says which date", async () => {
    const { entries, warnings } = await read({ [HISTORY]: { value: [entry("2024-01-17T00:00:00Z", 14), entry("2024-01-17T00:00:00Z", 99)] } });
    expect(entries.map((one) => one.score)).toEqual([14]);
    expect(warnings).toEqual(["history: two entries for 2024-01-17T00:00:00.000Z, the first kept"]);
  });

  it.each([
    ["an entry without a date", { score: 1 }, ["history[].createdDateTime: entry without a date dropped"]],
    ["an entry whose date is not a date", { createdDateTime: "yesterday", score: 1 }, ['history[].createdDateTime: dropped, expected a date-time but got "yesterday"', "history[].createdDateTime: entry without a date dropped"]],
    ["an item that is not an object", null, ["history[]: dropped, expected an object but got null"]],
  ])("drops %s with a warning, and keeps the others", async (_what, item, warned) => {
    const { entries, warnings } = await read({ [HISTORY]: { value: [item, entry("2024-01-17T00:00:00Z", 14)] } });
    expect(entries).toEqual([{ createdSeconds: seconds("2024-01-17T00:00:00Z"), score: 14, compliantRequirements: 3, totalRequirements: 5 }]);
    expect(warnings).toEqual(warned);
  });

  it.each([
    ["score", { score: "high" }, { score: undefined, compliantRequirements: 3, totalRequirements: 5 }],
    ["compliantRequirementsCount", { compliantRequirementsCount: "all" }, { score: 50, compliantRequirements: undefined, totalRequirements: 5 }],
    ["totalRequirementsCount", { totalRequirementsCount: true }, { score: 50, compliantRequirements: 3, totalRequirements: undefined }],
  ])("keeps a dated entry whose %s is unusable, without that value and with a warning naming it", async (key, bad, values) => {
    const { entries, warnings } = await read({ [HISTORY]: { value: [entry("2024-01-17T00:00:00Z", 50, bad)] } });
    expect(entries).toEqual([{ createdSeconds: seconds("2024-01-17T00:00:00Z"), ...values }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^history\\[\\]\\.${key}: dropped, expected `));
  });

  it("reads a long history whole, one new entry per page", async () => {
    const pages = MAX_PAGES_WITHOUT_NEW_ITEMS + 5;
    const client = pagedChain(HISTORY, pages, (page) => [entry(new Date(Date.UTC(2024, 0, 1 + page)).toISOString())]);
    const entries = await readHistory(client, { signal, warn: () => undefined });
    expect(entries).toHaveLength(pages);
    expect(client.calls).toHaveLength(pages);
  });

  it.each([
    ["the same entry again", () => [entry("2024-01-01T00:00:00Z")]],
    ["entries without a date", () => [{ score: 1 }]],
  ])("stops a runaway chain of pages holding only %s", async (_what, filler) => {
    const client = pagedChain(HISTORY, 1_000_000, (page) => (page === 0 ? [entry("2024-01-01T00:00:00Z")] : filler()));
    const failure = await readHistory(client, { signal, warn: () => undefined }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SchemaError);
    expect(String(failure)).toContain(`history: ${MAX_PAGES_WITHOUT_NEW_ITEMS} pages in a row added no new item`);
    // The good page, the filler pages, and the next page already requested.
    expect(client.calls).toHaveLength(1 + MAX_PAGES_WITHOUT_NEW_ITEMS + 1);
  });
});

import { describe, expect, it } from "vitest";
import type { GraphClient } from "../../src/graph/client.js";
import { GraphError, SchemaError } from "../../src/graph/errors.js";
import { fetchCollection, fetchSnapshot } from "../../src/graph/fetch-snapshot.js";
import { fakeGraphClient, fixtureAnswers, fixtureSnapshot } from "../fixtures/graph-fixtures.js";

const INSIGHTS = "/security/partner/securityScore/customerInsights";
const signal = new AbortController().signal;
const warn = (): void => undefined;

function tenant(id: string) {
  return { tenantId: id, mfa: { totalUsersCount: 1 } };
}

describe("fetchCollection", () => {
  it("follows @odata.nextLink until it ends", async () => {
    const client = fakeGraphClient({
      [INSIGHTS]: { value: [tenant("a")], "@odata.nextLink": "https://g/p2" },
      "https://g/p2": { value: [tenant("b")], "@odata.nextLink": "https://g/p3" },
      "https://g/p3": { value: [tenant("c")] },
    });
    const items = await fetchCollection(client, "customerInsights", { signal, warn });
    expect(items).toEqual([tenant("a"), tenant("b"), tenant("c")]);
    expect(client.calls).toEqual([INSIGHTS, "https://g/p2", "https://g/p3"]);
  });

  it("stops a nextLink loop with an error", async () => {
    const client = fakeGraphClient({
      [INSIGHTS]: { value: [], "@odata.nextLink": "https://g/p2" },
      "https://g/p2": { value: [], "@odata.nextLink": "https://g/p2" },
    });
    await expect(fetchCollection(client, "customerInsights", { signal, warn })).rejects.toThrow(/repeats an earlier page/);
    expect(client.calls).toHaveLength(2);
  });

  it("stops after the page limit", async () => {
    let page = 0;
    const endless: GraphClient = {
      getJson: () => Promise.resolve({ value: [tenant(String(page))], "@odata.nextLink": `https://g/p${++page}` }),
    };
    await expect(fetchCollection(endless, "customerInsights", { signal, warn, maxPages: 5 })).rejects.toThrow(SchemaError);
    expect(page).toBe(5);
  });
});

describe("fetchSnapshot", () => {
  it("validates the four endpoints into one frozen snapshot", async () => {
    const snapshot = await fixtureSnapshot();
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true });
    expect(snapshot.score?.currentScore).toBe(14.29);
    expect(snapshot.requirements.map((r) => r.type)).toEqual([
      "securityContactProvided",
      "mfaEnforcedForAdmins",
      "mfaEnforcedForAdminsOfCustomers",
      "spendingBudgetSetForCustomerAzureSubscriptions",
      "securityAlertsPromptlyResolved",
    ]);
    expect(snapshot.customers).toHaveLength(2);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.customers)).toBe(true);
  });

  it("marks a 404 endpoint unavailable and still returns the others", async () => {
    const answers = fixtureAnswers();
    delete answers["/security/partner/securityScore/history"];
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn });
    expect(snapshot.available.history).toBe(false);
    expect(snapshot.latestHistory).toBeUndefined();
    expect(snapshot.customers).toHaveLength(2);
  });

  it("fails the refresh on a 404 of the score itself: without it there is nothing to export", async () => {
    const answers = fixtureAnswers();
    delete answers["/security/partner/securityScore"];
    const failure = await fetchSnapshot(fakeGraphClient(answers), { signal, warn }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ endpoint: "securityScore", status: 404 });
  });

  it.each(["requirements", "customerInsights"] as const)("marks a 404 on %s unavailable, not a failure", async (endpoint) => {
    const answers = fixtureAnswers();
    delete answers[`/security/partner/securityScore/${endpoint}`];
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn });
    expect(snapshot.available).toEqual({ securityScore: true, requirements: true, history: true, customerInsights: true, [endpoint]: false });
    expect(snapshot.score?.currentScore).toBe(14.29);
  });

  it("fails whole when a later page fails, so no partial tenant list is published", async () => {
    const client = fakeGraphClient({
      ...fixtureAnswers(),
      "https://graph.microsoft.com/beta/security/partner/securityScore/customerInsights?$skiptoken=abc": new GraphError("customerInsights: HTTP 500", "customerInsights", 500, undefined, undefined),
    });
    await expect(fetchSnapshot(client, { signal, warn })).rejects.toThrow("customerInsights: HTTP 500");
  });

  it("abandons the requests still in flight when one endpoint fails", async () => {
    let seen: AbortSignal | undefined;
    const client: GraphClient = {
      getJson(endpoint, _path, requestSignal) {
        if (endpoint === "securityScore") return Promise.reject(new GraphError("securityScore: HTTP 400", endpoint, 400, undefined, undefined));
        seen = requestSignal;
        return new Promise(() => undefined);
      },
    };
    await expect(fetchSnapshot(client, { signal, warn })).rejects.toThrow("HTTP 400");
    expect(seen?.aborted).toBe(true);
  });

  it("keeps the first of two customers with the same tenant id", async () => {
    const warnings: string[] = [];
    const answers = { ...fixtureAnswers(), [INSIGHTS]: { value: [tenant("same"), { ...tenant("same"), mfa: { totalUsersCount: 9 } }] } };
    const snapshot = await fetchSnapshot(fakeGraphClient(answers), { signal, warn: (message) => warnings.push(message) });
    expect(snapshot.customers).toHaveLength(1);
    expect(snapshot.customers[0]?.totalUsers).toBe(1);
    expect(warnings).toContain("customerInsights: duplicate id dropped");
  });
});

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSnapshot } from "../../src/metrics/render.js";
import { fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { hasTool, promtoolCheckMetrics } from "../helpers.js";

const GOLDEN = {
  text: new URL("../fixtures/snapshot.prom", import.meta.url),
  openmetrics: new URL("../fixtures/snapshot.openmetrics", import.meta.url),
};

/** Compares with the committed file byte for byte; UPDATE_GOLDEN=1 rewrites it instead. */
function expectGolden(actual: string, file: URL): void {
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.CI === "true") throw new Error(`golden file ${file.pathname} is missing`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("renderSnapshot", () => {
  it("renders the documented wire examples to the golden exposition", async () => {
    const rendered = await renderSnapshot(await fixtureSnapshot(), { refreshInterval: "15m", now: 0 });
    expectGolden(rendered.bodies.text.plain.toString("utf8"), GOLDEN.text);
    expectGolden(rendered.bodies.openmetrics.plain.toString("utf8"), GOLDEN.openmetrics);
  });

  it("renders the same snapshot to the same bytes every time", async () => {
    const snapshot = await fixtureSnapshot();
    const [a, b] = await Promise.all([renderSnapshot(snapshot, { refreshInterval: "1m" }), renderSnapshot(snapshot, { refreshInterval: "1m" })]);
    expect(a.bodies.text.plain.equals(b.bodies.text.plain)).toBe(true);
  });

  it("leaves out what Graph did not send instead of exporting 0", async () => {
    const snapshot = await fixtureSnapshot();
    const text = (await renderSnapshot({ ...snapshot, score: undefined, latestHistory: undefined }, { refreshInterval: "1m" })).bodies.text.plain.toString("utf8");
    expect(text).not.toMatch(/^partner_security_score /m);
    expect(text).not.toMatch(/^partner_security_history_score /m);
    expect(text).toMatch(/^partner_security_customer_users\{/m);
  });

  it("says in every HELP line that the value is cached and how often it is refreshed", async () => {
    const text = (await renderSnapshot(await fixtureSnapshot(), { refreshInterval: "15m" })).bodies.text.plain.toString("utf8");
    const helps = text.split("\n").filter((line) => line.startsWith("# HELP"));
    expect(helps.length).toBeGreaterThan(20);
    for (const help of helps) expect(help).toContain("Cached; refreshed from Microsoft Graph every 15m.");
  });

  it("passes promtool check metrics", () => {
    if (!hasTool("promtool")) return;
    const result = promtoolCheckMetrics(readFileSync(GOLDEN.text, "utf8"));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});

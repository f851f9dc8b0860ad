import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants, crc32, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { renderSnapshot } from "../../src/metrics/render.js";
import { ALL_SOURCES, fixtureSnapshot } from "../fixtures/graph-fixtures.js";
import { hasTool, promtoolCheckMetrics } from "../helpers.js";

const GOLDEN = {
  text: new URL("../fixtures/snapshot.prom", import.meta.url),
  openmetrics: new URL("../fixtures/snapshot.openmetrics", import.meta.url),
};

/** Compares with the committed file byte for byte; UPDATE_GOLDEN=1 rewrites it instead. A missing one fails. */
function expectGolden(actual: string, file: URL): void {
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, actual);
  if (!existsSync(file)) throw new Error(`golden file ${file.pathname} is missing: run UPDATE_GOLDEN=1 npx vitest run test/metrics and review the diff`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("renderSnapshot", () => {
  it("renders the documented wire examples to the golden exposition", async () => {
    const rendered = await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all", now: 0 });
    expectGolden(Buffer.concat(rendered.bodies.text.chunks).toString("utf8"), GOLDEN.text);
    expectGolden(Buffer.concat(rendered.bodies.openmetrics.chunks).toString("utf8"), GOLDEN.openmetrics);
  });

  it("renders the same snapshot to the same bytes every time", async () => {
    const snapshot = await fixtureSnapshot();
    const [a, b] = await Promise.all([renderSnapshot(snapshot, { customerSeries: "all" }), renderSnapshot(snapshot, { customerSeries: "all" })]);
    expect(Buffer.concat(a.bodies.text.chunks).equals(Buffer.concat(b.bodies.text.chunks))).toBe(true);
  });

  it.each(["text", "openmetrics"] as const)("keeps %s as deflated chunks that inflate to the plain bytes, with their length and CRC", async (format) => {
    const body = (await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all", generation: 3 })).bodies[format];
    const plain = Buffer.concat(body.chunks);
    expect(body.length).toBe(plain.length);
    expect(body.crc).toBe(crc32(plain));
    // Not final: the self-metrics part of a scrape ends the stream.
    expect(inflateRawSync(body.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).equals(plain)).toBe(true);
  });

  it("compresses a large snapshot (many deflate outputs) to a stream that inflates to its plain bytes", async () => {
    const snapshot = await fixtureSnapshot();
    const template = snapshot.customers[0]!;
    const customers = Array.from({ length: 3000 }, (_, index) => ({ ...template, tenantId: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}` }));
    const body = (await renderSnapshot({ ...snapshot, customers }, { customerSeries: "all" })).bodies.text;
    const plain = Buffer.concat(body.chunks);
    expect(plain.length).toBeGreaterThan(500_000);
    expect(body.crc).toBe(crc32(plain));
    expect(inflateRawSync(body.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).equals(plain)).toBe(true);
  });

  it("holds the bytes of each family once for both formats", async () => {
    const { bodies } = await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all" });
    expect(bodies.openmetrics.chunks.length).toBeGreaterThan(10);
    for (const chunk of bodies.openmetrics.chunks) expect(bodies.text.chunks).toContain(chunk);
  });

  it("leaves out what Graph did not send instead of exporting 0", async () => {
    const snapshot = await fixtureSnapshot();
    const text = Buffer.concat((await renderSnapshot({ ...snapshot, score: undefined, latestHistory: undefined }, { customerSeries: "all" })).bodies.text.chunks).toString("utf8");
    expect(text).not.toMatch(/^partner_security_score /m);
    expect(text).not.toMatch(/^partner_security_history_score /m);
    expect(text).toMatch(/^partner_security_customer_users\{/m);
  });

  it("writes HELP and TYPE once per family however many slices its samples take, and counts the Graph series it wrote", async () => {
    const snapshot = await fixtureSnapshot();
    const template = snapshot.customers[0]!;
    const customers = Array.from({ length: 2500 }, (_, index) => ({ ...template, tenantId: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}` }));
    const rendered = await renderSnapshot({ ...snapshot, customers }, { customerSeries: "all", generation: 7 });
    const text = Buffer.concat(rendered.bodies.text.chunks).toString("utf8");
    const helps = text.split("\n").filter((line) => line.startsWith("# HELP "));
    expect(new Set(helps).size).toBe(helps.length);
    expect(text.split("\n").filter((line) => line === "# TYPE partner_security_customer_users gauge")).toHaveLength(1);
    expect(text.split("\n").filter((line) => line.startsWith("partner_security_customer_users{"))).toHaveLength(2500);
    // The generation is the exporter's own series, not one of Graph's.
    expect(text).toMatch(/^partner_security_exporter_snapshot_generation 7$/m);
    const graphLines = text.split("\n").filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("partner_security_exporter_"));
    expect(rendered.series).toBe(graphLines.length);
    const withoutGeneration = await renderSnapshot({ ...snapshot, customers }, { customerSeries: "all" });
    expect(Buffer.concat(withoutGeneration.bodies.text.chunks).toString("utf8")).not.toContain("snapshot_generation");
    expect(withoutGeneration.series).toBe(graphLines.length);
  });

  it("stamps the rendering with the time it is given", async () => {
    const rendered = await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all", now: 1_796_000_000_000 });
    expect(rendered.renderedAt).toBe(1_796_000_000_000);
  });

  it("renders Graph's NaN, INF and -INF as Prometheus reads them: NaN, +Inf, -Inf", async () => {
    const snapshot = await fixtureSnapshot();
    const score = { ...snapshot.score!, currentScore: Number.NaN, maxScore: Number.POSITIVE_INFINITY };
    const requirements = snapshot.requirements.map((requirement, index) => (index === 0 ? { ...requirement, score: Number.NEGATIVE_INFINITY } : requirement));
    const text = Buffer.concat((await renderSnapshot({ ...snapshot, score, requirements }, { customerSeries: "all" })).bodies.text.chunks).toString("utf8");
    expect(text).toMatch(/^partner_security_score NaN$/m);
    expect(text).toMatch(/^partner_security_score_max \+Inf$/m);
    expect(text).toMatch(new RegExp(`^partner_security_requirement_score\\{requirement_id="${snapshot.requirements[0]!.id}"[^}]*\\} -Inf$`, "m"));
  });

  it("escapes a backslash, a double quote and a newline in a label value, and nothing else", async () => {
    const snapshot = await fixtureSnapshot([], ALL_SOURCES);
    const tenantId = snapshot.customers[0]!.tenantId;
    const customerNames = [{ tenantId, name: 'Fabrikam "EU"\\Legacy\nDivision ü', domain: "" }];
    const text = Buffer.concat((await renderSnapshot({ ...snapshot, customerNames }, { customerSeries: "all" })).bodies.text.chunks).toString("utf8");
    expect(text).toContain(`partner_security_customer_info{customer_tenant_id="${tenantId}",customer_name="Fabrikam \\"EU\\"\\\\Legacy\\nDivision ü",customer_domain=""} 1\n`);
  });

  it("says in every HELP line that the value is cached and which metric gives the refresh interval", async () => {
    const text = Buffer.concat((await renderSnapshot(await fixtureSnapshot(), { customerSeries: "all" })).bodies.text.chunks).toString("utf8");
    const helps = text.split("\n").filter((line) => line.startsWith("# HELP"));
    expect(helps.length).toBeGreaterThan(20);
    for (const help of helps) expect(help).toMatch(/\. Cached between refreshes from Microsoft Graph; partner_security_exporter_refresh_interval_seconds gives the interval\.$/);
  });

  it.each([
    ["all", 60],
    ["none", 10],
  ] as const)("reads 20,000 tenants over many turns of the event loop, not in one (customer series %s)", async (customerSeries, atLeast) => {
    const snapshot = await fixtureSnapshot();
    const template = snapshot.customers[0]!;
    // A setImmediate chain counts the turns; each read of a tenant notes the turn it happens in.
    let turn = 0;
    let rendering = true;
    const readInTurns = new Set<number>();
    function nextTurn(): void {
      turn++;
      if (rendering) setImmediate(nextTurn);
    }
    const customers = Array.from({ length: 20_000 }, (_, index) => {
      const customer = { ...template, tenantId: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}` };
      const { policies } = template;
      return Object.defineProperty(customer, "policies", {
        get: () => {
          readInTurns.add(turn);
          return policies;
        },
      });
    });
    setImmediate(nextTurn);
    await renderSnapshot({ ...snapshot, customers }, { customerSeries });
    rendering = false;
    // Slices of 1,000: 20 to count the aggregates, and in mode all 60 more for the 60,000 policy samples.
    expect(readInTurns.size).toBeGreaterThan(atLeast);
  });

  it.skipIf(!hasTool("promtool"))("passes promtool check metrics", () => {
    const result = promtoolCheckMetrics(readFileSync(GOLDEN.text, "utf8"));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});

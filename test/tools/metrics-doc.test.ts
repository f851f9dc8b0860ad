import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_METRICS } from "../../src/metrics/all-metrics.js";
import { generateMetricsDoc, METRICS_DOC } from "../../tools/metrics-doc/generate.js";

const DOC = readFileSync(METRICS_DOC, "utf8");

describe("docs/metrics.md", () => {
  it("is exactly what `npm run docs:metrics` makes of the metric tables", () => {
    expect(generateMetricsDoc(DOC), "docs/metrics.md is stale: run npm run docs:metrics").toBe(DOC);
  });

  it("lists every metric once, with its type and every label name", () => {
    for (const row of ALL_METRICS) {
      const lines = DOC.split("\n").filter((line) => line.startsWith(`| \`${row.name}\` |`));
      expect(lines, row.name).toHaveLength(1);
      expect(lines[0]?.split(" | ")[1], row.name).toMatch(new RegExp(`^${row.type}`));
      for (const label of row.labelNames) expect(lines[0], `${row.name} ${label}`).toContain(`\`${label}\``);
    }
  });

  it("refuses a doc that lost a generated section", () => {
    const withoutHistory = DOC.replace(/<!-- generated from the metric tables \(npm run docs:metrics\): history -->/, "");
    expect(() => generateMetricsDoc(withoutHistory)).toThrow(/no generated block .*partner_security_history_score/);
  });
});

import { describe, expect, it } from "vitest";
import { describeRuns, merge, score, sha256, staleEquivalents, summarise, tally } from "../../tools/mutation-report.js";

const mutant = (line: number, status: string, mutatorName = "StringLiteral", replacement = '""', column = 1) => ({ mutatorName, replacement, status, location: { start: { line, column } } });
const RUN = { command: "npm run mutation -- src/metrics", date: "2026-12-01", node: "20.20.2" };
const report = {
  files: {
    "src/metrics/render.ts": {
      source: "export const a = 1;\n",
      mutants: [mutant(1, "Killed"), mutant(2, "Timeout"), mutant(3, "Survived"), mutant(4, "NoCoverage"), mutant(5, "CompileError"), mutant(6, "Ignored"), mutant(4, "Survived", "StringLiteral", '""', 2)],
    },
  },
  run: RUN,
};
const results = merge({}, [summarise(report, "2026-12-01T10:00:00.000Z")]);
const listed = (line: number, column = 1, mutator = "StringLiteral") => ({ file: "src/metrics/render.ts", line, column, mutator, replacement: '""', reason: "changes nothing" });

describe("the mutation report", () => {
  it("counts killed and timed-out mutants as detected, survivors and uncovered ones as not, and leaves compile errors and ignored ones out", () => {
    const { files, unexplained } = tally(results, []);
    expect(files.get("src/metrics/render.ts")).toEqual({ killed: 2, survived: 3, equivalent: 0 });
    expect(unexplained).toEqual([
      'src/metrics/render.ts:3:1 StringLiteral → "\\"\\"" (Survived)',
      'src/metrics/render.ts:4:1 StringLiteral → "\\"\\"" (NoCoverage)',
      'src/metrics/render.ts:4:2 StringLiteral → "\\"\\"" (Survived)',
    ]);
    expect(score({ killed: 2, survived: 2, equivalent: 0 })).toBe(50);
  });

  it("does not count a survivor listed as equivalent (same file, line, column, mutator and replacement), and only that one", () => {
    const { files, unexplained } = tally(results, [listed(3), listed(4, 1, "ConditionalExpression"), listed(4, 3)]);
    expect(files.get("src/metrics/render.ts")).toEqual({ killed: 2, survived: 2, equivalent: 1 });
    expect(unexplained).toHaveLength(2);
    expect(score({ killed: 2, survived: 1, equivalent: 1 })).toBeCloseTo(66.67, 1);
  });

  it("keeps what a run saw of the source, so a file changed since can be told", () => {
    expect(results["src/metrics/render.ts"]?.sha256).toBe(sha256("export const a = 1;\n"));
    expect(results["src/metrics/render.ts"]?.sha256).not.toBe(sha256("export const a = 2;\n"));
  });

  it("takes each file from the newest run that mutated it, over the committed results, and names that run", () => {
    const newer = { command: "npm run mutation -- src/metrics/render.ts", date: "2026-12-02", node: "20.20.2" };
    const committed = merge({}, [summarise({ files: { ...report.files, "src/metrics/samples.ts": { source: "", mutants: [mutant(1, "Killed")] } }, run: RUN }, "2026-12-01T10:00:00.000Z")]);
    const rerun = summarise({ files: { "src/metrics/render.ts": { source: "", mutants: [mutant(1, "Killed")] } }, run: newer }, "2026-12-02T10:00:00.000Z");
    const older = summarise({ files: { "src/metrics/samples.ts": { source: "", mutants: [mutant(1, "Survived")] } }, run: RUN }, "2026-11-30T10:00:00.000Z");
    const merged = merge(committed, [rerun, older]);
    expect(tally(merged, []).files.get("src/metrics/render.ts")).toEqual({ killed: 1, survived: 0, equivalent: 0 });
    expect(tally(merged, []).files.get("src/metrics/samples.ts")).toEqual({ killed: 1, survived: 0, equivalent: 0 });
    expect(describeRuns([merged["src/metrics/render.ts"]?.run])).toBe("`npm run mutation -- src/metrics/render.ts` (2026-12-02, Node.js 20.20.2)");
    expect(describeRuns([merged["src/metrics/render.ts"]?.run, merged["src/metrics/samples.ts"]?.run, merged["src/metrics/samples.ts"]?.run])).toBe(
      "`npm run mutation -- src/metrics/render.ts` (2026-12-02, Node.js 20.20.2); `npm run mutation -- src/metrics` (2026-12-01, Node.js 20.20.2)",
    );
  });

  it("reports a listed equivalent that no longer matches a survivor of a file that was run, and only that one", () => {
    const current = listed(3);
    const moved = listed(30);
    const killedNow = listed(1);
    const notRun = { ...listed(3), file: "src/graph/schema.ts" };
    expect(staleEquivalents(results, [current, moved, killedNow, notRun])).toEqual([moved, killedNow]);
  });
});

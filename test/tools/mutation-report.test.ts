import { describe, expect, it } from "vitest";
import { score, tally } from "../../tools/mutation-report.js";

const mutant = (line: number, status: string, mutatorName = "StringLiteral", replacement = '""') => ({ mutatorName, replacement, status, location: { start: { line, column: 1 } } });

describe("the mutation report", () => {
  const report = {
    files: {
      "src/metrics/render.ts": { mutants: [mutant(1, "Killed"), mutant(2, "Timeout"), mutant(3, "Survived"), mutant(4, "NoCoverage"), mutant(5, "CompileError"), mutant(6, "Ignored")] },
    },
  };

  it("counts killed and timed-out mutants as detected, survivors and uncovered ones as not, and leaves compile errors and ignored ones out", () => {
    const { files, unexplained } = tally(report, []);
    expect(files.get("src/metrics/render.ts")).toEqual({ killed: 2, survived: 2, equivalent: 0 });
    expect(unexplained).toEqual(['src/metrics/render.ts:3:1 StringLiteral → "\\"\\"" (Survived)', 'src/metrics/render.ts:4:1 StringLiteral → "\\"\\"" (NoCoverage)']);
    expect(score({ killed: 2, survived: 2, equivalent: 0 })).toBe(50);
  });

  it("does not count a survivor listed as equivalent (same file, line, mutator and replacement), and only that one", () => {
    const equivalents = [
      { file: "src/metrics/render.ts", line: 3, mutator: "StringLiteral", replacement: '""', reason: "changes nothing" },
      { file: "src/metrics/render.ts", line: 4, mutator: "ConditionalExpression", replacement: '""', reason: "another mutant" },
    ];
    const { files, unexplained } = tally(report, equivalents);
    expect(files.get("src/metrics/render.ts")).toEqual({ killed: 2, survived: 1, equivalent: 1 });
    expect(unexplained).toHaveLength(1);
    expect(score({ killed: 2, survived: 1, equivalent: 1 })).toBeCloseTo(66.67, 1);
  });
});

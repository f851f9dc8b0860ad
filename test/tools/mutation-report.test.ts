import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeRuns, newestPerFile, score, staleEquivalents, tally } from "../../tools/mutation-report.js";

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

  it("does not count a survivor listed as equivalent (same file, line, column, mutator and replacement), and only that one", () => {
    const equivalents = [
      { file: "src/metrics/render.ts", line: 3, column: 1, mutator: "StringLiteral", replacement: '""', reason: "changes nothing" },
      { file: "src/metrics/render.ts", line: 4, column: 1, mutator: "ConditionalExpression", replacement: '""', reason: "another mutant" },
      { file: "src/metrics/render.ts", line: 4, column: 2, mutator: "StringLiteral", replacement: '""', reason: "the same kind of mutant in another column" },
    ];
    const { files, unexplained } = tally(report, equivalents);
    expect(files.get("src/metrics/render.ts")).toEqual({ killed: 2, survived: 1, equivalent: 1 });
    expect(unexplained).toHaveLength(1);
    expect(score({ killed: 2, survived: 1, equivalent: 1 })).toBeCloseTo(66.67, 1);
  });

  it("takes each file from the newest run that mutated it and names that run's command, day and Node.js", () => {
    const dir = `${mkdtempSync(join(tmpdir(), "pse-mutation-"))}/`;
    try {
      const older = { command: "npm run mutation -- src/metrics", date: "2026-12-01", node: "20.20.2" };
      const newer = { command: "npm run mutation -- src/metrics/render.ts", date: "2026-12-02", node: "20.20.2" };
      writeFileSync(`${dir}metrics.json`, JSON.stringify({ files: { "src/metrics/render.ts": { mutants: [mutant(1, "Survived")] }, "src/metrics/samples.ts": { mutants: [mutant(1, "Killed")] } }, run: older }));
      writeFileSync(`${dir}render.json`, JSON.stringify({ files: { "src/metrics/render.ts": { mutants: [mutant(1, "Killed")] } }, run: newer }));
      utimesSync(`${dir}metrics.json`, new Date("2026-12-01T10:00:00Z"), new Date("2026-12-01T10:00:00Z"));
      utimesSync(`${dir}render.json`, new Date("2026-12-02T10:00:00Z"), new Date("2026-12-02T10:00:00Z"));
      const { report, runs } = newestPerFile(dir);
      expect(tally(report, []).files.get("src/metrics/render.ts")).toEqual({ killed: 1, survived: 0, equivalent: 0 });
      expect(describeRuns([runs.get("src/metrics/render.ts")])).toBe("`npm run mutation -- src/metrics/render.ts` (2026-12-02, Node.js 20.20.2)");
      expect(describeRuns([runs.get("src/metrics/render.ts"), runs.get("src/metrics/samples.ts"), runs.get("src/metrics/samples.ts")])).toBe(
        "`npm run mutation -- src/metrics/render.ts` (2026-12-02, Node.js 20.20.2); `npm run mutation -- src/metrics` (2026-12-01, Node.js 20.20.2)",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a listed equivalent that no longer matches a survivor of a file that was run, and only that one", () => {
    const listed = (file: string, line: number) => ({ file, line, column: 1, mutator: "StringLiteral", replacement: '""', reason: "changes nothing" });
    const current = listed("src/metrics/render.ts", 3);
    const moved = listed("src/metrics/render.ts", 30);
    const killedNow = listed("src/metrics/render.ts", 1);
    const notRun = listed("src/graph/schema.ts", 3);
    expect(staleEquivalents(report, [current, moved, killedNow, notRun])).toEqual([moved, killedNow]);
  });
});

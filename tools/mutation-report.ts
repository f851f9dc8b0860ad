/**
 * The scores of `npm run mutation` per module and per file. Each run leaves Stryker's JSON report in
 * reports/mutation/ (not committed: it holds the whole source); its results are merged, file by file,
 * into mutation-results.json (committed), so a run of one module on a fresh clone keeps the figures of
 * the others. The mutants listed in mutation-equivalents.json are left out of the score: they change
 * nothing a user could observe (matched by file, line, column, mutator and replacement). Writes
 * docs/mutation.md; exits 1 when a survivor is neither killed nor listed, a module scores below 90%,
 * a file was not run or has changed since its run, or a listed equivalent matches no survivor.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MODULES = ["src/graph/", "src/metrics/", "src/poller/", "src/server/", "src/config.ts"] as const;
const TARGET = 90;

interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
/** Stryker's JSON report, as far as it is read here; `run` is added by tools/mutation.ts. */
export interface Report {
  readonly files: Readonly<Record<string, { readonly source?: string; readonly mutants: readonly Mutant[] }>>;
  readonly run?: Run;
}
/** Which command made a report, when, on which Node.js. */
export interface Run {
  readonly command: string;
  readonly date: string;
  readonly node: string;
}
/** What mutation-results.json keeps of one file's newest run. */
export interface FileResult {
  /** SHA-256 of the source that was mutated: a file changed since is reported, not trusted. */
  readonly sha256: string;
  readonly run: Run;
  /** When the run's report was written (ISO 8601): the newer run of a file wins. */
  readonly finished: string;
  readonly killed: number;
  readonly undetected: readonly { readonly line: number; readonly column: number; readonly mutator: string; readonly replacement: string; readonly status: string }[];
}
export type Results = Readonly<Record<string, FileResult>>;

export interface Equivalent {
  readonly file: string;
  readonly line: number;
  /** Stryker's column: several mutants of one kind can share a line. */
  readonly column: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly reason: string;
}

export interface Tally {
  killed: number;
  survived: number;
  equivalent: number;
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** One report's results per file; compile errors and ignored mutants are not counted. */
export function summarise(report: Report, finished: string): Record<string, FileResult> {
  const run = report.run ?? { command: "npm run mutation", date: finished.slice(0, 10), node: "unknown" };
  return Object.fromEntries(
    Object.entries(report.files).map(([file, { source, mutants }]) => [
      file,
      {
        sha256: sha256(source ?? ""),
        run,
        finished,
        killed: mutants.filter((mutant) => DETECTED.has(mutant.status)).length,
        undetected: mutants
          .filter((mutant) => UNDETECTED.has(mutant.status))
          .map((mutant) => ({ line: mutant.location.start.line, column: mutant.location.start.column, mutator: mutant.mutatorName, replacement: mutant.replacement ?? "", status: mutant.status })),
      },
    ]),
  );
}

/** The committed results with each file replaced by a newer run's, if there is one. */
export function merge(committed: Results, runs: readonly Record<string, FileResult>[]): Results {
  const merged: Record<string, FileResult> = { ...committed };
  for (const results of runs) {
    for (const [file, result] of Object.entries(results)) {
      const known = merged[file];
      if (known === undefined || known.finished <= result.finished) merged[file] = result;
    }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

function listed(equivalents: readonly Equivalent[], file: string, mutant: FileResult["undetected"][number]): boolean {
  return equivalents.some(
    (equivalent) =>
      equivalent.file === file &&
      equivalent.line === mutant.line &&
      equivalent.column === mutant.column &&
      equivalent.mutator === mutant.mutator &&
      equivalent.replacement === mutant.replacement,
  );
}

/** Killed, surviving and equivalent mutants per file, and every survivor neither killed nor listed. */
export function tally(results: Results, equivalents: readonly Equivalent[]): { files: Map<string, Tally>; unexplained: string[] } {
  const files = new Map<string, Tally>();
  const unexplained: string[] = [];
  for (const [file, result] of Object.entries(results)) {
    const counts: Tally = { killed: result.killed, survived: 0, equivalent: 0 };
    for (const mutant of result.undetected) {
      if (listed(equivalents, file, mutant)) counts.equivalent++;
      else {
        counts.survived++;
        unexplained.push(`${file}:${mutant.line}:${mutant.column} ${mutant.mutator} → ${JSON.stringify(mutant.replacement)} (${mutant.status})`);
      }
    }
    files.set(file, counts);
  }
  return { files, unexplained };
}

/**
 * Listed equivalents that match no surviving mutant of a file that has been run: the line moved or
 * the mutant is killed now. Left in, such an entry could one day excuse a different mutant.
 */
export function staleEquivalents(results: Results, equivalents: readonly Equivalent[]): Equivalent[] {
  return equivalents.filter((equivalent) => {
    const result = results[equivalent.file];
    return result !== undefined && !result.undetected.some((mutant) => listed([equivalent], equivalent.file, mutant));
  });
}

export function describeRuns(runs: readonly (Run | undefined)[]): string {
  const named = [...new Set(runs.flatMap((run) => (run === undefined ? [] : [`\`${run.command}\` (${run.date}, Node.js ${run.node})`])))];
  return named.join("; ");
}

export function score(counts: Tally): number {
  const counted = counts.killed + counts.survived;
  return counted === 0 ? 100 : (100 * counts.killed) / counted;
}

function sum(tallies: Tally[]): Tally {
  return tallies.reduce((total, one) => ({ killed: total.killed + one.killed, survived: total.survived + one.survived, equivalent: total.equivalent + one.equivalent }), { killed: 0, survived: 0, equivalent: 0 });
}

function row(name: string, counts: Tally | undefined, run: string): string {
  if (counts === undefined) return `| ${name} | not run | | | | |`;
  const total = counts.killed + counts.survived + counts.equivalent;
  return `| ${name} | ${total === 0 ? "no mutants" : `${score(counts).toFixed(1)}%`} | ${counts.killed} | ${counts.survived} | ${counts.equivalent} | ${run} |`;
}

function reportsIn(dir: string): Record<string, FileResult>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => summarise(JSON.parse(readFileSync(`${dir}${name}`, "utf8")) as Report, statSync(`${dir}${name}`).mtime.toISOString()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const resultsFile = `${ROOT}mutation-results.json`;
  const committed = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Results) : {};
  const results = merge(committed, reportsIn(`${ROOT}reports/mutation/`));
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 1)}\n`);
  const equivalents = JSON.parse(readFileSync(`${ROOT}mutation-equivalents.json`, "utf8")) as Equivalent[];
  const { files, unexplained } = tally(results, equivalents);
  const stale = staleEquivalents(results, equivalents);
  const changed = Object.entries(results)
    .filter(([file, result]) => !existsSync(`${ROOT}${file}`) || sha256(readFileSync(`${ROOT}${file}`, "utf8")) !== result.sha256)
    .map(([file]) => file);
  const modules = MODULES.map((module) => [module, sum([...files].filter(([file]) => file.startsWith(module)).map(([, counts]) => counts))] as const);
  const below = modules.filter(([, counts]) => counts.killed + counts.survived > 0 && score(counts) < TARGET).map(([module]) => module);
  const notRun = MODULES.flatMap((module) => (module.endsWith(".ts") ? [module] : readdirSync(`${ROOT}${module}`).map((file) => `${module}${file}`)))
    .filter((file) => file.endsWith(".ts") && !files.has(file));
  const runOf = (file: string) => results[file]?.run;
  const lines = [
    "# Mutation testing",
    "",
    "<!-- Written by `npm run mutation` (tools/mutation-report.ts) from mutation-results.json; do not edit. -->",
    "",
    "Stryker changes the code of the core modules one small mutation at a time and runs their tests",
    "(vitest.mutation.config.ts) against each; a mutant is killed when a test fails. The score is",
    "killed / (killed + survived); the mutants listed in `mutation-equivalents.json`, each with the",
    `reason it changes nothing a user could observe, are not counted. Target: ${TARGET}% per module.`,
    "Each file's figures come from the newest run that mutated it, named beside it: `npm run mutation`",
    "with no argument runs every module (hours on two cores), `npm run mutation -- <module or file> …`",
    "the ones named.",
    "",
    "| module | score | killed | survived | equivalent | run |",
    "|---|---:|---:|---:|---:|---|",
    ...modules.map(([module, counts]) => {
      const ran = [...files.keys()].filter((file) => file.startsWith(module));
      return row(`\`${module}\``, ran.length === 0 ? undefined : counts, describeRuns(ran.map(runOf)));
    }),
    "",
    "Per file:",
    "",
    "| file | score | killed | survived | equivalent | run |",
    "|---|---:|---:|---:|---:|---|",
    ...[...files].map(([file, counts]) => row(`\`${file}\``, counts, describeRuns([runOf(file)]))),
    "",
    notRun.length === 0 ? "Every file of the modules has been run." : `Not run yet (their modules' scores above leave them out): ${notRun.map((file) => `\`${file}\``).join(", ")}.`,
    "",
    changed.length === 0
      ? "No file has changed since its run."
      : `Changed since their run (their figures describe older code; run them again): ${changed.map((file) => `\`${file}\``).join(", ")}.`,
    "",
    unexplained.length === 0 ? "Every mutant is killed or listed as equivalent." : `Survivors neither killed nor listed (${unexplained.length}):`,
    "",
    ...unexplained.map((line) => `- \`${line}\``),
    ...(stale.length === 0
      ? []
      : [
          "",
          `Entries of \`mutation-equivalents.json\` that match no surviving mutant (the line moved, or a test kills it now; update or remove them) (${stale.length}):`,
          "",
          ...stale.map((equivalent) => `- \`${equivalent.file}:${equivalent.line}:${equivalent.column} ${equivalent.mutator} → ${JSON.stringify(equivalent.replacement)}\``),
        ]),
    "",
  ];
  writeFileSync(`${ROOT}docs/mutation.md`, lines.join("\n"));
  console.log(
    `docs/mutation.md written; ${unexplained.length} survivors neither killed nor listed; modules below ${TARGET}%: ${below.join(", ") || "none"}; files not run: ${notRun.length}; changed since their run: ${changed.length}; stale equivalents: ${stale.length}`,
  );
  process.exit(unexplained.length > 0 || below.length > 0 || notRun.length > 0 || changed.length > 0 || stale.length > 0 ? 1 : 0);
}

/**
 * The scores of the latest `npm run mutation` per module and per file, from Stryker's JSON report
 * (reports/mutation/, one per run), with the mutants listed in mutation-equivalents.json left out:
 * they change nothing a user could observe (matched by file, line, column, mutator and replacement). Writes docs/mutation.md and lists every surviving mutant
 * that is neither killed nor listed; exits 1 when there is one, or when a module scores below 90%.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
interface Report {
  readonly files: Readonly<Record<string, { readonly mutants: readonly Mutant[] }>>;
}
/** Added to Stryker's report by tools/mutation.ts: which command made it, when, on which Node.js. */
interface Run {
  readonly command: string;
  readonly date: string;
  readonly node: string;
}
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

export function isListed(equivalents: readonly Equivalent[], file: string, mutant: Mutant): boolean {
  return equivalents.some(
    (equivalent) =>
      equivalent.file === file &&
      equivalent.line === mutant.location.start.line &&
      equivalent.column === mutant.location.start.column &&
      equivalent.mutator === mutant.mutatorName &&
      equivalent.replacement === (mutant.replacement ?? ""),
  );
}

/** Killed, surviving and equivalent mutants per file; compile errors and ignored mutants are not counted. */
export function tally(report: Report, equivalents: readonly Equivalent[]): { files: Map<string, Tally>; unexplained: string[] } {
  const files = new Map<string, Tally>();
  const unexplained: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const counts: Tally = { killed: 0, survived: 0, equivalent: 0 };
    for (const mutant of mutants) {
      if (DETECTED.has(mutant.status)) counts.killed++;
      else if (UNDETECTED.has(mutant.status) && isListed(equivalents, file, mutant)) counts.equivalent++;
      else if (UNDETECTED.has(mutant.status)) {
        counts.survived++;
        unexplained.push(`${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} → ${JSON.stringify(mutant.replacement ?? "")} (${mutant.status})`);
      }
    }
    files.set(file, counts);
  }
  return { files, unexplained };
}

/** Every file's mutants from the newest of the reports (one per `npm run mutation` run) that has it, and that run. */
export function newestPerFile(dir: string): { report: Report; runs: Map<string, Run> } {
  const reports = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ modified: statSync(`${dir}${name}`).mtimeMs, report: JSON.parse(readFileSync(`${dir}${name}`, "utf8")) as Report & { run?: Run } }))
    .sort((a, b) => a.modified - b.modified);
  const runs = new Map<string, Run>();
  for (const { modified, report } of reports) {
    const run = report.run ?? { command: "npm run mutation", date: new Date(modified).toISOString().slice(0, 10), node: "unknown" };
    for (const file of Object.keys(report.files)) runs.set(file, run);
  }
  return { report: { files: Object.assign({}, ...reports.map(({ report }) => report.files)) as Report["files"] }, runs };
}

export function describeRuns(runs: readonly (Run | undefined)[]): string {
  const named = [...new Set(runs.flatMap((run) => (run === undefined ? [] : [`\`${run.command}\` (${run.date}, Node.js ${run.node})`])))];
  return named.join("; ");
}

/**
 * Listed equivalents that match no surviving mutant of a file that has been run: the line moved or
 * the mutant is killed now. Left in, such an entry could one day excuse a different mutant.
 */
export function staleEquivalents(report: Report, equivalents: readonly Equivalent[]): Equivalent[] {
  return equivalents.filter((equivalent) => {
    const file = report.files[equivalent.file];
    return file !== undefined && !file.mutants.some((mutant) => UNDETECTED.has(mutant.status) && isListed([equivalent], equivalent.file, mutant));
  });
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { report, runs } = newestPerFile(`${ROOT}reports/mutation/`);
  const equivalents = JSON.parse(readFileSync(`${ROOT}mutation-equivalents.json`, "utf8")) as Equivalent[];
  const { files, unexplained } = tally(report, equivalents);
  const stale = staleEquivalents(report, equivalents);
  const modules = MODULES.map((module) => [module, sum([...files].filter(([file]) => file.startsWith(module)).map(([, counts]) => counts))] as const);
  const below = modules.filter(([, counts]) => counts.killed + counts.survived > 0 && score(counts) < TARGET).map(([module]) => module);
  const notRun = MODULES.flatMap((module) => (module.endsWith(".ts") ? [module] : readdirSync(`${ROOT}${module}`).map((file) => `${module}${file}`)))
    .filter((file) => file.endsWith(".ts") && !files.has(file));
  const lines = [
    "# Mutation testing",
    "",
    "<!-- Written by `npm run mutation` (tools/mutation-report.ts); do not edit. -->",
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
      return row(`\`${module}\``, ran.length === 0 ? undefined : counts, describeRuns(ran.map((file) => runs.get(file))));
    }),
    "",
    "Per file:",
    "",
    "| file | score | killed | survived | equivalent | run |",
    "|---|---:|---:|---:|---:|---|",
    ...[...files].sort(([a], [b]) => a.localeCompare(b)).map(([file, counts]) => row(`\`${file}\``, counts, describeRuns([runs.get(file)]))),
    "",
    notRun.length === 0 ? "Every file of the modules has been run." : `Not run yet (their modules' scores above leave them out): ${notRun.map((file) => `\`${file}\``).join(", ")}.`,
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
    `docs/mutation.md written; ${unexplained.length} survivors neither killed nor listed; modules below ${TARGET}%: ${below.join(", ") || "none"}; files not run: ${notRun.length}; stale equivalents: ${stale.length}`,
  );
  process.exit(unexplained.length > 0 || below.length > 0 || notRun.length > 0 || stale.length > 0 ? 1 : 0);
}

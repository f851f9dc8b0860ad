/**
 * `npm run mutation [-- <module or file> …]`: Stryker over the core modules (stryker.config.mjs), or
 * over the modules named (e.g. `src/poller src/config.ts`; a whole run takes hours on two cores),
 * then the scores (tools/mutation-report.ts, which writes docs/mutation.md from the newest report of
 * every file). Stryker runs vitest in worker processes of its own, which read NODE_EXTRA_CA_CERTS
 * only when they start: the simulator's certificate is made and trusted here, before Stryker starts
 * them (test/global-setup.ts then reuses it), and removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import setup from "../test/global-setup.js";
import { MODULES } from "./mutation-report.js";

const modules = process.argv.slice(2).map((module) => module.replace(/^\.\//, ""));
for (const module of modules) {
  if (!existsSync(module) || !MODULES.some((core) => `${module}/`.startsWith(core))) {
    console.error(`npm run mutation: ${module} is not one of the core modules or a file in them (${MODULES.join(", ")})`);
    process.exit(2);
  }
}
const globs = modules.map((module) => (module.endsWith(".ts") ? module : `${module.replace(/\/$/, "")}/**/*.ts`));
const name = modules.length === 0 ? "all" : modules.map((module) => module.replace(/^src\//, "").replace(/\W+/g, "-")).join("+");
const reportFile = `reports/mutation/${name}.json`;
const teardown = await setup();
const stryker = spawnSync("npx", ["stryker", "run", ...(globs.length > 0 ? ["--mutate", globs.join(",")] : [])], {
  stdio: "inherit",
  env: {
    ...process.env,
    PSE_MUTATION_REPORT: reportFile,
    // Stryker runs the tests in worker threads, where a test cannot change the time zone (a thread's
    // process.env.TZ is its own copy), and a mutant that reads Graph's or an HTTP date in the local
    // zone differs only outside UTC: the whole run is in another zone (npm test passes in any).
    TZ: "America/New_York",
    PSE_MUTATION_WEB: modules.length === 0 || modules.some((module) => module.startsWith("src/server")) ? "1" : "0",
  },
});
if (stryker.status === 0) recordRun(reportFile, `npm run mutation${modules.length === 0 ? "" : ` -- ${modules.join(" ")}`}`);
const report = stryker.status === 0 ? spawnSync("npx", ["tsx", "tools/mutation-report.ts"], { stdio: "inherit" }) : stryker;
teardown();
process.exit(report.status ?? 1);

/**
 * docs/mutation.md names, per file, the command and the day of the run its score comes from. A file
 * the run covered in which Stryker found nothing to mutate (types, `as const` tables) is absent from
 * its report: it is added with no mutants, so that it does not read as not run.
 */
function recordRun(file: string, command: string): void {
  const report = JSON.parse(readFileSync(file, "utf8")) as { files: Record<string, unknown> };
  const covered = (modules.length === 0 ? MODULES : modules).flatMap((module) =>
    statSync(module).isDirectory() ? readdirSync(module, { recursive: true, encoding: "utf8" }).map((entry) => `${module.replace(/\/$/, "")}/${entry}`) : [module],
  );
  const files = Object.fromEntries(covered.filter((path) => path.endsWith(".ts")).map((path) => [path, { language: "typescript", source: readFileSync(path, "utf8"), mutants: [] }]));
  writeFileSync(file, JSON.stringify({ ...report, files: { ...files, ...report.files }, run: { command, date: new Date().toISOString().slice(0, 10), node: process.versions.node } }));
}

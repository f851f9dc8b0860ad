// @ts-check
/**
 * `npm run mutation`: Stryker changes the core modules one small mutation at a time and runs their
 * tests (vitest.mutation.config.ts) against each; a mutant no test notices "survives". Not part of
 * CI (it takes long). docs/mutation.md has the latest scores per module; the mutants that cannot be
 * killed because they change nothing a user could observe are listed, with the reason, in
 * mutation-equivalents.json.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  mutate: ["src/graph/**/*.ts", "src/metrics/**/*.ts", "src/poller/**/*.ts", "src/server/**/*.ts", "src/config.ts"],
  coverageAnalysis: "perTest",
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "json"],
  clearTextReporter: { logTests: false },
  // One report per run: `npm run mutation -- <module> …` runs part of the modules (a whole run takes
  // hours on two cores), and tools/mutation-report.ts reads the newest report of every file.
  jsonReporter: { fileName: process.env.PSE_MUTATION_REPORT ?? "reports/mutation/all.json" },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 95, low: 90, break: null },
};

import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutation` runs against each mutant: the suites that call the mutated modules
 * in this process. Tests that run the code in the refresh thread, the built CLI or a child process
 * cannot see Stryker's mutants (it switches them on in this process only), and would only add time.
 * The HTTP server end to end (TLS, basic auth, reloads, with a real Prometheus) takes most of a run's
 * time and is there for src/server: tools/mutation.ts sets PSE_MUTATION_WEB=1 when src/server is
 * mutated. A mutant in a module-level table ("static") runs every suite, so without it a run of
 * src/graph or src/metrics is about three times faster; a mutant only it would kill counts as
 * survived, so the score errs low, never high.
 */
const web = process.env.PSE_MUTATION_WEB === "1" ? ["test/integration/web.test.ts"] : [];

export default defineConfig({
  test: {
    include: [
      "test/graph/**/*.test.ts",
      "test/metrics/**/*.test.ts",
      "test/poller/**/*.test.ts",
      "test/server/**/*.test.ts",
      "test/refresh/publish.test.ts",
      "test/config.test.ts",
      "test/web-config.test.ts",
      ...web,
    ],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutation` runs against each mutant: the suites that call the mutated modules
 * in this process. Tests that run the code in the refresh thread, the built CLI or a child process
 * cannot see Stryker's mutants (it switches them on in this process only), and would only add time.
 */
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
      // The HTTP server end to end (TLS, basic auth, reloads): in this process, with a real Prometheus.
      "test/integration/web.test.ts",
    ],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/** Layer boundaries: the data flows config → graph → metrics (in the refresh thread) → poller → server, never backwards. */
const layers = {
  "src/server/**": ["../graph/*", "../poller/*", "../refresh/*", "../simulator/*", "../config.js"],
  "src/graph/**": ["../metrics/*", "../server/*", "../poller/*", "../refresh/*", "../simulator/*"],
  "src/metrics/**": ["../graph/*", "!../graph/snapshot.js", "../server/*", "../poller/*", "../refresh/*", "../simulator/*"],
  "src/poller/**": ["../graph/*", "../metrics/*", "../server/*", "../refresh/*", "../simulator/*"],
  "src/simulator/**": ["../graph/*", "../metrics/*", "../server/*", "../poller/*", "../refresh/*", "../config.js"],
  "src/refresh/**": ["../server/*", "../poller/*", "../simulator/*"],
};

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "node_modules/"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js", "test/integration/*.mjs"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: "Only src/config.ts reads process.env." },
      ],
    },
  },
  ...Object.entries(layers).map(([files, patterns]) => ({
    files: [files],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: patterns, message: "This import crosses a layer boundary (see docs/architecture.md)." }] }] },
  })),
  {
    files: ["src/config.ts", "src/cli.ts", "test/**", "bench/**", "vitest.config.ts", "vitest.mutation.config.ts", "stryker.config.mjs", "tools/mutation.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["test/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  { files: ["eslint.config.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["**/*.mjs"], languageOptions: { globals: { fetch: "readonly", URL: "readonly" } } },
  { files: ["stryker.config.mjs"], languageOptions: { globals: { process: "readonly" } } },
);

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasTool, requireTool } from "../helpers.js";
import { SUPPORTED_VERSIONS } from "../../tools/supported-versions.js";

/** Each real tool the end-to-end tests run, the product it belongs to, and the variable .ci/run sets to the version it put on PATH. */
const TOOLS = [
  { tool: "prometheus", product: "prometheus", expected: "PSE_EXPECT_PROMETHEUS_VERSION" },
  { tool: "promtool", product: "prometheus", expected: "PSE_EXPECT_PROMETHEUS_VERSION" },
  { tool: "alertmanager", product: "alertmanager", expected: "PSE_EXPECT_ALERTMANAGER_VERSION" },
  { tool: "amtool", product: "alertmanager", expected: "PSE_EXPECT_ALERTMANAGER_VERSION" },
] as const;

/** The x.y.z of a `--version` line such as "prometheus, version 2.42.0+ds (branch: …)". */
function reportedVersion(output: string): string | undefined {
  return /\bversion (\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** Negative, zero or positive as version `a` is older than, the same as or newer than `b`. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split(".").map(Number));
  for (let i = 0; i < 3; i += 1) {
    const difference = (x?.[i] ?? 0) - (y?.[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function versionOf(tool: string): string {
  const result = spawnSync(requireTool(tool), ["--version"], { encoding: "utf8" });
  const version = reportedVersion(`${result.stdout}${result.stderr}`);
  if (!version) throw new Error(`${tool} --version printed no version: ${result.stdout}${result.stderr}`);
  return version;
}

// CI runs the suites twice, each time with another version first on PATH (.ci/run): the second
// test proves each run had the one it meant.
describe.each(TOOLS)("$tool, as the end-to-end tests run it", ({ tool, product, expected }) => {
  it.skipIf(!hasTool(tool))("is no older than the oldest supported version", () => {
    const version = versionOf(tool);
    expect(compareVersions(version, SUPPORTED_VERSIONS[product].oldest), `${tool} ${version}`).toBeGreaterThanOrEqual(0);
  });

  it.skipIf(!hasTool(tool) || !process.env[expected])(`is the version CI put first on PATH (${expected})`, () => {
    expect(versionOf(tool)).toBe(process.env[expected]);
  });
});

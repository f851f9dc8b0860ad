import { readFileSync } from "node:fs";
import type { BuildInfo } from "./metrics/self-metrics.js";

function readText(relative: string): string | undefined {
  try {
    return readFileSync(new URL(relative, import.meta.url), "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The package version, and the git revision when the image build wrote it to REVISION. */
export function readBuildInfo(): BuildInfo {
  const packageJson: unknown = JSON.parse(readText("../package.json") ?? "{}");
  const version = packageJson && typeof packageJson === "object" && "version" in packageJson && typeof packageJson.version === "string" ? packageJson.version : "unknown";
  return { version, revision: readText("../REVISION") || "unknown" };
}

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG } from "./config.js";
import { renderHelmTemplate, renderRuleFile } from "./render.js";

/** Where `npm run rules` writes, relative to the repository root, and what. */
export function generatedFiles(): Record<string, string> {
  return {
    "prometheus/alerts.yml": renderRuleFile(DEFAULT_CONFIG),
    "helm/partner-security-exporter/templates/prometheusrule.yaml": renderHelmTemplate(),
  };
}

// `npm run rules`: prometheus/alerts.yml and the chart's PrometheusRule template from the one source.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, content] of Object.entries(generatedFiles())) {
    writeFileSync(new URL(`../../${path}`, import.meta.url), content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SUPPORTED_VERSIONS, prometheusOperatorCrdVersion } from "../../tools/supported-versions.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const ALERTS_DOC = readFileSync(new URL("../../docs/alerts.md", import.meta.url), "utf8");
const CI = readFileSync(new URL("../../.ci/run", import.meta.url), "utf8");

/** A section of the README, from its heading to the next of its level. */
function readmeSection(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  return start < 0 ? "" : README.slice(start, README.indexOf("\n## ", start + 1));
}

/** The README's row of the "Supported versions" table for `product`. */
function supportedRow(product: string): string {
  return readmeSection("Supported versions").split("\n").find((line) => line.startsWith(`| ${product} |`)) ?? "";
}

describe("the versions the docs promise are the ones CI tests (.ci/versions.json)", () => {
  it.each([
    ["Prometheus", SUPPORTED_VERSIONS.prometheus],
    ["Alertmanager", SUPPORTED_VERSIONS.alertmanager],
  ] as const)("README names the oldest and newest %s and how CI gets them", (product, versions) => {
    expect(supportedRow(product)).toMatch(new RegExp(`^\\| ${product} \\| ${versions.oldest} \\| ${versions.newest} \\|.*@${versions.goModuleVersion}\``));
  });

  it("builds the newest versions from their own Go module versions (Prometheus 3.MM.P is v0.3MM.P)", () => {
    const [major, minor, patch] = SUPPORTED_VERSIONS.prometheus.newest.split(".");
    expect(SUPPORTED_VERSIONS.prometheus.goModuleVersion).toBe(`v0.${major}${minor?.padStart(2, "0")}.${patch}`);
    expect(SUPPORTED_VERSIONS.alertmanager.goModuleVersion).toBe(`v${SUPPORTED_VERSIONS.alertmanager.newest}`);
  });

  it("README names the Grafana the dashboards are written for", () => {
    expect(supportedRow("Grafana")).toContain(`| written for ${SUPPORTED_VERSIONS.grafana.split(".").slice(0, 2).join(".")} |`);
  });

  it("README's compose section names the images' versions", () => {
    const text = readmeSection("The compose demo stack").replace(/\s+/g, " ");
    expect(text).toContain(`Prometheus ${SUPPORTED_VERSIONS.prometheus.newest} and Alertmanager ${SUPPORTED_VERSIONS.alertmanager.newest}`);
    expect(text).toContain(`Grafana ${SUPPORTED_VERSIONS.grafana}`);
  });

  it("README names the prometheus-operator whose CRD schemas the chart is validated against", () => {
    expect(supportedRow("prometheus-operator (the Helm chart)")).toContain(`| CRDs of ${prometheusOperatorCrdVersion()} |`);
  });

  it("docs/alerts.md names the versions the rules are tested with", () => {
    for (const version of [SUPPORTED_VERSIONS.prometheus.oldest, SUPPORTED_VERSIONS.prometheus.newest, SUPPORTED_VERSIONS.alertmanager.oldest, SUPPORTED_VERSIONS.alertmanager.newest]) {
      expect(ALERTS_DOC).toContain(`${version}`);
    }
  });

  it(".ci/run takes every version from the file, none written into it", () => {
    for (const version of [SUPPORTED_VERSIONS.prometheus.newest, SUPPORTED_VERSIONS.prometheus.goModuleVersion, SUPPORTED_VERSIONS.alertmanager.newest, SUPPORTED_VERSIONS.helm]) {
      expect(CI).not.toContain(version);
    }
  });
});

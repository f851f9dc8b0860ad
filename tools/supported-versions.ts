import { readFileSync } from "node:fs";

interface ToolVersions {
  /** The oldest version supported, tested in one CI run (Debian 12's package). */
  readonly oldest: string;
  /** The newest version tested, in the other CI run (built by .ci/run with go install). */
  readonly newest: string;
  readonly goModuleVersion: string;
}

/** What .ci/run tests against and the docs promise: one file, read by CI, the tests and `npm run chart`. */
export interface SupportedVersions {
  readonly prometheus: ToolVersions;
  readonly alertmanager: ToolVersions;
  /** The Grafana the dashboards' JSON is written for and the compose stack runs. */
  readonly grafana: string;
  /** The helm that renders the chart in the tests. */
  readonly helm: string;
}

export const SUPPORTED_VERSIONS = JSON.parse(readFileSync(new URL("../.ci/versions.json", import.meta.url), "utf8")) as SupportedVersions;

/**
 * The prometheus-operator release whose CRD schemas the chart's ServiceMonitor and PrometheusRule are
 * validated against: the one @kubernetes-models/prometheus-operator was generated from.
 */
export function prometheusOperatorCrdVersion(): string {
  const models = JSON.parse(readFileSync(new URL("../node_modules/@kubernetes-models/prometheus-operator/package.json", import.meta.url), "utf8")) as { "crd-generate"?: { input?: string[] } };
  const version = /\/releases\/download\/(v[0-9.]+)\//.exec(models["crd-generate"]?.input?.[0] ?? "")?.[1];
  if (!version) throw new Error("@kubernetes-models/prometheus-operator names no prometheus-operator release it was generated from");
  return version;
}

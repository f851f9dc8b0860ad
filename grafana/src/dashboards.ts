import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { customersDashboard } from "./customers.js";
import { exporterHealthDashboard } from "./exporter-health.js";
import { overviewDashboard } from "./overview.js";

/** Every shipped dashboard by its file name under grafana/dashboards/. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    "partner-security-overview.json": overviewDashboard(),
    "partner-security-customers.json": customersDashboard(),
    "partner-security-exporter-health.json": exporterHealthDashboard(),
  };
}

/** The committed form: stable two-space JSON with a trailing newline. */
export function serialize(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

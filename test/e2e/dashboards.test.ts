import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startExporter } from "../../src/main.js";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { committedDashboards, panelsOf } from "../grafana/dashboard-model.js";
import { eventually, hasTool, startTestSimulator } from "../helpers.js";
import { JOB, startPrometheus } from "./prometheus-harness.js";
import type { RunningPrometheus } from "./prometheus-harness.js";

// Only where a real Prometheus is there; under CI=true hasTool fails the file when it is not.
const enabled = hasTool("prometheus");

let simulator: Simulator | undefined;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;
let variables: Record<string, string> = {};

beforeAll(async () => {
  if (!enabled) return;
  simulator = await startTestSimulator({ tenants: 30, pageSize: 10, driftPeriodMs: 1e12 });
  // One throttled answer, so the throttling panels have a series to show.
  simulator.injectFault({ endpoint: "history", status: 429, retryAfter: 0, times: 1 });
  const config = loadConfig(
    { listenAddress: "127.0.0.1:0", refreshInterval: "1h" },
    { PSE_GRAPH_BASE_URL: simulator.url, AZURE_AUTHORITY_HOST: simulator.authorityHost, AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" },
  );
  exporter = await startExporter({ config, logger: pino({ level: "silent" }), retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 } });
  await exporter.poller.firstRefresh;
  prometheus = await startPrometheus(new URL(exporter.url).host);
  const prom = prometheus;
  // Range functions need a few samples; refresh once more so the refresh histogram moves within the window.
  await eventually("three scrapes", async () => ((await prom.query(`count_over_time(up{job="${JOB}"}[1m]) >= 3`)).length > 0 ? true : undefined), 20_000);
  await exporter.poller.refreshNow();
  await eventually("a scrape after the second refresh", async () => ((await prom.query(`partner_security_exporter_refreshes_total{result="success"} == 2`)).length > 0 ? true : undefined), 20_000);
  // Drilling into a tenant without any MFA policy gives every tenant panel something to show.
  const tenant = (await prom.query("max by (customer_tenant_id) (partner_security_customer_mfa_policy_enabled) == 0"))[0]?.metric.customer_tenant_id;
  if (!tenant) throw new Error("the simulated tenants all have an MFA policy; pick another seed");
  variables = { job: JOB, instance: new URL(exporter.url).host, one_tenant: tenant, __rate_interval: "1m", __interval: "15s", __range: "5m" };
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await simulator?.close();
});

/** Fills in the dashboard variables as Grafana would; the tenant variable as "All" or as one tenant. */
function substitute(expr: string, tenant: "all" | "one"): string {
  const values: Record<string, string> = { ...variables, customer_tenant_id: tenant === "all" ? ".+" : (variables.one_tenant ?? "") };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? whole);
}

const queries = committedDashboards().flatMap(([file, dashboard]) => [
  ...panelsOf(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => [`${file} / ${panel.title} / ${target.refId}`, target.expr ?? ""] as const)),
  ...dashboard.templating.list
    .filter((variable) => variable.type === "query")
    .map((variable) => {
      // label_values(selector, label) holds data exactly when count by (label) (selector) does.
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query ?? "");
      return [`${file} / variable ${variable.name}`, match ? `count by (${match[2]}) (${match[1]})` : (variable.query ?? "")] as const;
    }),
]);
type Case = [name: string, expr: string, tenant: "all" | "one"];
const cases: Case[] = queries.flatMap(([name, expr]): Case[] =>
  expr.includes("$customer_tenant_id")
    ? [
        [`${name} (all tenants)`, expr, "all"],
        [`${name} (one tenant)`, expr, "one"],
      ]
    : [[name, expr, "all"]],
);

describe.skipIf(!enabled)("every dashboard query against a real Prometheus that scraped the exporter", () => {
  it.each(cases)("%s", async (_name, expr, tenant) => {
    const running = prometheus;
    if (!running) throw new Error("Prometheus did not start");
    const promql = substitute(expr, tenant);
    expect(promql).not.toContain("$");
    const result = await running.query(promql);
    expect(result.length, promql).toBeGreaterThan(0);
  });
});

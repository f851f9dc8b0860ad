import { readFileSync } from "node:fs";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startExporter } from "../../src/main.js";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, hasTool, startTestSimulator } from "../helpers.js";
import { JOB, startAlertmanager, startPrometheus } from "./prometheus-harness.js";
import type { AlertmanagerAlert, RunningAlertmanager, RunningPrometheus } from "./prometheus-harness.js";

const RULES = readFileSync(new URL("../../prometheus/alerts.yml", import.meta.url), "utf8");

let simulator: Simulator | undefined;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;
let alertmanager: RunningAlertmanager | undefined;

afterEach(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await exporter?.close();
  await simulator?.close();
  prometheus = alertmanager = exporter = simulator = undefined;
});

/** The simulator's HTTP control API, as another process would drive it. */
async function control(sim: Simulator, path: string, body: unknown = {}): Promise<void> {
  const response = await fetch(`${sim.url}_control/${path}`, { method: "POST", body: JSON.stringify(body) });
  expect(response.status, `control ${path}`).toBe(200);
}

function matching(alerts: AlertmanagerAlert[], labels: Record<string, string>): AlertmanagerAlert | undefined {
  return alerts.find((alert) => Object.entries(labels).every(([key, value]) => alert.labels[key] === value));
}

describe("alerts from simulator to Alertmanager", () => {
  it("fire when a requirement turns noncompliant, the score drops and Graph stops answering, and resolve on recovery", async () => {
    const haveTools = hasTool("prometheus") && hasTool("prometheus-alertmanager");
    if (!haveTools) return;
    simulator = await startTestSimulator({ tenants: 20, pageSize: 10, driftPeriodMs: 1e12 });
    const sim = simulator;
    const config = loadConfig(
      { listenAddress: "127.0.0.1:0", refreshInterval: "1h", requestTimeout: "2s" },
      { PSE_GRAPH_BASE_URL: sim.url, AZURE_AUTHORITY_HOST: sim.authorityHost, AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" },
    );
    exporter = await startExporter({ config, logger: pino({ level: "silent" }), retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 } });
    const running = exporter;
    await running.poller.firstRefresh;
    alertmanager = await startAlertmanager();
    const am = alertmanager;
    // The rules as shipped, with every `for:` cut to 0s so the test takes seconds rather than hours.
    prometheus = await startPrometheus(new URL(running.url).host, { rules: RULES.replace(/^(\s+)for: \S+$/gm, "$1for: 0s"), alertmanager: am.address });
    const prom = prometheus;

    const contact = await eventually("the scraped requirements", async () => (await prom.query('partner_security_requirement_score{requirement_type="securityContactProvided"}'))[0]);
    const contactId = contact.metric.requirement_id ?? "";
    expect(Number(contact.value[1])).toBe(10);
    await eventually("rules evaluated", async () => ((await prom.query("instance:partner_security_score_per_max:ratio")).length > 0 ? true : undefined));
    const baseline = await am.alerts();
    expect(matching(baseline, { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })).toBeUndefined();
    expect(matching(baseline, { alertname: "PartnerSecurityScoreDropped" })).toBeUndefined();
    expect(matching(baseline, { alertname: "PartnerSecurityExporterRefreshFailing" })).toBeUndefined();

    await control(sim, `requirements/${encodeURIComponent(contactId)}`, { complianceStatus: "noncomplaint", score: 0 });
    await running.poller.refreshNow();
    const noncompliant = await eventually("PartnerSecurityRequirementNoncompliant in Alertmanager", async () =>
      matching(await am.alerts(), { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId }),
    20_000);
    expect(noncompliant.labels).toMatchObject({
      severity: "warning",
      job: JOB,
      instance: new URL(running.url).host,
      requirement_type: "securityContactProvided",
      status: "noncompliant",
      action_url: "https://partner.microsoft.com/dashboard/v2/security/requirements/securityContactProvided",
    });
    expect(noncompliant.annotations.description).toContain("Fix it in Partner Center: https://partner.microsoft.com/dashboard/v2/security/requirements/securityContactProvided");
    expect(noncompliant.annotations.runbook_url).toBe("docs/alerts.md#partnersecurityrequirementnoncompliant");
    const dropped = await eventually("PartnerSecurityScoreDropped in Alertmanager", async () => matching(await am.alerts(), { alertname: "PartnerSecurityScoreDropped" }), 20_000);
    expect(dropped.labels).toMatchObject({ severity: "warning", job: JOB });
    expect(dropped.annotations.summary).toBe("Partner security score dropped by 10 points within 24h");

    for (const endpoint of ["securityScore", "requirements", "history", "customerInsights"]) await control(sim, "faults", { endpoint, status: 503 });
    await running.poller.refreshNow();
    const failing = await eventually("PartnerSecurityExporterRefreshFailing in Alertmanager", async () =>
      matching(await am.alerts(), { alertname: "PartnerSecurityExporterRefreshFailing" }),
    20_000);
    expect(failing.labels).toMatchObject({ severity: "warning", job: JOB });
    // The last good data is still served, so the requirement alert keeps firing through the outage.
    expect(matching(await am.alerts(), { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })).toBeDefined();

    await control(sim, "reset");
    await running.poller.refreshNow();
    await eventually("every alert of the scenario resolved", async () => {
      const alerts = await am.alerts();
      const open = ["PartnerSecurityExporterRefreshFailing", "PartnerSecurityScoreDropped"].filter((alertname) => matching(alerts, { alertname }));
      if (matching(alerts, { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })) open.push("noncompliant contact");
      return open.length === 0 ? true : undefined;
    }, 30_000);
  });
});

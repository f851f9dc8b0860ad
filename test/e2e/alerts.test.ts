import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, hasTool, startTestExporter, startTestSimulator } from "../helpers.js";
import { JOB, startAlertmanager, startPrometheus } from "./prometheus-harness.js";
import type { AlertmanagerAlert, RunningAlertmanager, RunningPrometheus } from "./prometheus-harness.js";

const RULES = readFileSync(new URL("../../prometheus/alerts.yml", import.meta.url), "utf8");
const ALERTMANAGER_EXAMPLE = readFileSync(new URL("../../prometheus/alertmanager.example.yml", import.meta.url), "utf8");
/** The partner tenant the exporter is configured with (AZURE_TENANT_ID), and so names in partner_info. */
const PARTNER = "00000000-0000-0000-0000-0000000000aa";

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

const haveTools = hasTool("prometheus") && hasTool("alertmanager");

describe.skipIf(!haveTools)("alerts from simulator to Alertmanager", () => {
  it("fire when a requirement turns noncompliant, the score drops and Graph denies access, with the partner's identity, and resolve on recovery", async () => {
    simulator = await startTestSimulator({ tenants: 20, pageSize: 10, driftPeriodMs: 1e12 });
    const sim = simulator;
    exporter = await startTestExporter(sim, { flags: { requestTimeout: "2s" }, client: { tenantId: PARTNER }, retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 } });
    const running = exporter;
    alertmanager = await startAlertmanager();
    const am = alertmanager;
    // The rules as shipped, with every `for:` cut to 0s so the test takes seconds rather than hours.
    prometheus = await startPrometheus(new URL(running.url).host, { rules: RULES.replace(/^(\s+)for: \S+$/gm, "$1for: 0s"), alertmanager: am.address });
    const prom = prometheus;

    const contact = await eventually("the scraped requirements", async () => (await prom.query('partner_security_requirement_score{requirement_type="securityContactProvided"}'))[0]);
    const contactId = contact.metric.requirement_id ?? "";
    expect(Number(contact.value[1])).toBe(10);
    await eventually("rules evaluated", async () => ((await prom.query("partner:partner_security_score_per_max:ratio")).length > 0 ? true : undefined));
    const baseline = await am.alerts();
    expect(matching(baseline, { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })).toBeUndefined();
    for (const alertname of ["PartnerSecurityScoreDropped", "PartnerSecurityExporterRefreshFailing", "PartnerSecurityExporterAccessDenied"]) {
      expect(matching(baseline, { alertname }), alertname).toBeUndefined();
    }

    await control(sim, `requirements/${encodeURIComponent(contactId)}`, { complianceStatus: "noncomplaint", score: 0 });
    await running.poller.refreshNow();
    const noncompliant = await eventually("PartnerSecurityRequirementNoncompliant in Alertmanager", async () =>
      matching(await am.alerts(), { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId }),
    20_000);
    // The partner's identity, never the pod's: no instance, and the URLs only in annotations.
    const actionUrl = "https://partner.microsoft.com/dashboard/v2/security/requirements/securityContactProvided";
    expect(noncompliant.labels).toEqual({
      alertname: "PartnerSecurityRequirementNoncompliant",
      severity: "warning",
      job: JOB,
      partner_tenant_id: PARTNER,
      requirement_id: contactId,
      requirement_type: "securityContactProvided",
    });
    expect(noncompliant.annotations.action_url).toBe(actionUrl);
    expect(noncompliant.annotations.description).toContain(`of partner tenant ${PARTNER} is noncompliant`);
    expect(noncompliant.annotations.description).toContain(`Fix it in Partner Center: ${actionUrl}`);
    expect(noncompliant.annotations.runbook_url).toBe("docs/alerts.md#partnersecurityrequirementnoncompliant");
    const dropped = await eventually("PartnerSecurityScoreDropped in Alertmanager", async () => matching(await am.alerts(), { alertname: "PartnerSecurityScoreDropped" }), 20_000);
    expect(dropped.labels).toEqual({ alertname: "PartnerSecurityScoreDropped", severity: "warning", job: JOB, partner_tenant_id: PARTNER });
    expect(dropped.annotations.summary).toBe("Partner security score dropped by 10 points within 7d");

    // A lost permission: AccessDenied after one refresh, RefreshFailing after the second.
    await control(sim, "faults", { endpoint: "securityScore", status: 403 });
    await running.poller.refreshNow();
    const denied = await eventually("PartnerSecurityExporterAccessDenied in Alertmanager", async () =>
      matching(await am.alerts(), { alertname: "PartnerSecurityExporterAccessDenied" }),
    20_000);
    expect(denied.labels).toEqual({ alertname: "PartnerSecurityExporterAccessDenied", severity: "warning", job: JOB, partner_tenant_id: PARTNER, reason: "forbidden" });
    expect(matching(await am.alerts(), { alertname: "PartnerSecurityExporterRefreshFailing" })).toBeUndefined();
    await running.poller.refreshNow();
    const failing = await eventually("PartnerSecurityExporterRefreshFailing in Alertmanager", async () =>
      matching(await am.alerts(), { alertname: "PartnerSecurityExporterRefreshFailing" }),
    20_000);
    expect(failing.labels).toEqual({ alertname: "PartnerSecurityExporterRefreshFailing", severity: "warning", job: JOB, partner_tenant_id: PARTNER });
    expect(failing.annotations.description).toContain("(last reason: forbidden)");
    // The last good data is still served, so the requirement alert keeps firing through the outage.
    expect(matching(await am.alerts(), { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })).toBeDefined();

    await control(sim, "reset");
    await running.poller.refreshNow();
    await eventually("every alert of the scenario resolved", async () => {
      const alerts = await am.alerts();
      const open = ["PartnerSecurityExporterRefreshFailing", "PartnerSecurityExporterAccessDenied", "PartnerSecurityScoreDropped"].filter((alertname) => matching(alerts, { alertname }));
      if (matching(alerts, { alertname: "PartnerSecurityRequirementNoncompliant", requirement_id: contactId })) open.push("noncompliant contact");
      return open.length === 0 ? true : undefined;
    }, 30_000);
  });
});

describe.skipIf(!hasTool("alertmanager"))("prometheus/alertmanager.example.yml in a real Alertmanager", () => {
  it("lets the exporter's own alerts inhibit the ones they make meaningless, for the same exporter (cluster, namespace, job, service) only", async () => {
    alertmanager = await startAlertmanager(ALERTMANAGER_EXAMPLE);
    const am = alertmanager;
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const exporterLabels = (namespace: string) => ({ job: JOB, namespace, service: "pse-partner-security-exporter" });
    // Each namespace is one scenario: [source, target]; labels as the rules make them.
    const alerts = [
      { alertname: "PartnerSecurityExporterDown", severity: "critical", ...exporterLabels("down"), instance: "10.0.0.1:9717", pod: "pse-0", endpoint: "http", container: "exporter" },
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("down"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityExporterValidationWarnings", severity: "warning", ...exporterLabels("down"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityCustomerHighSeverityAlertOpen", severity: "warning", ...exporterLabels("down"), partner_tenant_id: "p1", customer_tenant_id: "t1" },
      // absent() keeps the selector's matchers: the chart's default names job, namespace and service.
      { alertname: "PartnerSecurityExporterAbsent", severity: "critical", ...exporterLabels("absent") },
      { alertname: "PartnerSecurityCustomerTenantLostMfaPolicy", severity: "warning", ...exporterLabels("absent"), partner_tenant_id: "p1", customer_tenant_id: "t1" },
      { alertname: "PartnerSecurityExporterRefreshFailing", severity: "warning", ...exporterLabels("failing"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityRequirementNoncompliant", severity: "warning", ...exporterLabels("failing"), partner_tenant_id: "p1", requirement_id: "r1", requirement_type: "mfaEnforcedForAdmins" },
      // End dates and detection times stay right on the last good data: failing refreshes silence neither.
      { alertname: "PartnerSecurityGdapRelationshipExpiring", severity: "warning", ...exporterLabels("failing"), partner_tenant_id: "p1", customer_tenant_id: "t1", relationship_id: "g1" },
      { alertname: "PartnerSecurityAlertResponseTargetNear", severity: "warning", ...exporterLabels("failing"), partner_tenant_id: "p1", customer_tenant_id: "t1" },
      { alertname: "PartnerSecurityAlertResponseSlow", severity: "warning", ...exporterLabels("failing"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityExporterAccessDenied", severity: "warning", ...exporterLabels("denied"), partner_tenant_id: "p1", reason: "forbidden" },
      { alertname: "PartnerSecurityExporterRefreshFailing", severity: "warning", ...exporterLabels("denied"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityExporterDataStale", severity: "warning", ...exporterLabels("denied"), partner_tenant_id: "p1" },
      // The 7-day GDAP tier silences the 30-day one of the same relationship only.
      { alertname: "PartnerSecurityGdapRelationshipExpiringSoon", severity: "critical", ...exporterLabels("gdap"), partner_tenant_id: "p1", customer_tenant_id: "t1", relationship_id: "g1" },
      { alertname: "PartnerSecurityGdapRelationshipExpiring", severity: "warning", ...exporterLabels("gdap"), partner_tenant_id: "p1", customer_tenant_id: "t1", relationship_id: "g1" },
      { alertname: "PartnerSecurityGdapRelationshipExpiring", severity: "warning", ...exporterLabels("gdap"), partner_tenant_id: "p1", customer_tenant_id: "t1", relationship_id: "g2" },
      // Validation warnings silence nothing: the data is current, only part of it was left out.
      { alertname: "PartnerSecurityExporterValidationWarnings", severity: "warning", ...exporterLabels("changed"), partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("changed"), partner_tenant_id: "p1" },
      // The same namespace, job and Service in two clusters: the exporter down in cluster a silences only cluster a's alerts.
      { alertname: "PartnerSecurityExporterDown", severity: "critical", ...exporterLabels("clustered"), cluster: "a", instance: "10.0.0.2:9717", pod: "pse-1", endpoint: "http", container: "exporter" },
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("clustered"), cluster: "a", partner_tenant_id: "p4" },
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("clustered"), cluster: "b", partner_tenant_id: "p4" },
      // No source in this namespace: a Down elsewhere does not silence it.
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("healthy"), partner_tenant_id: "p2" },
      // Another partner's release in the "down" namespace: same job, its own Service.
      { alertname: "PartnerSecurityScoreLow", severity: "warning", ...exporterLabels("down"), service: "other-partner-security-exporter", partner_tenant_id: "p3" },
    ];
    const response = await fetch(`${am.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts.map((labels) => ({ labels, annotations: { summary: "test" }, endsAt }))),
    });
    expect(response.status).toBe(200);

    // Alertmanager takes sources in as they arrive: wait until every expected inhibition holds.
    const suppressed: Array<Record<string, string>> = [
      { alertname: "PartnerSecurityScoreLow", namespace: "down", partner_tenant_id: "p1" },
      { alertname: "PartnerSecurityExporterDataStale", namespace: "denied" },
      { alertname: "PartnerSecurityScoreLow", namespace: "clustered", cluster: "a" },
      { alertname: "PartnerSecurityAlertResponseSlow", namespace: "failing" },
      { alertname: "PartnerSecurityCustomerHighSeverityAlertOpen", namespace: "down" },
      { alertname: "PartnerSecurityGdapRelationshipExpiring", namespace: "gdap", relationship_id: "g1" },
    ];
    const states = await eventually("the inhibitions applied", async () => {
      const got = await am.alerts();
      if (got.length < alerts.length || suppressed.some((labels) => matching(got, labels)?.status.state !== "suppressed")) return undefined;
      return got;
    });
    const state = (labels: Record<string, string>) => matching(states, labels)?.status;
    const fingerprint = (labels: Record<string, string>) => matching(states, labels)?.fingerprint;

    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "down", partner_tenant_id: "p1" })).toMatchObject({ state: "suppressed", inhibitedBy: [fingerprint({ alertname: "PartnerSecurityExporterDown", namespace: "down" })] });
    expect(state({ alertname: "PartnerSecurityCustomerTenantLostMfaPolicy", namespace: "absent" })?.state).toBe("suppressed");
    expect(state({ alertname: "PartnerSecurityRequirementNoncompliant", namespace: "failing" })?.state).toBe("suppressed");
    expect(state({ alertname: "PartnerSecurityExporterRefreshFailing", namespace: "denied" })?.state).toBe("suppressed");
    expect(state({ alertname: "PartnerSecurityAlertResponseSlow", namespace: "failing" })?.state).toBe("suppressed");
    for (const alertname of ["PartnerSecurityGdapRelationshipExpiring", "PartnerSecurityAlertResponseTargetNear"]) expect(state({ alertname, namespace: "failing" })?.state, alertname).toBe("active");
    expect(state({ alertname: "PartnerSecurityCustomerHighSeverityAlertOpen", namespace: "down" })?.state).toBe("suppressed");
    expect(state({ alertname: "PartnerSecurityGdapRelationshipExpiring", namespace: "gdap", relationship_id: "g1" })).toMatchObject({ state: "suppressed", inhibitedBy: [fingerprint({ alertname: "PartnerSecurityGdapRelationshipExpiringSoon" })] });
    expect(state({ alertname: "PartnerSecurityGdapRelationshipExpiring", namespace: "gdap", relationship_id: "g2" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityGdapRelationshipExpiringSoon", namespace: "gdap" })?.state).toBe("active");
    // One expired secret: AccessDenied, not also DataStale.
    expect(state({ alertname: "PartnerSecurityExporterDataStale", namespace: "denied" })).toMatchObject({ state: "suppressed", inhibitedBy: [fingerprint({ alertname: "PartnerSecurityExporterAccessDenied" })] });
    expect(state({ alertname: "PartnerSecurityExporterValidationWarnings", namespace: "down" })?.state).toBe("suppressed");
    expect(state({ alertname: "PartnerSecurityExporterValidationWarnings", namespace: "changed" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "changed" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "clustered", cluster: "a" })).toMatchObject({ state: "suppressed", inhibitedBy: [fingerprint({ alertname: "PartnerSecurityExporterDown", cluster: "a" })] });
    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "clustered", cluster: "b" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "healthy" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityScoreLow", namespace: "down", partner_tenant_id: "p3" })?.state).toBe("active");
    for (const source of ["PartnerSecurityExporterDown", "PartnerSecurityExporterAbsent", "PartnerSecurityExporterAccessDenied"]) expect(state({ alertname: source })?.state, source).toBe("active");
    expect(state({ alertname: "PartnerSecurityExporterDown", cluster: "a" })?.state).toBe("active");
    expect(state({ alertname: "PartnerSecurityExporterRefreshFailing", namespace: "failing" })?.state).toBe("active");
  });
});

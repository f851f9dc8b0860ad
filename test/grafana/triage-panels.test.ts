import { describe, expect, it } from "vitest";
import { GRAPH_METRICS } from "../../src/metrics/graph-metrics.js";
import { colourAt, columnOf, committedDashboards, dashboardNamed, fieldOf, mappedAt, panelNamed, panelsOf, queryResultLine, regexOptions } from "./dashboard-model.js";
import type { FieldJson, PanelJson } from "./dashboard-model.js";
import { tenantBounded } from "./tenant-bounds.js";

// The panels of issue 14: customer names, partner security alerts and GDAP relationships.
const dashboards = committedDashboards();
const PER_TENANT = new Set(GRAPH_METRICS.filter((row) => row.labelNames.includes("customer_tenant_id")).map((row) => row.name));
const HOUR = 3600;
const DAY = 86_400;
const OVERVIEW = "partner-security-overview.json";
const CUSTOMERS = "partner-security-customers.json";
const INFO = "partner_security_customer_info";

const dashboard = dashboardNamed;
const panel = panelNamed;
function field(file: string, title: string, refId: string): FieldJson {
  const p = panel(file, title);
  const target = p.targets?.find((t) => t.refId === refId);
  if (!target) throw new Error(`no query ${refId} in ${title}`);
  return fieldOf(p, target);
}
function expr(file: string, title: string, refId: string): string {
  return panel(file, title).targets?.find((t) => t.refId === refId)?.expr ?? "";
}
const colours = (f: FieldJson, values: number[]) => values.map((value) => colourAt(f, value));
const allPanels = dashboards.flatMap(([file, d]) => panelsOf(d).map((p): [string, PanelJson] => [file, p]));
const readsAny = (p: PanelJson, metrics: RegExp) => (p.targets ?? []).some((t) => metrics.test(t.expr ?? ""));
/** The organize step of a table: what it hides and what it calls each column. */
function organize(p: PanelJson) {
  const options = p.transformations?.find((t) => t.id === "organize")?.options ?? {};
  return { hidden: Object.keys(options.excludeByName ?? {}), names: options.renameByName ?? {} };
}

describe("security alerts", () => {
  const OPEN = "Open security alerts by severity";
  const OLDEST = "Oldest open security alert";

  it("open alerts are active or investigating, one query per severity: green at 0, the severity's colour from 1", () => {
    for (const [severity, color] of [["high", "red"], ["medium", "orange"], ["unknown", "purple"], ["low", "yellow"], ["informational", "blue"]] as const) {
      expect(expr(OVERVIEW, OPEN, severity)).toContain(`partner_security_alerts{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",status=~"active|investigating",severity="${severity}"}`);
      expect(colours(field(OVERVIEW, OPEN, severity), [0, 1, 12]), severity).toEqual(["green", color, color]);
    }
  });

  it("the oldest open alert's age is a duration against the 24-hour response requirement: orange from 18 hours (PartnerSecurityAlertResponseTargetNear), red from 24", () => {
    const f = field(OVERVIEW, OLDEST, "A");
    expect(f.unit).toBe("dtdurations");
    expect(colours(f, [HOUR, 18 * HOUR - 1, 18 * HOUR, DAY - 1, DAY, 3 * DAY])).toEqual(["green", "green", "orange", "orange", "red", "red"]);
    expect(expr(OVERVIEW, OLDEST, "A")).toMatch(/^max by \(cluster, namespace, job, partner_tenant_id, severity\) \(\(time\(\) - partner_security_alerts_oldest_active_detected_timestamp_seconds\{/);
  });

  it("the oldest open alert falls back to the all-clear only while the exporter reads the alerts: not read after a failed read, and with none read at all", () => {
    const none = field(OVERVIEW, OLDEST, "none");
    expect([0, 1].map((value) => [mappedAt(none, value)?.text, colourAt(none, value)])).toEqual([
      ["No open security alerts", "green"],
      ["Alerts not read: see Security alerts source", "orange"],
    ]);
    // 1 - available (0 read, 1 failed), left out where an age is shown and the read succeeded; the endpoint under either label.
    const e = expr(OVERVIEW, OLDEST, "none");
    expect(e).toMatch(/^\(1 - max by \(cluster, namespace, job, partner_tenant_id\) \(.*\)\) unless on \(cluster, namespace, job, partner_tenant_id\) \(max by .* and on \(cluster, namespace, job, partner_tenant_id\) max by .* == 1\)$/);
    for (const label of ["endpoint", "exported_endpoint"]) expect(e).toContain(`partner_security_exporter_endpoint_available{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",${label}=~"securityAlerts"}`);
    const noValue = panel(OVERVIEW, OLDEST).fieldConfig?.defaults?.noValue ?? "";
    expect(noValue).toContain("not read");
    expect(noValue).not.toMatch(/^No open/);
  });

  it("the source panels say where to look, not which permission to grant: the failure can be a 403, a 5xx or a timeout", () => {
    for (const [file, title, text] of [
      [OVERVIEW, "Security alerts source", "unavailable: see the exporter's log"],
      [CUSTOMERS, "Customer names and GDAP source", "unavailable: see the exporter's log (a 403 names the permission)"],
    ] as const) {
      const f = field(file, title, "A");
      expect([1, 0].map((value) => [mappedAt(f, value)?.text, colourAt(f, value)]), title).toEqual([
        ["read", "green"],
        [text, "red"],
      ]);
      expect(JSON.stringify(panel(file, title).fieldConfig), title).not.toContain("grant");
    }
  });

  it("the average response time gauge keeps the same scale", () => {
    expect(colours(field(OVERVIEW, "Average security alert response time", "A"), [HOUR, 13 * HOUR, DAY, 2 * DAY])).toEqual(["green", "orange", "red", "red"]);
  });

  it("test alerts are shown on their own, neutral, and never added to a real count", () => {
    expect(colours(field(OVERVIEW, "Test security alerts", "A"), [0, 1, 50])).toEqual(["text", "text", "text"]);
    for (const [, p] of allPanels) {
      for (const target of p.targets ?? []) {
        const e = target.expr ?? "";
        if (e.includes("partner_security_alerts_test")) expect(e, p.title).not.toMatch(/partner_security_(customer_)?alerts(_active|_oldest[a-z_]*)?\{/);
        // Every status count is of open alerts: resolved and unknown statuses are not open.
        for (const match of e.matchAll(/partner_security_alerts\{([^}]*)\}/g)) expect(match[1], p.title).toContain('status=~"active|investigating"');
      }
    }
  });

});

describe("security alerts by type and by customer", () => {
  it("open alerts by type: a column per severity and the total, the most first", () => {
    const table = panel(OVERVIEW, "Open security alerts by type");
    expect(organize(table).names).toMatchObject({ alert_type: "Alert type", "Value #all": "Open", "Value #high": "High" });
    expect(table.options?.sortBy?.[0]).toEqual({ displayName: "Open", desc: true });
    expect(colours(columnOf(table, "High"), [1, 3])).toEqual(["red", "red"]);
    expect(colours(columnOf(table, "Medium"), [1])).toEqual(["orange"]);
  });

  it.each(["Open security alerts by type", "Customers with open security alerts, most severe first"])("%s: an empty count cell reads 0; the sentence is only the no-rows state and claims no all-clear", (title) => {
    const table = panel(title === "Open security alerts by type" ? OVERVIEW : CUSTOMERS, title);
    for (const column of ["Open", "High", "Medium", "Unknown", "Low", "Informational"]) expect(columnOf(table, column).noValue, column).toBe("0");
    const sentence = table.fieldConfig?.defaults?.noValue ?? "";
    expect(sentence).toContain("not read");
    // Every value column sets its own noValue, so the table's sentence shows only when there are no rows.
    const { names, hidden } = organize(table);
    const values = Object.entries(names).filter(([from]) => from.startsWith("Value #") && !hidden.includes(from)).map(([, to]) => to);
    expect(values.length).toBeGreaterThanOrEqual(6);
    for (const column of values.filter((c) => c !== "Most severe")) expect(columnOf(table, column).noValue, column).toMatch(/^(0|–)$/);
  });

  it("the per-customer table: the most severe first, then the oldest; the age orange from 18 hours, red from 24", () => {
    const table = panel(CUSTOMERS, "Customers with open security alerts, most severe first");
    expect(table.options?.sortBy).toEqual([
      { displayName: "Most severe", desc: true },
      { displayName: "Oldest high", desc: true },
      { displayName: "Oldest open alert, any severity", desc: true },
    ]);
    for (const column of ["Oldest high", "Oldest open alert, any severity"]) {
      const oldest = columnOf(table, column);
      expect(oldest.unit, column).toBe("dtdurations");
      expect(colours(oldest, [HOUR, 19 * HOUR, DAY, 10 * DAY]), column).toEqual(["green", "orange", "red", "red"]);
      expect(oldest.noValue, column).toBe("–");
    }
    // The high column reads the high alerts only; the other every severity, and says so.
    expect(organize(table).names).toMatchObject({ "Value #H": "Oldest high", "Value #B": "Oldest open alert, any severity" });
    expect(expr(CUSTOMERS, table.title ?? "", "H")).toContain('partner_security_customer_alerts_oldest_active_detected_timestamp_seconds{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",severity="high"}');
    expect(expr(CUSTOMERS, table.title ?? "", "B")).toContain('partner_security_customer_alerts_oldest_active_detected_timestamp_seconds{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance"}');
    const severe = columnOf(table, "Most severe");
    expect([5, 4, 3, 2, 1].map((rank) => [severe.mappings?.[0]?.options[String(rank)]?.text, colourAt(severe, rank)])).toEqual([
      ["high", "red"],
      ["medium", "orange"],
      ["unknown", "purple"],
      ["low", "yellow"],
      ["informational", "blue"],
    ]);
    // The rank puts a customer with any open high alert above one with only older medium ones.
    expect(expr(CUSTOMERS, table.title ?? "", "A")).toMatch(/^floor\(topk by \(cluster, namespace, job, partner_tenant_id\) \(\$limit, .*\+ 5e9 or .*\+ 4e9 or .*\) \/ 1e9\)$/);
  });

  it("every alert panel says where its data comes from and why it can be empty", () => {
    const alertPanels = allPanels.filter(([, p]) => readsAny(p, /partner_security_(customer_)?alerts|endpoint=~"securityAlerts"/));
    expect(alertPanels.length).toBeGreaterThanOrEqual(6);
    for (const [, p] of alertPanels) for (const words of ["PSE_SECURITY_ALERTS=false", "PartnerSecurity.Read.All"]) expect(p.description, p.title).toContain(words);
  });
});

describe("GDAP relationships", () => {
  const TABLE = "Active GDAP relationships ending soonest, not auto-extending first";

  it("time left, where the relationship ends for good, is a duration: ended (red) once past its end, red below 7 days, orange below 30, green beyond", () => {
    const time = columnOf(panel(CUSTOMERS, TABLE), "Time left");
    expect(time.unit).toBe("dtdurations");
    expect(colours(time, [-30 * DAY, -1, 0, 1, 7 * DAY - 1, 7 * DAY, 30 * DAY - 1, 30 * DAY, 365 * DAY])).toEqual(["red", "red", "red", "red", "red", "orange", "orange", "green", "green"]);
    expect([-30 * DAY, -1, 0, 1].map((value) => mappedAt(time, value)?.text)).toEqual(["ended", "ended", "ended", undefined]);
    expect(time.noValue).toBe("–");
    // Of the relationships that do not auto-extend, and of every one past its end (an expiring one keeps its series).
    expect(expr(CUSTOMERS, TABLE, "A")).toMatch(/^\(\(max by \(cluster, namespace, job, partner_tenant_id, customer_tenant_id, relationship_id\) \(\(partner_security_gdap_relationship_end_timestamp_seconds\{[^}]*,auto_extend!="true"\} - time\(\)\).*\) or \(max by \([^)]*\) \(\(partner_security_gdap_relationship_end_timestamp_seconds\{[^}]*instance=~"\$instance"\} - time\(\)\).*\) < 0\) and bottomk /);
  });

  it("an auto-extending relationship's time left is neutral green in its own column, whatever is left; never an ended one", () => {
    const table = panel(CUSTOMERS, TABLE);
    const extending = columnOf(table, "Extends in");
    expect(extending.unit).toBe("dtdurations");
    expect(colours(extending, [HOUR, 12 * HOUR, 6 * DAY, 365 * DAY])).toEqual(["green", "green", "green", "green"]);
    expect(extending.noValue).toBe("–");
    expect(expr(CUSTOMERS, TABLE, "D")).toMatch(/^\(\(max by \([^)]*\) \(\(partner_security_gdap_relationship_end_timestamp_seconds\{[^}]*,auto_extend="true"\} - time\(\)\).*\) >= 0\) and bottomk /);
    expect(organize(table).names).toMatchObject({ "Value #A": "Time left", "Value #D": "Extends in" });
  });

  it("relationships past their end come first, then those that do not auto-extend, marked from the auto_extend label: ended red, no and unknown orange, yes green", () => {
    const table = panel(CUSTOMERS, TABLE);
    const auto = columnOf(table, "Auto-extends");
    expect([-1, 0, 1, 2].map((value) => [mappedAt(auto, value)?.text, colourAt(auto, value)])).toEqual([
      ["ended", "red"],
      ["no", "orange"],
      ["unknown", "orange"],
      ["yes", "green"],
    ]);
    expect(auto.unit).not.toBe("dtdurations");
    // Ended from the time left, whatever the label; else each value of the label, and a series without it (an older exporter's).
    const b = expr(CUSTOMERS, TABLE, "B");
    expect(b).toMatch(/^\(\(\(max by \(cluster, namespace, job, partner_tenant_id, customer_tenant_id, relationship_id\) \(\(partner_security_gdap_relationship_end_timestamp_seconds\{[^}]*instance=~"\$instance"\} - time\(\)\).*\)\) < 0\) \* 0 \+ -1 or max by /);
    for (const [matcher, value] of [['auto_extend="false"', 0], ['auto_extend!~"true|false"', 1], ['auto_extend="true"', 2]] as const) {
      expect(b).toContain(`partner_security_gdap_relationship_end_timestamp_seconds{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",${matcher}} * 0 + ${value}`);
    }
    expect(table.options?.sortBy).toEqual([
      { displayName: "Auto-extends", desc: false },
      { displayName: "Time left", desc: false },
      { displayName: "Extends in", desc: false },
    ]);
    // The cut: the ended ones and those that do not auto-extend by time left (negative first), the others 1e10 s later.
    expect(expr(CUSTOMERS, TABLE, "A")).toMatch(/ and bottomk by \(cluster, namespace, job, partner_tenant_id\) \(\$limit, \(max by \([^)]*\) \(\(partner_security_gdap_relationship_end_timestamp_seconds\{[^}]*,auto_extend!="true"\} - time\(\)\).+\) or \(.+\) < 0 or \(.+\) \+ 1e10\)$/);
    expect(organize(table).names).toMatchObject({ relationship_id: "Relationship", "Value #B": "Auto-extends" });
  });

  it("counts by status are neutral; expiring and the ones ending within 30 and 7 days without auto-extending are not", () => {
    const title = "GDAP relationships by status";
    expect(colours(field(CUSTOMERS, title, "A"), [0, 5, 500])).toEqual(["text", "text", "text"]);
    expect(colours(field(CUSTOMERS, title, "B"), [0, 1])).toEqual(["green", "orange"]);
    expect(colours(field(CUSTOMERS, title, "C"), [0, 1])).toEqual(["green", "orange"]);
    expect(colours(field(CUSTOMERS, title, "D"), [0, 1])).toEqual(["green", "red"]);
    // Not yet ended: an expiring relationship (past its end) is counted as expiring, not as ending soon.
    expect(expr(CUSTOMERS, title, "C")).toContain(`) >= 0) < ${30 * DAY}) or `);
    expect(expr(CUSTOMERS, title, "D")).toContain(`) >= 0) < ${7 * DAY}) or `);
    // Without auto-extending: auto_extend false or unknown.
    for (const refId of ["C", "D"]) expect(expr(CUSTOMERS, title, refId)).toContain('partner_security_gdap_relationship_end_timestamp_seconds{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",auto_extend!="true"} - time()');
  });

  it("every GDAP panel names the settings and the permission it needs", () => {
    const gdapPanels = allPanels.filter(([, p]) => readsAny(p, /partner_security_gdap_|delegatedAdmin/));
    expect(gdapPanels.length).toBeGreaterThanOrEqual(3);
    for (const [, p] of gdapPanels) for (const words of ["PSE_GDAP_RELATIONSHIPS", "PSE_CUSTOMER_NAMES=gdap", "DelegatedAdminRelationship.Read.All"]) expect(p.description, p.title).toContain(words);
  });
});

describe("customer names", () => {
  const perCustomerTables = allPanels.filter(([, p]) => p.type === "table" && (p.targets ?? []).some((t) => [...(t.expr ?? "").matchAll(/\b([a-z_]+)\{/g)].some((m) => PER_TENANT.has(m[1] ?? "") && m[1] !== INFO)));
  const FALLBACK = 'label_join(';

  it("there are per-customer tables on the customers dashboard", () => {
    expect(perCustomerTables.map(([, p]) => p.title)).toEqual([
      "Customer tenants, worst MFA coverage first",
      "Tenants without any MFA policy, most users first",
      "Customers with open security alerts, most severe first",
      "Active GDAP relationships ending soonest, not auto-extending first",
    ]);
  });

  it.each(perCustomerTables.map(([file, p]) => [p.title ?? "", file, p] as const))("%s shows the customer's name, the tenant id where none is known, and the tenant id", (_title, _file, p) => {
    const name = p.targets?.find((t) => t.refId === "name")?.expr ?? "";
    expect(name).toContain(` * on (cluster, namespace, job, partner_tenant_id, customer_tenant_id) group_left (customer_name) topk by (cluster, namespace, job, partner_tenant_id, customer_tenant_id) (1, max by (cluster, namespace, job, partner_tenant_id, customer_tenant_id, customer_name) ((${INFO}{`);
    expect(name).toContain(` or on (cluster, namespace, job, partner_tenant_id, customer_tenant_id) ${FALLBACK}`);
    expect(name.endsWith(', "customer_name", "", "customer_tenant_id")'), name).toBe(true);
    // Join after cutting: the left side of the join is the $limit rows the other columns show.
    expect(name).toMatch(/^\((topk|bottomk) by \(cluster, namespace, job, partner_tenant_id\) \(\$limit, /);
    const { hidden, names } = organize(p);
    expect(names).toMatchObject({ customer_name: "Customer", customer_tenant_id: "Tenant", partner_tenant_id: "Partner" });
    expect(hidden).toContain("Value #name");
    expect(hidden).not.toContain("customer_name");
    expect(hidden).not.toContain("customer_tenant_id");
  });

  it("legends of the picked tenants label the customer as the picker does (the tenant id once where unnamed); the names joined are only the picked tenants'", () => {
    const lines = allPanels.filter(([, p]) => (p.type === "timeseries" || p.type === "state-timeline") && readsAny(p, /customer_tenant_id=~"\$customer_tenant_id"/));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const [, p] of lines) {
      for (const target of p.targets ?? []) {
        expect(target.legendFormat, p.title).toContain("{{customer_label}} ({{partner_tenant_id}})");
        expect(target.legendFormat, p.title).not.toMatch(/customer_name|customer_tenant_id/);
        expect(target.expr, p.title).toContain(`${INFO}{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance",customer_tenant_id=~"$customer_tenant_id",customer_name!=""}`);
      }
    }
  });

  it("the customer picker shows name (first 8 characters of the tenant id), the id alone where no name is known, and selects tenant ids; names with quotes and newlines included", () => {
    const picker = dashboard(CUSTOMERS).templating.list.find((v) => v.name === "customer_tenant_id");
    const query = picker?.query ?? "";
    expect(query).toMatch(/^query_result\(max by \(customer_label, customer_tenant_id\) \(label_replace\(label_join\(.+, "customer_label", " \(", "customer_name", "customer_tenant_id"\), "customer_label", "\$1 \(\$2\)", "customer_label", ".+"\) or on \(.+\) label_replace\(.+, "customer_label", "\$1", "customer_tenant_id", "\(\.\*\)"\)\)\)$/);
    // What Prometheus' label_replace (anchored, RE2) makes of label_join's "name (tenant id".
    const pattern = /"customer_label", "\$1 \(\$2\)", "customer_label", "\(\?s\)(.+?)"\)/.exec(query)?.[1] ?? "";
    const shorten = (name: string, id: string) => new RegExp(`^(?:${pattern})$`, "s").exec(`${name} (${id}`)?.slice(1, 3).join(" (") + ")";
    const ids = ["11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002", "33333333-0000-4000-8000-000000000003", "44444444-0000-4000-8000-000000000004"];
    const lines = [
      { customer_label: shorten("Contoso Ltd", ids[0] ?? ""), customer_tenant_id: ids[0] ?? "" },
      { customer_label: shorten("Contoso Ltd", ids[1] ?? ""), customer_tenant_id: ids[1] ?? "" },
      { customer_label: shorten('Fabrikam "EU" (Legal), Inc.\nLegal', ids[2] ?? ""), customer_tenant_id: ids[2] ?? "" },
      { customer_label: ids[3] ?? "", customer_tenant_id: ids[3] ?? "" },
    ].map((labels) => queryResultLine(labels));
    expect(regexOptions(picker?.regex, lines)).toEqual([
      { text: "Contoso Ltd (11111111)", value: ids[0] },
      { text: "Contoso Ltd (22222222)", value: ids[1] },
      { text: 'Fabrikam "EU" (Legal), Inc.\nLegal (33333333)', value: ids[2] },
      { text: ids[3], value: ids[3] },
    ]);
  });
});

describe("the tenant bound checker reads joins and one-to-one functions", () => {
  const users = 'partner_security_customer_users{job=~"$job"}';
  const info = `${INFO}{job=~"$job"}`;
  const cut = `topk($limit, ${users})`;

  it.each([
    [`(${cut}) * on (job, customer_tenant_id) group_left (customer_name) ${info}`, true],
    [`(${users}) * on (job, customer_tenant_id) group_left (customer_name) topk($limit, ${info})`, false],
    [`(${cut}) * on (job, customer_tenant_id) group_left (customer_name) ${info} or on (job, customer_tenant_id) label_join(${cut}, "customer_name", "", "customer_tenant_id")`, true],
    [`label_join(${users}, "customer_name", "", "customer_tenant_id")`, false],
    [`floor(${cut} / 1e9)`, true],
    [`floor(${users} / 1e9)`, false],
    [`time() - ${users}`, false],
    [`${cut} unless ${users} > 0`, true],
    [`${users} unless ${cut}`, false],
  ])("%s: %s", (query, bounded) => {
    expect(tenantBounded(query, PER_TENANT)).toBe(bounded);
  });
});

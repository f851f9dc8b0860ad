import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { DataSourceRef, DataTransformerConfig, GridPos } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BigValueColorMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelinePanel } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { NEUTRAL, fixedColor, thresholdColor, thresholds, valueText } from "./colours.js";

// The colour scales and their helpers live in colours.ts; every dashboard imports them from here.
export * from "./colours.js";

/** Every panel queries the data source the `datasource` variable picks. */
export const DATASOURCE: DataSourceRef = { type: "prometheus", uid: "${datasource}" };
export const TAG = "partner-security";

/** The labels that tell one exporter target from another; aggregations keep them. */
export const TARGET_KEYS = "cluster, namespace, job, instance";
/**
 * The labels that name one exporter deployment and the partner it reads, without the instance:
 * under Kubernetes the instance is the pod address, and a replaced pod must not leave a second row.
 */
export const PARTNER_KEYS = "cluster, namespace, job, partner_tenant_id";

/** The matchers every selector carries, so the cluster/namespace/job/instance filters apply everywhere. */
export function sel(metric: string, extra = ""): string {
  return `${metric}{cluster=~"$cluster",namespace=~"$namespace",job=~"$job",instance=~"$instance"${extra ? `,${extra}` : ""}}`;
}

const PARTNER_INFO = sel("partner_security_exporter_partner_info", 'partner_tenant_id=~"$partner"');

/**
 * Adds the partner tenant of each exporter target (from the info metric) to `expr`, for legends,
 * and keeps only the targets of the selected partners: the instance variable's All matches any
 * instance, so a pod that has not answered yet is not left out of what the dashboard shows.
 */
export function withPartner(expr: string): string {
  return `(${expr}) * on (${TARGET_KEYS}) group_left (partner_tenant_id) max by (${TARGET_KEYS}, partner_tenant_id) (${PARTNER_INFO})`;
}

/**
 * `metric` per partner deployment as it last was within a day, gone targets included: a
 * deployment scaled to 0 keeps ageing instead of dropping out of the freshness check.
 */
function lastWithinDay(metric: string): string {
  const recent = (selector: string) => `last_over_time(${selector}[1d])`;
  return `max by (${PARTNER_KEYS}) (${recent(sel(metric))} * on (${TARGET_KEYS}) group_left (partner_tenant_id) max by (${TARGET_KEYS}, partner_tenant_id) (${recent(PARTNER_INFO)}))`;
}

/**
 * The Graph endpoint of a series as `graph_endpoint`. The exporter calls it `endpoint`, but under
 * prometheus-operator the scrape's own `endpoint` label (the Service port name) wins and the
 * exporter's becomes `exported_endpoint`.
 */
export function graphEndpoint(selector: string): string {
  return `label_replace(label_replace(${selector}, "graph_endpoint", "$1", "endpoint", "(.*)"), "graph_endpoint", "$1", "exported_endpoint", "(.+)")`;
}

/** A range query, for time series panels. */
export function query(expr: string, legend = "", refId = "A"): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend || "__auto").refId(refId).datasource(DATASOURCE);
}

/**
 * An instant query, for stats and gauges: the value now, so the tile of an exporter that stopped
 * answering goes empty after Prometheus' lookback instead of showing its last value for days.
 */
export function now(expr: string, legend = "", refId = "A"): DataqueryBuilder {
  return query(expr, legend, refId).instant();
}

/** `expr` per partner deployment (`PARTNER_KEYS` plus `keys`): one series across pod replacements. */
export function byPartner(expr: string, keys = ""): string {
  return `max by (${PARTNER_KEYS}${keys ? `, ${keys}` : ""}) (${withPartner(expr)})`;
}

/** The latest value per partner deployment, as an instant query: every stat and gauge over Graph data. */
export function perPartner(expr: string, legend: string, refId = "A", keys = ""): DataqueryBuilder {
  return now(byPartner(expr, keys), legend, refId);
}

/** An instant query in table format, for table panels that merge several queries. */
export function tableQuery(expr: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).refId(refId).instant().format(PromQueryFormat.Table).datasource(DATASOURCE);
}

/** Stats and gauges show the latest value of each series. */
export function lastValue(): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false);
}

/** A visible legend (the SDK hides it unless told) and a tooltip listing every series, largest first. */
function legend(): VizLegendOptionsBuilder {
  return new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]);
}
function tooltip(): VizTooltipOptionsBuilder {
  return new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);
}

/** A time series panel on the dashboard's data source whose lines are named in a legend. */
export function timeseries(): TimeseriesPanel {
  return new TimeseriesPanel().datasource(DATASOURCE).legend(legend()).tooltip(tooltip());
}

/** A state timeline (values that are states, not amounts) with a legend. */
export function stateTimeline(): StateTimelinePanel {
  return new StateTimelinePanel().datasource(DATASOURCE).legend(legend()).tooltip(tooltip());
}

/** Width and height; the dashboard builder places the panel after the previous one (x and y 0 ask it to). */
export function size(w: number, h: number): GridPos {
  return { x: 0, y: 0, w, h };
}

/** A stat of the latest value, neutral until a panel says which way is bad. */
export function stat(): StatPanel {
  return new StatPanel().reduceOptions(lastValue()).datasource(DATASOURCE).colorScheme(fixedColor()).thresholds(thresholds(NEUTRAL)).colorMode(BigValueColorMode.Value);
}

export function merge(organize: { exclude?: string[]; rename?: Record<string, string>; order?: string[] }): DataTransformerConfig[] {
  return [
    { id: "merge", options: {} },
    {
      id: "organize",
      options: {
        excludeByName: Object.fromEntries((organize.exclude ?? []).map((name) => [name, true])),
        renameByName: organize.rename ?? {},
        indexByName: Object.fromEntries((organize.order ?? []).map((name, index) => [name, index])),
      },
    },
  ];
}

const STALE = { fresh: 0, stale: 1, noData: 2 } as const;

/**
 * The banner on top of every dashboard: red when the selected exporters' data is older than twice
 * their refresh interval (what PartnerSecurityExporterDataStale alerts on), when a selected
 * exporter's target is down (its own series are gone then, so only `up` tells), or when none answers.
 */
function staleBanner(): StatPanel {
  // The freshest pod of each partner deployment: during a rollout the new pod, not yet refreshed,
  // is scraped beside the old one that still serves fresh data.
  const age = `time() - ${lastWithinDay("partner_security_exporter_last_success_timestamp_seconds")}`;
  const stale = `(${age}) > bool (2 * ${lastWithinDay("partner_security_exporter_refresh_interval_seconds")})`;
  const down = `(1 - max by (${TARGET_KEYS}) (${sel("up")}))`;
  return stat()
    .title("Data freshness")
    .description(
      "Red when the freshest data of a selected partner deployment is older than twice its refresh interval (no successful refresh from Microsoft Graph since; also before the first one, and for a day after a deployment disappeared), when a selected exporter is down, or when no selected exporter is scraped. The Exporter health dashboard says why.",
    )
    .withTarget(now(`max(${stale} or ${down}) or vector(${STALE.noData})`, "freshness"))
    .unit("none")
    .colorScheme(thresholdColor())
    .thresholds(thresholds([[null, "green"], [STALE.stale, "red"]]))
    .mappings(
      valueText({
        [STALE.fresh]: ["Data is fresh", "green"],
        [STALE.stale]: ["Data is stale: no successful refresh for over twice the refresh interval, or an exporter is down", "red"],
        [STALE.noData]: ["No data: no selected exporter is scraped", "red"],
      }),
    )
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .gridPos(size(24, 2));
}

function variable(name: string, label: string, description: string, expr: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(expr)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true);
}

const ALL = { selected: true, text: ["All"], value: ["$__all"] };

/**
 * Firing alerts named by `alerts` as annotations, of the selected exporters. Posture alerts carry no
 * instance and exporter-down alerts no partner (`|` lets those through); per-tenant alerts are left
 * to an annotation of the picked tenants (the customer dashboard's): a CSP can have hundreds firing at once.
 */
export function firingAlerts(name: string, alerts: string, extra = 'customer_tenant_id=""'): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name(name)
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor("red")
    .expr(`ALERTS{alertname=~"${alerts}",alertstate="firing",cluster=~"$cluster",namespace=~"$namespace",job=~"$job",partner_tenant_id=~"$partner|",instance=~"$instance|",${extra}}`)
    .step("60s")
    .titleFormat("{{alertname}}")
    .tagKeys("severity,partner_tenant_id,customer_tenant_id,requirement_type")
    .textFormat("{{alertname}} ({{severity}})")
    .useValueForTime(false);
}

/**
 * The dashboard frame all three share: data source; cluster, namespace, partner, job and instance
 * filters; the stale-data banner; firing alerts matching `alerts` as annotations; links to the others.
 */
export function baseDashboard(uid: string, title: string, description: string, alerts: string): DashboardBuilder {
  // Where Prometheus has no cluster or namespace label, ".*" still matches (an absent label is "").
  const cluster = variable("cluster", "Cluster", "Kubernetes cluster (the cluster label, where Prometheus adds one)", "label_values(partner_security_exporter_build_info, cluster)")
    .allValue(".*")
    .current(ALL);
  const namespace = variable("namespace", "Namespace", "Kubernetes namespace of the exporter", 'label_values(partner_security_exporter_build_info{cluster=~"$cluster"}, namespace)')
    .allValue(".*")
    .current(ALL);
  const partner = variable(
    "partner",
    "Partner tenant",
    "Partner tenant an exporter reads (partner_security_exporter_partner_info); one exporter per partner",
    'label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace"}, partner_tenant_id)',
  )
    .allValue(".*")
    .current(ALL);
  // No allValue on job: "All" then stands for the jobs listed, which keeps the choice of partner
  // (a ".*" would select every job of the Prometheus). The instance's All matches any instance of
  // those jobs, so a new pod that has not been scraped successfully yet (not listed) still counts;
  // the partner choice reaches the instances through withPartner.
  const job = variable(
    "job",
    "Job",
    "Prometheus job of the exporter",
    'label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace",partner_tenant_id=~"$partner"}, job)',
  ).current(ALL);
  const instance = variable(
    "instance",
    "Instance",
    "Exporter instance (under Kubernetes the pod address)",
    'label_values(partner_security_exporter_partner_info{cluster=~"$cluster",namespace=~"$namespace",partner_tenant_id=~"$partner",job=~"$job"}, instance)',
  )
    .allValue(".*")
    .current(ALL);
  const firing = firingAlerts("Firing alerts", alerts);
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .refresh("5m")
    .time({ from: "now-7d", to: "now" })
    .timezone("browser")
    .withVariable(new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"))
    .withVariable(cluster)
    .withVariable(namespace)
    .withVariable(partner)
    .withVariable(job)
    .withVariable(instance)
    .annotation(firing)
    .link(new DashboardLinkBuilder("Partner security").type(DashboardLinkType.Dashboards).tags([TAG]).asDropdown(false).includeVars(true).keepTime(true))
    .withPanel(staleBanner());
}

import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { DataSourceRef, DataTransformerConfig, ValueMapping } from "@grafana/grafana-foundation-sdk/dashboard";
import { ReduceDataOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";

/** Every panel queries the data source the `datasource` variable picks. */
export const DATASOURCE: DataSourceRef = { type: "prometheus", uid: "${datasource}" };
export const TAG = "partner-security";

/** The matchers every selector carries, so the job/instance filters apply everywhere. */
export function sel(metric: string, extra = ""): string {
  return `${metric}{job=~"$job",instance=~"$instance"${extra ? `,${extra}` : ""}}`;
}

export function query(expr: string, legend = "", refId = "A"): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend || "__auto").refId(refId).datasource(DATASOURCE);
}

/** An instant query in table format, for table panels that merge several queries. */
export function tableQuery(expr: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).refId(refId).instant().format(PromQueryFormat.Table).datasource(DATASOURCE);
}

/** Stats and gauges show the latest value of each series. */
export function lastValue(): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false);
}

export function thresholds(steps: Array<[number | null, string]>): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

export function valueText(entries: Record<string, [string, string]>): ValueMapping[] {
  const options = Object.fromEntries(Object.entries(entries).map(([value, [text, color]], index) => [value, { text, color, index }]));
  return [{ type: MappingType.ValueToText, options }];
}

export const ENABLED_DISABLED = valueText({ "1": ["enabled", "green"], "0": ["disabled", "red"] });

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

/** The dashboard frame all three share: data source, job and instance filters, links to the others. */
export function baseDashboard(uid: string, title: string, description: string): DashboardBuilder {
  const job = new QueryVariableBuilder("job")
    .label("Job")
    .description("Prometheus job of the exporter")
    .datasource(DATASOURCE)
    .query("label_values(partner_security_exporter_build_info, job)")
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".+");
  const instance = new QueryVariableBuilder("instance")
    .label("Instance")
    .description("Exporter instance (one per partner tenant)")
    .datasource(DATASOURCE)
    .query('label_values(partner_security_exporter_build_info{job=~"$job"}, instance)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".+");
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .refresh("5m")
    .time({ from: "now-7d", to: "now" })
    .timezone("browser")
    .withVariable(new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"))
    .withVariable(job)
    .withVariable(instance)
    .link(new DashboardLinkBuilder("Partner security").type(DashboardLinkType.Dashboards).tags([TAG]).asDropdown(false).includeVars(true).keepTime(true));
}

import { BigValueTextMode } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, baseDashboard, query, sel, thresholds, valueText, lastValue } from "./common.js";

/** Whether the data is fresh, and if not, why: refreshes, Graph answers, throttling, the process. */
export function exporterHealthDashboard(): Dashboard {
  return baseDashboard("partner-security-exporter-health", "Partner security: exporter health", "Is the partner security data fresh? Refreshes, Microsoft Graph requests and the exporter process.")
    .withRow(new RowBuilder("Freshness"))
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Last refresh")
        .description("Whether the last refresh from Microsoft Graph succeeded. PartnerSecurityExporterRefreshFailing fires after 30 minutes of failures.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_exporter_refresh_success"), "{{instance}}"))
        .mappings(valueText({ "1": ["succeeded", "green"], "0": ["failed", "red"] }))
        .unit("none")
        .gridPos({ h: 5, w: 6, x: 0, y: 1 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Data age")
        .description("Time since the last successful refresh, against the refresh interval. Beyond twice the interval PartnerSecurityExporterDataStale fires; beyond PSE_MAX_STALENESS the Graph-derived series are dropped.")
        .datasource(DATASOURCE)
        .withTarget(query(`time() - ${sel("partner_security_exporter_last_success_timestamp_seconds")}`, "age {{instance}}"))
        .withTarget(query(sel("partner_security_exporter_refresh_interval_seconds"), "interval {{instance}}", "B"))
        .withTarget(query(sel("partner_security_exporter_max_staleness_seconds"), "max staleness {{instance}}", "C"))
        .unit("s")
        .gridPos({ h: 5, w: 10, x: 6, y: 1 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Graph endpoints available")
        .description("Whether each Graph endpoint answered in the last successful refresh (unavailable = 404, a known Graph issue for history and requirements).")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_exporter_endpoint_available"), "{{endpoint}}"))
        .mappings(valueText({ "1": ["available", "green"], "0": ["404", "orange"] }))
        .unit("none")
        .gridPos({ h: 5, w: 8, x: 16, y: 1 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Refreshes")
        .description("Refreshes by result, and ticks skipped because a refresh was still running.")
        .datasource(DATASOURCE)
        .withTarget(query(`sum by (instance, result) (increase(${sel("partner_security_exporter_refreshes_total")}[$__rate_interval]))`, "{{result}} {{instance}}"))
        .withTarget(query(`sum by (instance) (increase(${sel("partner_security_exporter_refresh_skipped_total")}[$__rate_interval]))`, "skipped {{instance}}", "B"))
        .unit("none")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 0, y: 6 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Refresh duration")
        .description("How long refreshes take, retries included (90th percentile and average). A refresh is aborted at half the refresh interval.")
        .datasource(DATASOURCE)
        .withTarget(query(`histogram_quantile(0.9, sum by (instance, le) (rate(${sel("partner_security_exporter_refresh_duration_seconds_bucket")}[$__rate_interval])))`, "p90 {{instance}}"))
        .withTarget(
          query(
            `sum by (instance) (rate(${sel("partner_security_exporter_refresh_duration_seconds_sum")}[$__rate_interval])) / sum by (instance) (rate(${sel("partner_security_exporter_refresh_duration_seconds_count")}[$__rate_interval]))`,
            "average {{instance}}",
            "B",
          ),
        )
        .unit("s")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 12, y: 6 }),
    )
    .withRow(new RowBuilder("Microsoft Graph"))
    .withPanel(
      new TimeseriesPanel()
        .title("Graph requests by endpoint and code")
        .description("HTTP requests to Microsoft Graph per second, by endpoint and status code (timeout and network when there was no response).")
        .datasource(DATASOURCE)
        .withTarget(query(`sum by (endpoint, code) (rate(${sel("partner_security_exporter_graph_requests_total")}[$__rate_interval]))`, "{{endpoint}} {{code}}"))
        .unit("reqps")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 0, y: 15 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Retries and throttling")
        .description("Retried Graph requests by endpoint, and 429 (throttled) answers. Sustained 429s fire PartnerSecurityExporterGraphThrottled.")
        .datasource(DATASOURCE)
        .withTarget(query(`sum by (endpoint) (increase(${sel("partner_security_exporter_graph_retries_total")}[$__rate_interval]))`, "retries {{endpoint}}"))
        .withTarget(query(`sum by (endpoint) (increase(${sel("partner_security_exporter_graph_requests_total", 'code="429"')}[$__rate_interval]))`, "429 {{endpoint}}", "B"))
        .unit("none")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 12, y: 15 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Graph request duration")
        .description("99th percentile duration of one Graph request by endpoint, body included.")
        .datasource(DATASOURCE)
        .withTarget(query(`histogram_quantile(0.99, sum by (endpoint, le) (rate(${sel("partner_security_exporter_graph_request_duration_seconds_bucket")}[$__rate_interval])))`, "{{endpoint}}"))
        .unit("s")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 0, y: 23 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Series and validation warnings")
        .description("Graph-derived series in the cached exposition, and fields dropped or values not understood in the last successful refresh (the log says which).")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_exporter_graph_series"), "series {{instance}}"))
        .withTarget(query(sel("partner_security_exporter_validation_warnings"), "warnings {{instance}}", "B"))
        .unit("none")
        .overrideByRegexp("warnings.*", [{ id: "thresholds", value: { mode: "absolute", steps: [{ value: null, color: "green" }, { value: 1, color: "orange" }] } }])
        .gridPos({ h: 8, w: 12, x: 12, y: 23 }),
    )
    .withRow(new RowBuilder("Process"))
    .withPanel(
      new TimeseriesPanel()
        .title("Memory")
        .description("Resident memory and V8 heap of the exporter process.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("process_resident_memory_bytes"), "resident {{instance}}"))
        .withTarget(query(`sum by (instance) (${sel("nodejs_heap_size_used_bytes")})`, "heap used {{instance}}", "B"))
        .unit("bytes")
        .min(0)
        .gridPos({ h: 8, w: 12, x: 0, y: 32 }),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Event-loop lag")
        .description("Event-loop delay of the exporter (p99 and mean): high values mean slow scrapes.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("nodejs_eventloop_lag_p99_seconds"), "p99 {{instance}}"))
        .withTarget(query(sel("nodejs_eventloop_lag_mean_seconds"), "mean {{instance}}", "B"))
        .unit("s")
        .min(0)
        .thresholds(thresholds([[null, "green"], [0.1, "orange"], [0.5, "red"]]))
        .gridPos({ h: 8, w: 12, x: 12, y: 32 }),
    )
    .withPanel(
      new StatPanel()
        .reduceOptions(lastValue())
        .title("Version")
        .description("Exporter version, git revision and Node.js version.")
        .datasource(DATASOURCE)
        .withTarget(query(sel("partner_security_exporter_build_info"), "{{instance}}: {{version}} ({{revision}}), Node.js {{nodejs_version}}"))
        .textMode(BigValueTextMode.Name)
        .unit("none")
        .gridPos({ h: 4, w: 24, x: 0, y: 40 }),
    )
    .build();
}

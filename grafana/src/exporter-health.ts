import { BigValueTextMode } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, REFRESH_AGE, baseDashboard, colouredBy, now, query, sel, size, stat, thresholdColor, thresholds, valueText, withPartner } from "./common.js";

/**
 * The exporter moves its refresh counters and histograms once per refresh (every 15 minutes by
 * default), so rates over Grafana's usual few-minute window are mostly empty. These panels compute
 * at least hourly: four refreshes a window at the default, two at a 30-minute refresh interval.
 */
const PER_REFRESH_INTERVAL = "1h";

/** Increase of a counter per hour, whatever window Grafana picks. */
function perHour(counter: string): string {
  return `rate(${counter}[$__rate_interval]) * 3600`;
}

/** Whether the data is fresh, and if not, why: refreshes, Graph answers, throttling, the process. */
export function exporterHealthDashboard(): Dashboard {
  const lastSuccess = sel("partner_security_exporter_last_success_timestamp_seconds");
  return baseDashboard(
    "partner-security-exporter-health",
    "Partner security: exporter health",
    "Is the partner security data fresh? Refreshes, Microsoft Graph requests and the exporter process.",
    "PartnerSecurityExporter.*",
  )
    .withRow(new RowBuilder("Freshness"))
    .withPanel(
      stat()
        .title("Last refresh")
        .description("Whether the last refresh from Microsoft Graph succeeded (green) or failed (red), and if it failed, why (the reason label of partner_security_exporter_refreshes_total).")
        .withTarget(now(withPartner(sel("partner_security_exporter_refresh_success")), "{{partner_tenant_id}} {{instance}}"))
        .withTarget(now(withPartner(`${sel("partner_security_exporter_refresh_failure_reason")} == 1`), "{{reason}} {{partner_tenant_id}} {{instance}}", "B"))
        .colorScheme(thresholdColor())
        .thresholds(thresholds([[null, "red"], [1, "green"]]))
        .mappings(valueText({ "1": ["succeeded", "green"], "0": ["failed", "red"] }))
        .overrideByQuery("B", [{ id: "mappings", value: valueText({ "1": ["reason of the failure", "red"] }) }, ...colouredBy([[null, "red"]])])
        .unit("none")
        .gridPos(size(6, 5)),
    )
    .withPanel(
      stat()
        .title("Consecutive failed refreshes")
        .description("Failed refreshes since the last successful one: green at 0, yellow at 1, red from 2, where PartnerSecurityExporterRefreshFailing fires.")
        .withTarget(now(sel("partner_security_exporter_refresh_consecutive_failures"), "{{instance}}"))
        .colorScheme(thresholdColor())
        .thresholds(thresholds([[null, "green"], [1, "yellow"], [2, "red"]]))
        .unit("none")
        .gridPos(size(4, 5)),
    )
    .withPanel(
      stat()
        .title("Data age")
        .description(
          "Time since the last successful refresh, and the same in refresh intervals: green below 1.25 intervals, yellow when a refresh is late, red from 2, where PartnerSecurityExporterDataStale fires. Beyond the max staleness (PSE_MAX_STALENESS, 0 = never) the Graph-derived series are dropped.",
        )
        .withTarget(now(`time() - ${lastSuccess}`, "age {{instance}}"))
        .withTarget(now(`(time() - ${lastSuccess}) / ${sel("partner_security_exporter_refresh_interval_seconds")}`, "age in refresh intervals {{instance}}", "B"))
        .withTarget(now(sel("partner_security_exporter_refresh_interval_seconds"), "interval {{instance}}", "C"))
        .withTarget(now(sel("partner_security_exporter_max_staleness_seconds"), "max staleness {{instance}}", "D"))
        .unit("s")
        .overrideByQuery("B", [{ id: "unit", value: "none" }, { id: "decimals", value: 2 }, ...colouredBy(REFRESH_AGE)])
        .overrideByQuery("D", [{ id: "mappings", value: valueText({ "0": ["never dropped", "text"] }) }])
        .gridPos(size(8, 5)),
    )
    .withPanel(
      stat()
        .title("Graph endpoints available")
        .description("Whether each Graph endpoint answered in the last successful refresh (orange: 404, a known Graph issue for history and requirements; PartnerSecurityExporterEndpointUnavailable warns).")
        .withTarget(now(sel("partner_security_exporter_endpoint_available"), "{{endpoint}}"))
        .colorScheme(thresholdColor())
        .thresholds(thresholds([[null, "orange"], [1, "green"]]))
        .mappings(valueText({ "1": ["available", "green"], "0": ["404", "orange"] }))
        .unit("none")
        .gridPos(size(6, 5)),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Refreshes per hour")
        .description(
          "Refreshes per hour by result, failures by reason (token, unauthorized, forbidden, not_found, throttled, server_error, timeout, network, invalid_response), and ticks skipped because a refresh was still running. Computed over at least an hour: a refresh runs every 15 minutes by default.",
        )
        .datasource(DATASOURCE)
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(`sum by (instance, result, reason) (${perHour(sel("partner_security_exporter_refreshes_total"))})`, "{{result}} {{reason}} {{instance}}"))
        .withTarget(query(`sum by (instance) (${perHour(sel("partner_security_exporter_refresh_skipped_total"))})`, "skipped {{instance}}", "B"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Refresh duration")
        .description("How long refreshes take, retries included (90th percentile and average over at least an hour). A refresh is aborted at half the refresh interval.")
        .datasource(DATASOURCE)
        .interval(PER_REFRESH_INTERVAL)
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
        .gridPos(size(12, 8)),
    )
    .withRow(new RowBuilder("Microsoft Graph"))
    .withPanel(
      new TimeseriesPanel()
        .title("Graph requests per hour by endpoint and code")
        .description("HTTP requests to Microsoft Graph per hour, by endpoint and status code (timeout and network when there was no response). Requests come in bursts, one per refresh: computed over at least an hour.")
        .datasource(DATASOURCE)
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(`sum by (endpoint, code) (${perHour(sel("partner_security_exporter_graph_requests_total"))})`, "{{endpoint}} {{code}}"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Retries and throttling per hour")
        .description("Retried Graph requests per hour by endpoint, and 429 (throttled) answers, over at least an hour. Sustained 429s fire PartnerSecurityExporterGraphThrottled.")
        .datasource(DATASOURCE)
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(`sum by (endpoint) (${perHour(sel("partner_security_exporter_graph_retries_total"))})`, "retries {{endpoint}}"))
        .withTarget(query(`sum by (endpoint) (${perHour(sel("partner_security_exporter_graph_requests_total", 'code="429"'))})`, "429 {{endpoint}}", "B"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      new TimeseriesPanel()
        .title("Graph request duration")
        .description("99th percentile duration of one Graph request by endpoint, body included, over at least an hour.")
        .datasource(DATASOURCE)
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(`histogram_quantile(0.99, sum by (endpoint, le) (rate(${sel("partner_security_exporter_graph_request_duration_seconds_bucket")}[$__rate_interval])))`, "{{endpoint}}"))
        .unit("s")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stat()
        .title("Series and validation warnings")
        .description("Graph-derived series in the cached exposition (neutral), and fields dropped or values not understood in the last successful refresh: green at 0, orange from 1 (the log says which).")
        .withTarget(now(sel("partner_security_exporter_graph_series"), "series {{instance}}"))
        .withTarget(now(sel("partner_security_exporter_validation_warnings"), "warnings {{instance}}", "B"))
        .unit("none")
        .overrideByQuery("B", colouredBy([[null, "green"], [1, "orange"]]))
        .gridPos(size(12, 8)),
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
        .gridPos(size(12, 8)),
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
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stat()
        .title("Version")
        .description("Exporter version, git revision and Node.js version.")
        .withTarget(now(sel("partner_security_exporter_build_info"), "{{instance}}: {{version}} ({{revision}}), Node.js {{nodejs_version}}"))
        .textMode(BigValueTextMode.Name)
        .unit("none")
        .gridPos(size(24, 4)),
    )
    .build();
}

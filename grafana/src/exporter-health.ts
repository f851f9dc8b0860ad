import { BigValueTextMode, GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard, DynamicConfigValue } from "@grafana/grafana-foundation-sdk/dashboard";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PARTNER_KEYS, REFRESH_AGE, TARGET_KEYS, baseDashboard, colouredBy, graphEndpoint, now, query, sel, size, stat, thresholdColor, thresholds, timeseries, valueText, withPartner } from "./common.js";

/**
 * The exporter moves its refresh counters and histograms once per refresh (every 15 minutes by
 * default), so rates over Grafana's usual few-minute window are mostly empty. These panels compute
 * at least hourly: four refreshes a window at the default, two at a 30-minute refresh interval.
 */
const PER_REFRESH_INTERVAL = "1h";
/** Each process, named by the partner it reads and its address (under Kubernetes the pod's). */
const PROCESS = "{{partner_tenant_id}} {{instance}}";

/** Increase of a counter per hour, whatever window Grafana picks. */
function perHour(counter: string): string {
  return `rate(${counter}[$__rate_interval]) * 3600`;
}

/** Summed per partner deployment and `keys`: one line across pod replacements, two partners apart. */
function sumByPartner(keys: string, expr: string): string {
  return `sum by (${PARTNER_KEYS}${keys ? `, ${keys}` : ""}) (${withPartner(expr)})`;
}

const FIXED = (color: string): DynamicConfigValue[] => [{ id: "color", value: { mode: "fixed", fixedColor: color } }];

/** Whether the data is fresh, and if not, why: the scrape, refreshes, Graph answers, throttling, the process. */
export function exporterHealthDashboard(): Dashboard {
  // A pod that has not refreshed yet reports 0: no age until it has.
  const lastSuccess = `(${sel("partner_security_exporter_last_success_timestamp_seconds")} > 0)`;
  return baseDashboard(
    "partner-security-exporter-health",
    "Partner security: exporter health",
    "Is the partner security data fresh? The scrape, refreshes, Microsoft Graph requests and the exporter process.",
    "PartnerSecurityExporter.*",
  )
    .withRow(new RowBuilder("Freshness"))
    .withPanel(
      stat()
        .title("Scrape target")
        .description(
          "Whether Prometheus reaches each exporter target (up: green up, red down; a down exporter has no other series, so this is the panel that says so), how long its scrape takes (green below 5s, orange, red from 10s, Prometheus' default scrape timeout) and how many samples it returns (neutral; compare with a ServiceMonitor sampleLimit).",
        )
        .withTarget(now(sel("up"), "{{job}} {{pod}} {{instance}}"))
        .withTarget(now(sel("scrape_duration_seconds"), "scrape duration {{pod}} {{instance}}", "B"))
        .withTarget(now(sel("scrape_samples_scraped"), "samples {{pod}} {{instance}}", "C"))
        .unit("none")
        .overrideByQuery("A", [{ id: "mappings", value: valueText({ "1": ["up", "green"], "0": ["down", "red"] }) }, ...colouredBy([[null, "red"], [1, "green"]])])
        .overrideByQuery("B", [{ id: "unit", value: "s" }, { id: "decimals", value: 2 }, ...colouredBy([[null, "green"], [5, "orange"], [10, "red"]])])
        .gridPos(size(24, 4)),
    )
    .withPanel(
      stat()
        .title("Last refresh")
        .description("Whether the last refresh from Microsoft Graph succeeded (green) or failed (red), and if it failed, why (the reason label of partner_security_exporter_refreshes_total). Nothing for a pod that has not finished its first refresh.")
        // A new pod reports 0 before its first refresh: no "failed" until it has tried.
        .withTarget(now(withPartner(`${sel("partner_security_exporter_refresh_success")} and on (${TARGET_KEYS}) (${sel("partner_security_exporter_last_success_timestamp_seconds")} > 0 or ${sel("partner_security_exporter_refresh_consecutive_failures")} > 0)`), PROCESS))
        .withTarget(now(withPartner(`${sel("partner_security_exporter_refresh_failure_reason")} == 1`), `{{reason}} ${PROCESS}`, "B"))
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
        .withTarget(now(withPartner(sel("partner_security_exporter_refresh_consecutive_failures")), PROCESS))
        .colorScheme(thresholdColor())
        .thresholds(thresholds([[null, "green"], [1, "yellow"], [2, "red"]]))
        .unit("none")
        .gridPos(size(4, 5)),
    )
    .withPanel(
      stat()
        .title("Data age")
        .description(
          "Time since the last successful refresh (none before the first), and the same in refresh intervals: green below 1.25 intervals, yellow when a refresh is late, red from 2, where PartnerSecurityExporterDataStale fires. Beyond the max staleness (PSE_MAX_STALENESS, 0 = never) the Graph-derived series are dropped.",
        )
        .withTarget(now(withPartner(`time() - ${lastSuccess}`), `age ${PROCESS}`))
        .withTarget(now(withPartner(`(time() - ${lastSuccess}) / ${sel("partner_security_exporter_refresh_interval_seconds")}`), `age in refresh intervals ${PROCESS}`, "B"))
        .withTarget(now(withPartner(sel("partner_security_exporter_refresh_interval_seconds")), `interval ${PROCESS}`, "C"))
        .withTarget(now(withPartner(sel("partner_security_exporter_max_staleness_seconds")), `max staleness ${PROCESS}`, "D"))
        .unit("s")
        .overrideByQuery("B", [{ id: "unit", value: "none" }, { id: "decimals", value: 2 }, ...colouredBy(REFRESH_AGE)])
        .overrideByQuery("D", [{ id: "mappings", value: valueText({ "0": ["never dropped", "text"] }) }])
        .gridPos(size(8, 5)),
    )
    .withPanel(
      stat()
        .title("Graph endpoints available")
        .description("Whether each Graph endpoint answered in the last successful refresh (orange: 404, a known Graph issue for history and requirements; PartnerSecurityExporterEndpointUnavailable warns).")
        .withTarget(now(withPartner(graphEndpoint(sel("partner_security_exporter_endpoint_available"))), `{{graph_endpoint}} ${PROCESS}`))
        .colorScheme(thresholdColor())
        .thresholds(thresholds([[null, "orange"], [1, "green"]]))
        .mappings(valueText({ "1": ["available", "green"], "0": ["404", "orange"] }))
        .unit("none")
        .gridPos(size(6, 5)),
    )
    .withPanel(
      timeseries()
        .title("Refreshes per hour")
        .description(
          "Refreshes per hour that succeeded (green), failed by reason (red; token, unauthorized, forbidden, not_found, throttled, server_error, timeout, network, invalid_response, out_of_memory; only reasons that occurred are drawn), and ticks skipped (orange) because a refresh was still running, per partner tenant. Computed over at least an hour: a refresh runs every 15 minutes by default.",
        )
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(sumByPartner("", perHour(sel("partner_security_exporter_refreshes_total", 'result="success"'))), "success {{partner_tenant_id}}"))
        .withTarget(query(`${sumByPartner("reason", perHour(sel("partner_security_exporter_refreshes_total", 'result="failure"')))} > 0`, "failure {{reason}} {{partner_tenant_id}}", "B"))
        .withTarget(query(sumByPartner("", perHour(sel("partner_security_exporter_refresh_skipped_total"))), "skipped {{partner_tenant_id}}", "C"))
        .overrideByQuery("A", FIXED("green"))
        .overrideByQuery("B", FIXED("red"))
        .overrideByQuery("C", FIXED("orange"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      timeseries()
        .title("Refresh duration")
        .description("How long refreshes take, retries included (90th percentile and average over at least an hour), per partner tenant. A refresh is aborted at half the refresh interval.")
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(`histogram_quantile(0.9, ${sumByPartner("le", `rate(${sel("partner_security_exporter_refresh_duration_seconds_bucket")}[$__rate_interval])`)})`, "p90 {{partner_tenant_id}}"))
        .withTarget(
          query(
            `${sumByPartner("", `rate(${sel("partner_security_exporter_refresh_duration_seconds_sum")}[$__rate_interval])`)} / ${sumByPartner("", `rate(${sel("partner_security_exporter_refresh_duration_seconds_count")}[$__rate_interval])`)}`,
            "average {{partner_tenant_id}}",
            "B",
          ),
        )
        .unit("s")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withRow(new RowBuilder("Microsoft Graph"))
    .withPanel(
      timeseries()
        .title("Graph requests per hour by endpoint and code")
        .description("HTTP requests to Microsoft Graph per hour, by endpoint and status code (timeout and network when there was no response), per partner tenant. Requests come in bursts, one per refresh: computed over at least an hour.")
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(sumByPartner("graph_endpoint, code", graphEndpoint(perHour(sel("partner_security_exporter_graph_requests_total")))), "{{graph_endpoint}} {{code}} {{partner_tenant_id}}"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      timeseries()
        .title("Retries and throttling per hour")
        .description("Retried Graph requests per hour by endpoint, and 429 (throttled) answers, over at least an hour, per partner tenant. Sustained 429s fire PartnerSecurityExporterGraphThrottled.")
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(query(sumByPartner("graph_endpoint", graphEndpoint(perHour(sel("partner_security_exporter_graph_retries_total")))), "retries {{graph_endpoint}} {{partner_tenant_id}}"))
        .withTarget(query(sumByPartner("graph_endpoint", graphEndpoint(perHour(sel("partner_security_exporter_graph_requests_total", 'code="429"')))), "429 {{graph_endpoint}} {{partner_tenant_id}}", "B"))
        .unit("none")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      timeseries()
        .title("Graph request duration")
        .description("99th percentile duration of one Graph request by endpoint, body included, over at least an hour, per partner tenant.")
        .interval(PER_REFRESH_INTERVAL)
        .withTarget(
          query(
            `histogram_quantile(0.99, ${sumByPartner("graph_endpoint, le", graphEndpoint(`rate(${sel("partner_security_exporter_graph_request_duration_seconds_bucket")}[$__rate_interval])`))})`,
            "{{graph_endpoint}} {{partner_tenant_id}}",
          ),
        )
        .unit("s")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stat()
        .title("Series and validation warnings")
        .description("Graph-derived series in the cached exposition (neutral), and fields dropped or values not understood in the last successful refresh: green at 0, orange from 1 (the log says which).")
        .withTarget(now(withPartner(sel("partner_security_exporter_graph_series")), `series ${PROCESS}`))
        .withTarget(now(withPartner(sel("partner_security_exporter_validation_warnings")), `warnings ${PROCESS}`, "B"))
        .unit("none")
        .overrideByQuery("B", colouredBy([[null, "green"], [1, "orange"]]))
        .gridPos(size(12, 8)),
    )
    .withRow(new RowBuilder("Process"))
    .withPanel(
      timeseries()
        .title("Memory")
        .description("Resident memory and V8 heap of each exporter process.")
        .withTarget(query(withPartner(sel("process_resident_memory_bytes")), `resident ${PROCESS}`))
        .withTarget(query(withPartner(`sum without (space) (${sel("nodejs_heap_size_used_bytes")})`), `heap used ${PROCESS}`, "B"))
        .unit("bytes")
        .min(0)
        .gridPos(size(12, 8)),
    )
    .withPanel(
      timeseries()
        .title("Event-loop lag")
        .description("Event-loop delay of each exporter process (p99 and mean): high values mean slow scrapes. The lines mark 100 ms (orange) and 500 ms (red).")
        .withTarget(query(withPartner(sel("nodejs_eventloop_lag_p99_seconds")), `p99 ${PROCESS}`))
        .withTarget(query(withPartner(sel("nodejs_eventloop_lag_mean_seconds")), `mean ${PROCESS}`, "B"))
        .unit("s")
        .min(0)
        .thresholds(thresholds([[null, "green"], [0.1, "orange"], [0.5, "red"]]))
        .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Line))
        .gridPos(size(12, 8)),
    )
    .withPanel(
      stat()
        .title("Version")
        .description("Exporter version, git revision and Node.js version of each process.")
        .withTarget(now(withPartner(sel("partner_security_exporter_build_info")), "{{partner_tenant_id}} {{instance}}: {{version}} ({{revision}}), Node.js {{nodejs_version}}"))
        .textMode(BigValueTextMode.Name)
        .unit("none")
        .gridPos(size(24, 4)),
    )
    .build();
}

import { BigValueGraphMode } from "@grafana/grafana-foundation-sdk/common";
import { QueryVariableBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import type { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { DATASOURCE, PARTNER_KEYS, byPartner, colouredBy, graphEndpoint, now, sel, stat, valueText } from "./common.js";

// What the panels of issue 14 share: customer names, and whether an optional Graph source is read.

/** The labels of one customer of one partner deployment: a per-customer row or line is keyed by them. */
export const CUSTOMER_KEYS = `${PARTNER_KEYS}, customer_tenant_id`;
/** A customer's name from the info metric, the tenant id where none is known: one label, filled for every row. */
const ID_AS_NAME = '"customer_name", "", "customer_tenant_id"';

/**
 * The customer names per partner deployment (`partner_security_customer_info`), `matcher` narrowing
 * them (the picked tenants of a time series, so a range query does not join every name at every
 * step). topk keeps one name per customer: during a rollout two pods may briefly disagree.
 */
function names(matcher: string): string {
  return `topk by (${CUSTOMER_KEYS}) (1, ${byPartner(sel("partner_security_customer_info", matcher), "customer_tenant_id, customer_name")})`;
}

/**
 * `expr` (labelled by CUSTOMER_KEYS, and maybe more) with a `customer_name` label: the customer's
 * name, or its tenant id where no name is known (PSE_CUSTOMER_NAMES=none, or Graph gave none).
 * Cut `expr` to the rows shown first: the join then touches only them.
 */
export function named(expr: string, matcher = ""): string {
  return `(${expr}) * on (${CUSTOMER_KEYS}) group_left (customer_name) ${names(matcher)} or on (${CUSTOMER_KEYS}) label_join(${expr}, ${ID_AS_NAME})`;
}

/** The label a legend or the customer picker shows: the customer's name and the first 8 characters of its tenant id, or the tenant id alone. */
export const CUSTOMER_LABEL = "customer_label";

/**
 * `expr` (labelled by CUSTOMER_KEYS, and maybe more) with a `customer_label`: "name (first 8
 * characters of the tenant id)" where a name is known, so two customers of one name stay apart,
 * else the tenant id alone. The regex keeps what precedes the last " (": the one label_join added.
 */
export function labelled(expr: string, matcher = ""): string {
  const known = matcher ? `${matcher},customer_name!=""` : 'customer_name!=""';
  const joined = `label_join((${expr}) * on (${CUSTOMER_KEYS}) group_left (customer_name) ${names(known)}, "${CUSTOMER_LABEL}", " (", "customer_name", "customer_tenant_id")`;
  const short = `label_replace(${joined}, "${CUSTOMER_LABEL}", "$1 ($2)", "${CUSTOMER_LABEL}", "(?s)(.*) [(](.{8}).*")`;
  return `${short} or on (${CUSTOMER_KEYS}) label_replace(${expr}, "${CUSTOMER_LABEL}", "$1", "customer_tenant_id", "(.*)")`;
}

/** The organize options of a table's name column: the name query's value hidden, the name shown as Customer. */
export const NAME_COLUMN = { customer_name: "Customer", customer_tenant_id: "Tenant" };

/**
 * The customer tenant picker, by name: each option shows "name (first 8 characters of the tenant
 * id)" (the tenant id alone where no name is known) and selects the tenant id, which every panel
 * filters by. Grafana renders each result as `{customer_label="…",customer_tenant_id="…"} 1 <time>`
 * (labels sorted); the regex takes the label as the text and the id as the value. Over the tenants
 * that have series of `metric`.
 */
export function customerPicker(name: string, label: string, metric: string): QueryVariableBuilder {
  const tenants = byPartner(sel(metric), "customer_tenant_id");
  return new QueryVariableBuilder(name)
    .label(label)
    .description("Customers to follow over time, by name and the first 8 characters of the tenant id (names from partner_security_customer_info; the tenant id where no name is known)")
    .datasource(DATASOURCE)
    .query(`query_result(max by (${CUSTOMER_LABEL}, customer_tenant_id) (${labelled(tenants)}))`)
    .regex(`/${CUSTOMER_LABEL}="(?<text>[\\s\\S]*)",customer_tenant_id="(?<value>[^"]+)"/`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc)
    .multi(true)
    .includeAll(false);
}

/**
 * Per partner deployment and Graph endpoint (as `graph_endpoint`), whether the exporter read it:
 * 1 read, 0 failed, no series when the configuration does not read it. Under prometheus-operator
 * the exporter's endpoint label is `exported_endpoint`.
 */
export function endpointAvailable(endpoints: string[]): string {
  const metric = "partner_security_exporter_endpoint_available";
  const list = endpoints.join("|");
  return byPartner(graphEndpoint(`${sel(metric, `endpoint=~"${list}"`)} or ${sel(metric, `exported_endpoint=~"${list}"`)}`), "graph_endpoint");
}

/**
 * Whether the exporter reads optional Graph `endpoints` and Graph answers them: 1 read (green), 0
 * failed (red; `unavailable` says where to look: the exporter's log says why, a 403 or a 5xx or a
 * timeout), no series when the configuration does not read them (`off` says which setting).
 */
export function sourceStatus(endpoints: string[], unavailable: string, off: string): StatPanel {
  return stat()
    .withTarget(now(endpointAvailable(endpoints), "{{graph_endpoint}} {{partner_tenant_id}}"))
    .noValue(`Not read: ${off}`)
    .mappings(valueText({ "1": ["read", "green"], "0": [unavailable, "red"] }))
    .overrideByQuery("A", colouredBy([[null, "red"], [1, "green"]]))
    .unit("none")
    .graphMode(BigValueGraphMode.None);
}

import type { TokenCredential } from "@azure/identity";
import type { Config } from "../config.js";
import { ConfigError } from "../config-error.js";
import { createGraphClient } from "../graph/client.js";
import type { GraphObserver } from "../graph/client.js";
import { createCredential } from "../graph/credential.js";
import { GraphError } from "../graph/errors.js";
import { readHistory } from "../graph/history.js";
import { renderHistory } from "./openmetrics.js";

/** A backfill that ran but has nothing to write; the message says why, in one line. */
export class NothingToBackfillError extends Error {
  override readonly name = "NothingToBackfillError";
}

export interface BackfillOptions {
  /** `--label name=value`, in the order given. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** Entries at or after this Unix time are not written: they would overlap live samples. */
  readonly untilSeconds: number;
  /** Seams for tests; by default the configured credential and the global fetch. */
  readonly credential?: TokenCredential;
  readonly fetch?: typeof fetch;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Reads `--label` values (`name=value`); a bad or repeated one is a ConfigError naming it. */
export function parseLabels(texts: readonly string[]): Array<[string, string]> {
  const labels: Array<[string, string]> = [];
  for (const text of texts) {
    const split = text.indexOf("=");
    const name = split < 0 ? text : text.slice(0, split);
    if (split < 0 || !LABEL_NAME.test(name) || name.startsWith("__")) throw new ConfigError("--label", `"${text}" is not name=value with a Prometheus label name`);
    if (name === "partner_tenant_id") throw new ConfigError("--label", "partner_tenant_id is written by the backfill itself, from the credential's tenant");
    if (labels.some(([seen]) => seen === name)) throw new ConfigError("--label", `${name} is given twice`);
    // An empty value is no label at all in Prometheus: the series would not be the live one.
    if (split === text.length - 1) throw new ConfigError("--label", `"${text}" has an empty value`);
    labels.push([name, text.slice(split + 1)]);
  }
  return labels;
}

/** Reads `--until`: an RFC 3339 date-time. */
export function parseUntil(text: string | undefined, now: number): number {
  if (text === undefined) return now / 1000;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ConfigError("--until", `"${text}" is not a date-time (e.g. 2026-12-01T00:00:00Z)`);
  return ms / 1000;
}

/**
 * The score history as OpenMetrics: every `/history` entry before `untilSeconds`, with the given
 * labels and the partner's info series, ready for `promtool tsdb create-blocks-from openmetrics`.
 */
export async function backfillHistory(config: Config, options: BackfillOptions, warn: (message: string) => void): Promise<{ text: string; entries: number }> {
  // With a managed identity the partner tenant is known only from the token's tid claim, as for run.
  let tokenTenant: string | undefined;
  const observer: GraphObserver = { onAttempt: () => undefined, onRetry: () => undefined, onToken: ({ tenantId }) => void (tokenTenant ??= tenantId) };
  const graph = createGraphClient({
    baseUrl: config.graphBaseUrl,
    credential: options.credential ?? createCredential(config.credential),
    timeoutMs: config.requestTimeoutMs,
    observer,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const signal = AbortSignal.timeout(Math.max(config.refreshIntervalMs, 60_000));
  let all;
  try {
    all = await readHistory(graph, { signal, warn, maxPages: config.maxPages });
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) throw new NothingToBackfillError("history: Graph answered 404 (a known Graph issue on some CSP tenants); nothing written");
    throw error;
  }
  const entries = all.filter((entry) => entry.createdSeconds < options.untilSeconds);
  if (entries.length === 0) {
    const why = all.length === 0 ? "Graph returned no history entries" : `all ${all.length} history entries are at or after --until`;
    throw new NothingToBackfillError(`history: ${why}; nothing written`);
  }
  const partnerTenantId = "tenantId" in config.credential ? config.credential.tenantId : (tokenTenant ?? "");
  if (!partnerTenantId) warn("the partner tenant is not known (the managed identity's token has no tid claim): partner_security_exporter_partner_info is not written, and the dashboards, which join on it, do not show the backfilled history");
  return { text: renderHistory(entries, { labels: options.labels, partnerTenantId }), entries: entries.length };
}

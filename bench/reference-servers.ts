/**
 * The two servers the exporter is measured against, each run as its own process like the exporter:
 *   bare <plain file> <gzip file> [content type]
 *                                  the limit: answers with the exporter's own bytes from one prepared buffer
 *                                  (the text format's content type unless another is given);
 *   naive                          the naive way: the same Graph data in prom-client gauges, rendered with
 *                                  registry.metrics() (and gzipped) on every scrape.
 * Prints "listening on <url>" once it serves.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { Gauge, Registry } from "prom-client";
import { loadConfig } from "../src/config.js";
import { createGraphClient } from "../src/graph/client.js";
import { createCredential } from "../src/graph/credential.js";
import { fetchSnapshot } from "../src/graph/fetch-snapshot.js";
import { summarizeSnapshot } from "../src/metrics/summary.js";
import type { Sample } from "../src/metrics/contract.js";
import { GRAPH_METRICS } from "../src/metrics/graph-metrics.js";

const gzipAsync = promisify(gzipCallback);
const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

function wantsGzip(header: string | undefined): boolean {
  return /gzip/.test(header ?? "");
}

function bare(plainFile: string, gzipFile: string, contentType = TEXT_FORMAT): RequestListener {
  const plain = readFileSync(plainFile);
  const zipped = readFileSync(gzipFile);
  return (request, response) => {
    const gzip = wantsGzip(request.headers["accept-encoding"]);
    response.writeHead(200, { "content-type": contentType, ...(gzip ? { "content-encoding": "gzip" } : {}) });
    response.end(gzip ? zipped : plain);
  };
}

/** A sample's labels as prom-client takes them. */
function labelsOf(labelNames: readonly string[], sample: Sample): Record<string, string> {
  return Object.fromEntries(labelNames.map((name, index) => [name, sample.labelValues[index] ?? ""]));
}

async function naive(): Promise<RequestListener> {
  const config = loadConfig({}, process.env);
  const graph = createGraphClient({ baseUrl: config.graphBaseUrl, credential: createCredential(config.credential), timeoutMs: 60_000 });
  const snapshot = await fetchSnapshot(graph, { signal: new AbortController().signal, sources: config.sources, warn: () => undefined });
  const registry = new Registry();
  const summary = await summarizeSnapshot(snapshot, "all");
  for (const row of GRAPH_METRICS) {
    const gauge = new Gauge({ name: row.name, help: row.help, labelNames: [...row.labelNames], registers: [registry] });
    for (const sample of row.samples(snapshot, summary)) gauge.set(labelsOf(row.labelNames, sample), sample.value);
  }
  return (request, response) => {
    const gzip = wantsGzip(request.headers["accept-encoding"]);
    void registry.metrics().then(async (text) => {
      const body = gzip ? await gzipAsync(text, { level: 1 }) : Buffer.from(text);
      response.writeHead(200, { "content-type": registry.contentType, ...(gzip ? { "content-encoding": "gzip" } : {}) });
      response.end(body);
    });
  };
}

const [mode, plainFile, gzipFile, contentType] = process.argv.slice(2);
const listener = mode === "bare" && plainFile && gzipFile ? bare(plainFile, gzipFile, contentType) : mode === "naive" ? await naive() : undefined;
if (!listener) throw new Error("usage: reference-servers.ts bare <plain file> <gzip file> [content type] | naive");
const server = createServer(listener);
server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
});

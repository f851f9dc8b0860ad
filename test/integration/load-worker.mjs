// Load generator for load.test.ts, in a worker thread so that its own work (HTTP clients, parsing
// what comes back) never shows up in the event-loop delay measured on the exporter's thread.
import { createHash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? \S+$/;

function value(body, name) {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  return match ? Number(match[1]) : undefined;
}

function observe(status, body) {
  const lines = body.split("\n");
  const graph = lines.filter((line) => line.startsWith("partner_security_") && !line.startsWith("partner_security_exporter_"));
  return {
    status,
    generation: value(body, "partner_security_exporter_snapshot_generation"),
    graphDigest: createHash("sha256").update(graph.join("\n")).digest("hex"),
    customers: graph.filter((line) => line.startsWith("partner_security_customer_users{")).length,
    customerTenants: value(body, "partner_security_customer_tenants"),
    parseable: body.endsWith("\n") && lines.slice(0, -1).every((line) => line === "" || line.startsWith("# ") || SAMPLE.test(line)),
  };
}

const { url, workers, maxRequests, durationMs } = workerData;
const deadline = Date.now() + durationMs;
const observations = [];
let sent = 0;

async function worker(index) {
  while (Date.now() < deadline && sent < maxRequests) {
    sent++;
    try {
      const response = await fetch(url, { headers: { "accept-encoding": index % 2 === 0 ? "gzip" : "identity" } });
      observations.push(observe(response.status, await response.text()));
    } catch (error) {
      observations.push({ status: 0, error: String(error) });
    }
  }
}

await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)));
parentPort.postMessage(observations);

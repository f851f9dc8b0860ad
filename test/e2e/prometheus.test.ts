import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, hasTool, sampleValue, startTestExporter, startTestSimulator } from "../helpers.js";
import { JOB, startPrometheus } from "./prometheus-harness.js";
import type { RunningPrometheus } from "./prometheus-harness.js";

let simulator: Simulator | undefined;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;
let proxy: RecordingProxy | undefined;

afterEach(async () => {
  await prometheus?.stop();
  await proxy?.close();
  await exporter?.close();
  await simulator?.close();
  prometheus = exporter = simulator = proxy = undefined;
});

/** What one scrape asked for and what it got. */
interface Exchange {
  readonly accept: string | undefined;
  readonly acceptEncoding: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
}

interface RecordingProxy {
  /** host:port for Prometheus' target. */
  readonly host: string;
  readonly exchanges: Exchange[];
  close(): Promise<void>;
}

/** Passes requests to `target` byte for byte (gzip kept), and keeps the headers each scrape negotiated with. */
async function recordingProxy(target: URL): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = createServer((request, response) => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
      exchanges.push({ accept: request.headers.accept, acceptEncoding: request.headers["accept-encoding"], contentType: answer.headers["content-type"], contentEncoding: answer.headers["content-encoding"] });
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    exchanges,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("a real Prometheus scraping the exporter", () => {
  it.skipIf(!hasTool("prometheus"))("ingests the score, the requirements and every customer tenant", async () => {
    simulator = await startTestSimulator({ tenants: 40, pageSize: 15 });
    exporter = await startTestExporter(simulator);
    const exposition = await (await fetch(`${exporter.url}/metrics`)).text();
    proxy = await recordingProxy(new URL(exporter.url));
    const scrapes = proxy.exchanges;
    prometheus = await startPrometheus(proxy.host);
    const running = prometheus;

    const up = await eventually("a successful scrape", async () => {
      const result = await running.query(`up{job="${JOB}"}`);
      return result[0]?.value[1] === "1" ? result : undefined;
    }, 20_000);
    expect(up).toHaveLength(1);
    const score = await eventually("the score", async () => (await running.query("partner_security_score"))[0]);
    expect(Number(score.value[1])).toBe(sampleValue(exposition, "partner_security_score"));
    expect(await running.query("count(partner_security_customer_users)")).toMatchObject([{ value: [expect.any(Number), "40"] }]);
    expect(await running.query('count(partner_security_requirement_compliance_status{status="compliant"})')).toMatchObject([{ value: [expect.any(Number), "5"] }]);
    expect(await running.query('partner_security_exporter_refreshes_total{result="success"}')).toMatchObject([{ value: [expect.any(Number), "1"] }]);
    const targets = (await (await fetch(`${running.url}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ lastError: string }> } };
    expect(targets.data.activeTargets[0]?.lastError).toBe("");

    // Prometheus 2 and 3 word Accept differently (3 adds escaping=allow-utf-8 and weights every
    // type, and fails a scrape whose Content-Type it cannot read): both get gzipped OpenMetrics.
    expect(scrapes.length).toBeGreaterThan(0);
    for (const scrape of scrapes) {
      expect(scrape.accept, "Prometheus asks for OpenMetrics").toMatch(/^application\/openmetrics-text;\s*version=1\.0\.0/);
      expect(scrape.contentType, scrape.accept).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
      expect(scrape.acceptEncoding).toContain("gzip");
      expect(scrape.contentEncoding).toBe("gzip");
    }
    // The HELP Prometheus keeps is the exporter's, the same whatever its settings (no refresh interval in it).
    const metadata = (await (await fetch(`${running.url}/api/v1/metadata?metric=partner_security_score`)).json()) as { data: Record<string, Array<{ type: string; help: string }>> };
    const help = /^# HELP partner_security_score (.*)$/m.exec(exposition)?.[1];
    expect(metadata.data.partner_security_score).toEqual([{ type: "gauge", help, unit: "" }]);
  });
});

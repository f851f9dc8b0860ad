import { afterEach, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/main.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, hasTool, sampleValue, startTestExporter, startTestSimulator } from "../helpers.js";
import { JOB, startPrometheus } from "./prometheus-harness.js";
import type { RunningPrometheus } from "./prometheus-harness.js";

let simulator: Simulator | undefined;
let exporter: RunningExporter | undefined;
let prometheus: RunningPrometheus | undefined;

afterEach(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await simulator?.close();
  prometheus = exporter = simulator = undefined;
});

describe("a real Prometheus scraping the exporter", () => {
  it.skipIf(!hasTool("prometheus"))("ingests the score, the requirements and every customer tenant", async () => {
    simulator = await startTestSimulator({ tenants: 40, pageSize: 15 });
    exporter = await startTestExporter(simulator);
    const exposition = await (await fetch(`${exporter.url}/metrics`)).text();
    prometheus = await startPrometheus(new URL(exporter.url).host);
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
  });
});

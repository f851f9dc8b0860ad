import { NO_OPTIONAL_SOURCES } from "../../src/graph/optional-sources.js";
import { constants, inflateRawSync } from "node:zlib";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createGraphClient } from "../../src/graph/client.js";
import { createCredential } from "../../src/graph/credential.js";
import { GraphError } from "../../src/graph/errors.js";
import { failureReason } from "../../src/graph/failure-reason.js";
import { expositionBody } from "../../src/metrics/exposition.js";
import type { RenderedSnapshot } from "../../src/metrics/render.js";
import { createRefresh } from "../../src/refresh/refresh.js";
import type { RefreshSettings } from "../../src/refresh/refresh.js";
import { createRefreshWorker } from "../../src/refresh/refresh-worker.js";
import type { RefreshWorker, RefreshWorkerOptions } from "../../src/refresh/refresh-worker.js";
import type { WorkerSettings } from "../../src/refresh/worker-protocol.js";
import { exporterEnvFor } from "../../src/simulator/exporter-env.js";
import type { Simulator } from "../../src/simulator/simulator.js";
import { startTestSimulator } from "../helpers.js";

const SETTINGS: RefreshSettings = { maxPages: 0, customerSeries: "all", sources: NO_OPTIONAL_SOURCES, maxStalenessMs: 0 };
const RETRY = { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 };

let simulator: Simulator;
let worker: RefreshWorker | undefined;

beforeAll(async () => {
  simulator = await startTestSimulator({ tenants: 30, pageSize: 10 });
});
afterAll(() => simulator.close());
afterEach(async () => {
  simulator.reset();
  await worker?.close();
  worker = undefined;
});

function workerSettings(): WorkerSettings {
  const config = loadConfig(
    { listenAddress: "127.0.0.1:0", requestTimeout: "2s" },
    exporterEnvFor(simulator, { tenantId: "partner", clientId: "client", clientSecret: "secret" }),
  );
  return { graph: { baseUrl: config.graphBaseUrl, timeoutMs: config.requestTimeoutMs, credential: config.credential, retry: RETRY }, refresh: SETTINGS };
}

function start(events: string[] = [], extra: Partial<RefreshWorkerOptions> = {}): RefreshWorker {
  worker = createRefreshWorker({
    settings: workerSettings(),
    observer: {
      onAttempt: ({ endpoint, code }) => events.push(`attempt ${endpoint} ${code}`),
      onRetry: ({ endpoint, error }) => events.push(`retry ${endpoint} ${error.status}`),
      onToken: () => events.push("token"),
    },
    ...extra,
  });
  return worker;
}

/** The bytes a scrape sends, without the generation number, which differs between two refreshers. */
function exposition(rendered: RenderedSnapshot): string {
  const body = rendered.bodies.openmetrics;
  return expositionBody({ chunks: body.chunks, length: body.length, contentType: "", gzip: false })
    .toString("utf8")
    .replace(/^partner_security_exporter_snapshot_generation \d+$/m, "");
}

describe("the refresh thread", () => {
  it("renders the same exposition as a refresh on this thread, and reports its requests here", async () => {
    const events: string[] = [];
    const result = await start(events).refresh(new AbortController().signal);
    const settings = workerSettings();
    const here = await createRefresh(createGraphClient({ baseUrl: settings.graph.baseUrl, credential: createCredential(settings.graph.credential), timeoutMs: 2000 }), SETTINGS)(
      new AbortController().signal,
    );
    expect(exposition(result.rendered)).toBe(exposition(here.rendered));
    expect(result.customers).toBe(30);
    expect(result.rendered.series).toBe(here.rendered.series);
    // The gzip part decompresses to the same bytes: the deflate data crossed the thread whole.

    const body = result.rendered.bodies.openmetrics;
    expect(inflateRawSync(body.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).equals(Buffer.concat(body.chunks))).toBe(true);
    expect(events).toContain("token");
    expect(events).toContain("attempt securityScore 200");
    expect(events.filter((event) => event === "attempt customerInsights 200")).toHaveLength(3);
  });

  it("fails with the Graph error's class, so the failure reason is the same as on this thread", async () => {
    const events: string[] = [];
    simulator.injectFault({ endpoint: "securityScore", status: 403 });
    const failure = await start(events).refresh(new AbortController().signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failureReason(failure)).toBe("forbidden");
    expect((failure as GraphError).message).toMatch(/securityScore/);

    simulator.clearFaults();
    simulator.injectFault({ endpoint: "history", status: 503, times: 1 });
    await expect(worker?.refresh(new AbortController().signal)).resolves.toMatchObject({ customers: 30 });
    expect(events).toContain("retry history 503");
  });

  it("gives up at once with the abort's own reason, and refreshes again afterwards", async () => {
    simulator.injectFault({ endpoint: "customerInsights", hang: true, times: 1 });
    const refresher = start();
    const controller = new AbortController();
    const running = refresher.refresh(controller.signal);
    const deadline = new DOMException("refresh deadline of 1s reached", "TimeoutError");
    setTimeout(() => controller.abort(deadline), 200);
    await expect(running).rejects.toBe(deadline);
    expect(failureReason(deadline)).toBe("timeout");
    await expect(refresher.refresh(new AbortController().signal)).resolves.toMatchObject({ customers: 30 });
  });

  it("survives its thread running out of heap: the refresh fails as out_of_memory and the next one starts a new thread", async () => {
    simulator.setTenants(200_000);
    const refresher = start([], { resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
    const failure = await refresher.refresh(new AbortController().signal).catch((error: unknown) => error);
    expect(failureReason(failure)).toBe("out_of_memory");
    expect((failure as Error).message).toMatch(/ran out of heap .*memory limit/);
    simulator.setTenants(30);
    await expect(refresher.refresh(new AbortController().signal)).resolves.toMatchObject({ customers: 30 });
  }, 60_000);
});

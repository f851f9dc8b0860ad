import { parentPort, workerData } from "node:worker_threads";
import { createRefreshHere } from "./refresh-here.js";
import type { HostMessage, WireResult, WorkerMessage, WorkerSettings } from "./worker-protocol.js";
import { ownArrayBuffer, toWireError } from "./worker-protocol.js";

function main(port: NonNullable<typeof parentPort>, settings: WorkerSettings): void {
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  const refresh = createRefreshHere({
    graph: settings.graph,
    refresh: settings.refresh,
    observer: {
      onAttempt: (event) => post({ type: "attempt", ...event }),
      onRetry: ({ endpoint, delayMs, error }) => post({ type: "retry", endpoint, delayMs, error: toWireError(error) }),
      onToken: ({ tenantId }) => post({ type: "token", tenantId }),
    },
    injected: {},
  });
  const controllers = new Map<number, AbortController>();
  // One refresh at a time, as the poller asks: an abandoned one finishes winding down first.
  let queue = Promise.resolve();

  async function run(id: number): Promise<void> {
    const controller = controllers.get(id);
    if (!controller || controller.signal.aborted) {
      controllers.delete(id);
      return;
    }
    try {
      const result = await refresh(controller.signal);
      const body = result.rendered.bodies.text;
      const wire: WireResult = {
        chunks: body.chunks.map(ownArrayBuffer),
        length: body.length,
        deflated: ownArrayBuffer(body.deflated),
        crc: body.crc,
        renderedAt: result.rendered.renderedAt,
        series: result.rendered.series,
        available: result.available,
        unavailable: result.unavailable,
        warnings: result.warnings,
        customers: result.customers,
      };
      post({ type: "done", id, result: wire }, [...wire.chunks, wire.deflated]);
    } catch (error) {
      post({ type: "failed", id, error: toWireError(error) });
    } finally {
      controllers.delete(id);
    }
  }

  port.on("message", (message: HostMessage) => {
    if (message.type === "refresh") {
      controllers.set(message.id, new AbortController());
      queue = queue.then(() => run(message.id));
      return;
    }
    const reason = new Error(message.message);
    reason.name = message.name;
    controllers.get(message.id)?.abort(reason);
  });
}

if (parentPort) main(parentPort, workerData as WorkerSettings);

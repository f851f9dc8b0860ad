import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ResourceLimits } from "node:worker_threads";
import type { GraphObserver } from "../graph/client.js";
import { GraphError } from "../graph/errors.js";
import type { RenderedBody } from "../metrics/render.js";
import type { RefreshResult } from "./refresh.js";
import type { WireResult, WorkerMessage, WorkerSettings, HostMessage } from "./worker-protocol.js";
import { fromWireError } from "./worker-protocol.js";

/** The refresh in its own thread: fetch, validate, render and compress never run on the serving thread. */
export interface RefreshWorker {
  refresh(signal: AbortSignal): Promise<RefreshResult>;
  /** Ends the thread; a refresh still running is abandoned. */
  close(): Promise<void>;
}

export interface RefreshWorkerOptions {
  readonly settings: WorkerSettings;
  /** The Graph client's hooks, called on this thread as the worker reports its requests. */
  readonly observer: GraphObserver;
  /** Heap limits of the thread; by default V8's, which `--max-old-space-size` sets for every thread. */
  readonly resourceLimits?: ResourceLimits;
}

/**
 * The error a refresh fails with when its thread ran out of heap; the process and its last data
 * live on, and the next refresh starts a new thread.
 */
export class RefreshOutOfMemoryError extends Error {
  override readonly name = "RefreshOutOfMemoryError";
}

/**
 * The built worker beside this file; when the source runs under tsx or vitest, the TypeScript file
 * loaded through tsx (a development dependency).
 */
function startThread(settings: WorkerSettings, resourceLimits: ResourceLimits | undefined): Worker {
  const options = { workerData: settings, ...(resourceLimits ? { resourceLimits } : {}) };
  const built = new URL("./worker-main.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL("./worker-main.ts", import.meta.url).href;
  const loader = `import { tsImport } from "tsx/esm/api"; await tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)});`;
  return new Worker(loader, { ...options, eval: true });
}

function revive(wire: WireResult): RefreshResult {
  const body: RenderedBody = Object.freeze({
    chunks: Object.freeze(wire.chunks.map((chunk) => Buffer.from(chunk))),
    length: wire.length,
    deflated: Buffer.from(wire.deflated),
    crc: wire.crc,
  });
  return {
    rendered: Object.freeze({ bodies: Object.freeze({ text: body, openmetrics: body }), renderedAt: wire.renderedAt, series: wire.series }),
    available: wire.available,
    unavailable: wire.unavailable,
    warnings: wire.warnings,
    customers: wire.customers,
  };
}

type Pending = Map<number, { resolve(result: RefreshResult): void; reject(error: Error): void }>;

/** Hands the worker's reports on: its Graph requests to the observer, a result or an error to the refresh waiting for it. */
function handleWorkerMessage(message: WorkerMessage, observer: GraphObserver, pending: Pending): void {
  switch (message.type) {
    case "attempt":
      observer.onAttempt({ endpoint: message.endpoint, code: message.code, seconds: message.seconds });
      return;
    case "retry": {
      const error = fromWireError(message.error);
      if (error instanceof GraphError) observer.onRetry({ endpoint: message.endpoint, delayMs: message.delayMs, error });
      return;
    }
    case "token":
      observer.onToken?.({ tenantId: message.tenantId });
      return;
    case "done":
      pending.get(message.id)?.resolve(revive(message.result));
      pending.delete(message.id);
      return;
    case "failed":
      pending.get(message.id)?.reject(fromWireError(message.error));
      pending.delete(message.id);
      return;
  }
}

/** Asks the thread for refresh `id` and waits for it; an abort tells the thread and rejects at once with the abort's reason. */
function askForRefresh(thread: Worker, id: number, signal: AbortSignal, pending: Pending): Promise<RefreshResult> {
  return new Promise<RefreshResult>((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      const described = reason instanceof Error ? reason : new Error(String(reason));
      thread.postMessage({ type: "abort", id, name: described.name, message: described.message } satisfies HostMessage);
      pending.delete(id);
      // The poller tells its own stop from a deadline by the reason's identity: hand it back as it is.
      reject(described);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    pending.set(id, {
      resolve: (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      reject: (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    });
    thread.postMessage({ type: "refresh", id } satisfies HostMessage);
  });
}

/**
 * Starts the thread at once, so the first refresh does not wait for it to load its modules, and
 * again for the next refresh after it died (out of heap, or a thread that failed to load: each
 * refresh then fails with the reason in its log line).
 */
export function createRefreshWorker(options: RefreshWorkerOptions): RefreshWorker {
  const pending: Pending = new Map();
  let nextId = 0;
  let closing = false;

  function failPending(error: Error): void {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  }

  const onMessage = (message: WorkerMessage): void => handleWorkerMessage(message, options.observer, pending);

  function start(): Worker {
    const thread = startThread(options.settings, options.resourceLimits);
    thread.on("message", onMessage);
    thread.on("error", (error: Error & { code?: string }) => {
      failPending(
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new RefreshOutOfMemoryError("the refresh ran out of heap (raise the memory limit; README: Sizing)", { cause: error })
          : new Error(`the refresh thread failed: ${error.message}`, { cause: error }),
      );
    });
    thread.on("exit", (code) => {
      if (worker === thread) worker = undefined;
      if (!closing) failPending(new Error(`the refresh thread exited (code ${code})`));
    });
    return thread;
  }

  let worker: Worker | undefined = start();

  return {
    refresh(signal) {
      return askForRefresh((worker ??= start()), ++nextId, signal, pending);
    },
    async close() {
      closing = true;
      const thread = worker;
      worker = undefined;
      if (thread) await thread.terminate();
    },
  };
}

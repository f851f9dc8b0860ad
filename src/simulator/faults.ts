import type { ServerResponse } from "node:http";
import type { SimulatedEndpoint } from "./endpoints.js";
import { graphError } from "./graph-error.js";
import { sendJson } from "./http.js";

/** A fault the next matching requests get instead of the normal answer. */
export interface Fault {
  readonly endpoint: SimulatedEndpoint;
  /** Answer with this HTTP status and a Graph error body. */
  readonly status?: number;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number;
  /** Delay before answering (also before a normal answer when no status is set). */
  readonly latencyMs?: number;
  /** Never answer; the connection stays open until the client gives up. */
  readonly hang?: boolean;
  /** Answer 200 with a truncated JSON body. */
  readonly malformed?: boolean;
  /** Destroy the connection without answering (a reset). */
  readonly reset?: boolean;
  /** Promise a longer body than is sent, then close the connection. */
  readonly truncated?: boolean;
  /** Answer the page with an @odata.nextLink that points back at the same page. */
  readonly nextLinkLoop?: boolean;
  /** Answer 200 with this body and content type instead. */
  readonly body?: string;
  readonly contentType?: string;
  /** How many requests it applies to; unlimited when absent. */
  readonly times?: number;
  /** Only pages at or after this index (0 is the first page). */
  readonly fromPage?: number;
}

/** The injected faults, each with how many more requests it applies to. */
export interface FaultQueue {
  inject(fault: Fault): void;
  clear(): void;
  /** The first fault that matches a request, counted as used. */
  take(endpoint: SimulatedEndpoint, page: number): Fault | undefined;
}

export function createFaultQueue(): FaultQueue {
  let faults: Array<{ fault: Fault; left: number }> = [];
  return {
    inject(fault) {
      faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      faults = [];
    },
    take(endpoint, page) {
      const entry = faults.find((candidate) => candidate.fault.endpoint === endpoint && candidate.left > 0 && page >= (candidate.fault.fromPage ?? 0));
      if (!entry) return undefined;
      entry.left--;
      return entry.fault;
    },
  };
}

/** Waits out a fault's latency, if it has one. */
export async function waitForLatency(fault: Fault): Promise<void> {
  if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
}

/**
 * Applies a fault; returns the status it answered with (0 when it never answers), or undefined when
 * the normal answer is still to be sent.
 */
export async function applyFault(fault: Fault | undefined, response: ServerResponse, requestId: string | undefined): Promise<number | undefined> {
  if (!fault) return undefined;
  await waitForLatency(fault);
  if (fault.hang) return 0;
  if (fault.reset) {
    response.socket?.destroy();
    return 0;
  }
  if (fault.truncated) {
    response.writeHead(200, { "content-type": "application/json", "content-length": "100000" });
    response.write('{"value":[');
    setImmediate(() => response.socket?.destroy());
    return 200;
  }
  if (fault.status) {
    sendJson(response, fault.status, graphError(fault.status, requestId, fault.endpoint), fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) });
    return fault.status;
  }
  if (fault.malformed) {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"value":[{"tenantId":"trunc');
    return 200;
  }
  if (fault.body !== undefined) {
    response.writeHead(200, { "content-type": fault.contentType ?? "application/json" });
    response.end(fault.body);
    return 200;
  }
  return undefined;
}

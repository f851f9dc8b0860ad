import type { SimulatedEndpoint } from "./endpoints.js";

export interface RecordedRequest {
  readonly at: number;
  readonly endpoint: SimulatedEndpoint;
  readonly path: string;
  readonly status: number;
  readonly token: string | undefined;
  readonly clientRequestId: string | undefined;
}

/** The requests the simulator answered, each stamped when its answer was sent. */
export interface RequestLog {
  record(request: Omit<RecordedRequest, "at">): void;
  entries(): readonly RecordedRequest[];
  clear(): void;
}

export function createRequestLog(now: () => number): RequestLog {
  const log: RecordedRequest[] = [];
  return {
    record(request) {
      log.push({ at: now(), ...request });
    },
    entries: () => [...log],
    clear() {
      log.length = 0;
    },
  };
}

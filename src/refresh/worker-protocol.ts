import type { CredentialConfig } from "../config.js";
import type { RetryPolicy } from "../graph/client.js";
import { GraphError, SchemaError } from "../graph/errors.js";
import type { Endpoint } from "../graph/snapshot.js";
import type { RefreshResult, RefreshSettings } from "./refresh.js";

/** What the refresh worker is started with: plain data (the credential is built inside the worker). */
export interface WorkerSettings {
  readonly graph: { readonly baseUrl: string; readonly timeoutMs: number; readonly credential: CredentialConfig; readonly retry?: RetryPolicy };
  readonly refresh: RefreshSettings;
}

export type HostMessage = { readonly type: "refresh"; readonly id: number } | { readonly type: "abort"; readonly id: number; readonly name: string; readonly message: string };

/** An error as it crosses the thread boundary: the fields the failure reason and the log read. */
export type WireError =
  | {
      readonly kind: "graph";
      readonly message: string;
      readonly endpoint: Endpoint;
      readonly status: number;
      readonly code: string | undefined;
      readonly retryAfterMs: number | undefined;
    }
  | { readonly kind: "schema"; readonly message: string; readonly endpoint: Endpoint }
  | { readonly kind: "other"; readonly name: string; readonly message: string };

/** A rendered body whose plain chunks and deflate data are transferred, not copied. */
export interface WireResult {
  readonly chunks: readonly ArrayBuffer[];
  readonly length: number;
  readonly deflated: ArrayBuffer;
  readonly crc: number;
  readonly renderedAt: number;
  readonly series: number;
  readonly available: Readonly<Partial<Record<Endpoint, boolean>>>;
  readonly unavailable: RefreshResult["unavailable"];
  readonly warnings: readonly string[];
  readonly customers: number;
}

export type WorkerMessage =
  | { readonly type: "attempt"; readonly endpoint: Endpoint; readonly code: string; readonly seconds: number }
  | { readonly type: "retry"; readonly endpoint: Endpoint; readonly delayMs: number; readonly error: WireError }
  | { readonly type: "token"; readonly tenantId: string | undefined }
  | { readonly type: "done"; readonly id: number; readonly result: WireResult }
  | { readonly type: "failed"; readonly id: number; readonly error: WireError };

export function toWireError(error: unknown): WireError {
  if (error instanceof GraphError) {
    return { kind: "graph", message: error.message, endpoint: error.endpoint, status: error.status, code: error.code, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof SchemaError) return { kind: "schema", message: error.message, endpoint: error.endpoint };
  if (error instanceof Error) return { kind: "other", name: error.name, message: error.message };
  return { kind: "other", name: "Error", message: String(error) };
}

/** The error again, of the class the failure reason is decided by. */
export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case "graph":
      return new GraphError(wire.message, wire.endpoint, wire.status, wire.code, wire.retryAfterMs);
    case "schema":
      return new SchemaError(wire.message, wire.endpoint);
    case "other": {
      const error = wire.name === "SyntaxError" ? new SyntaxError(wire.message) : new Error(wire.message);
      error.name = wire.name;
      return error;
    }
  }
}

/** The ArrayBuffer of a buffer that owns all of it, or a copy: a pooled slice must not be transferred. */
export function ownArrayBuffer(buffer: Buffer): ArrayBuffer {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length && buffer.buffer instanceof ArrayBuffer) return buffer.buffer;
  const copy = new ArrayBuffer(buffer.length);
  new Uint8Array(copy).set(buffer);
  return copy;
}

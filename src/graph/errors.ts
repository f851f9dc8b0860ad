import type { z } from "zod";
import type { Endpoint } from "./snapshot.js";

/** A Graph request that failed: an HTTP status, a timeout or a network error (status 0). */
export class GraphError extends Error {
  override readonly name = "GraphError";
  constructor(
    message: string,
    readonly endpoint: Endpoint,
    readonly status: number,
    readonly code: string | undefined,
    readonly retryAfterMs: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A 401 remembers the token Graph refused, so the retry never sends it again. */
export class UnauthorizedError extends GraphError {
  constructor(
    message: string,
    endpoint: Endpoint,
    code: string | undefined,
    readonly token: string,
  ) {
    super(message, endpoint, 401, code, undefined);
  }
}

/** A Graph response whose shape cannot be read at all (the page, not one field). */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
  constructor(
    message: string,
    readonly endpoint: Endpoint,
    readonly issues: readonly z.core.$ZodIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Valid JSON whose envelope is wrong (a collection page without a `value` array, a singleton that
 * is not an object): that endpoint's series are left out and the rest of the refresh goes on.
 */
export class EnvelopeError extends SchemaError {}

/** The first line of an error's message, at most 300 characters, for the message of the error that wraps it. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split("\n")[0]?.slice(0, 300) ?? "";
}

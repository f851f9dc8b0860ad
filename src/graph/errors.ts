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

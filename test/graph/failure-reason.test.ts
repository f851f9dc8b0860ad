import { describe, expect, it } from "vitest";
import { EnvelopeError, GraphError, SchemaError } from "../../src/graph/errors.js";
import { failureReason } from "../../src/graph/failure-reason.js";
import type { RefreshFailureReason } from "../../src/graph/snapshot.js";
import { RefreshOutOfMemoryError } from "../../src/refresh/refresh-worker.js";

function http(status: number, code?: string): GraphError {
  return new GraphError(`history: HTTP ${status}`, "history", status, code, undefined);
}

function noAnswer(code: string): GraphError {
  return new GraphError(`history: ${code}`, "history", 0, code, undefined);
}

const CASES: Array<[string, unknown, RefreshFailureReason]> = [
  ["a token that could not be acquired", noAnswer("token"), "token"],
  ["an HTTP 400 whose Graph error code happens to be token", http(400, "token"), "invalid_response"],
  ["an HTTP 503 whose Graph error code happens to be token", http(503, "token"), "server_error"],
  ["401 (again with a fresh token)", http(401, "InvalidAuthenticationToken"), "unauthorized"],
  ["403", http(403, "Forbidden"), "forbidden"],
  ["404", http(404, "ResourceNotFound"), "not_found"],
  ["429 after the retries", http(429, "TooManyRequests"), "throttled"],
  ["500", http(500), "server_error"],
  ["503", http(503, "ServiceUnavailable"), "server_error"],
  ["504", http(504), "server_error"],
  ["no response within the request timeout", noAnswer("timeout"), "timeout"],
  ["a request aborted by the refresh deadline", noAnswer("deadline"), "timeout"],
  ["408", http(408), "timeout"],
  ["a connection reset", noAnswer("network"), "network"],
  ["a body that is not JSON", new SchemaError("history: response is not valid JSON", "history"), "invalid_response"],
  ["a page without value", new EnvelopeError("history: not a collection page", "history"), "invalid_response"],
  ["a JSON parse error that escaped", new SyntaxError("Unexpected end of JSON input"), "invalid_response"],
  ["the refresh deadline (the poller's abort reason)", new DOMException("refresh deadline of 450s reached", "TimeoutError"), "timeout"],
  ["400", http(400, "BadRequest"), "invalid_response"],
  ["the refresh thread running out of heap", new RefreshOutOfMemoryError("the refresh ran out of heap"), "out_of_memory"],
  ["the same, as it arrives from the refresh thread (an Error named so)", Object.assign(new Error("the refresh ran out of heap"), { name: "RefreshOutOfMemoryError" }), "out_of_memory"],
  ["an unexpected error", new TypeError("cannot read properties of undefined"), "invalid_response"],
  ["something that is not an Error", "boom", "invalid_response"],
];

describe("failureReason", () => {
  it.each(CASES)("%s → reason", (_what, error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });

  it("reads a token failure as token even though its message names an endpoint", () => {
    const error = new GraphError("history: could not acquire a Graph token: AADSTS7000215", "history", 0, "token", undefined);
    expect(failureReason(error)).toBe("token");
  });
});

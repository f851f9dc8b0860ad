import { GraphError, SchemaError, UnauthorizedError, firstLine } from "./errors.js";
import { permissionFor } from "./optional-sources.js";
import type { Endpoint } from "./snapshot.js";

/** The JSON of a successful answer; any other status becomes the GraphError the retry policy branches on. */
export function parseResponse(endpoint: Endpoint, response: Response, body: string, token: string): unknown {
  if (!response.ok) throw errorFromResponse(endpoint, response, body, token);
  return parseJson(endpoint, response, body);
}

function errorFromResponse(endpoint: Endpoint, response: Response, body: string, token: string): GraphError {
  let code: string | undefined;
  let message = response.statusText || "error";
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "error" in parsed && parsed.error && typeof parsed.error === "object") {
      const inner = parsed.error;
      if ("code" in inner && typeof inner.code === "string") code = inner.code;
      if ("message" in inner && typeof inner.message === "string") message = inner.message;
    }
  } catch {
    // An error page that is not JSON still has a status, which is what the policy branches on.
  }
  if (response.status === 401) return new UnauthorizedError(`${endpoint}: HTTP 401${code ? ` ${code}` : ""}: ${firstLine(message)}`, endpoint, code, token);
  const hint = response.status === 403 ? ` (is the ${permissionFor(endpoint)} application permission granted with admin consent?)` : "";
  return new GraphError(
    `${endpoint}: HTTP ${response.status}${code ? ` ${code}` : ""}: ${firstLine(message)}${hint}`,
    endpoint,
    response.status,
    code,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

function parseJson(endpoint: Endpoint, response: Response, body: string): unknown {
  const contentType = response.headers.get("content-type") ?? "";
  if (!/json/i.test(contentType)) throw new SchemaError(`${endpoint}: expected JSON but got content-type "${contentType}"`, endpoint);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new SchemaError(`${endpoint}: response is not valid JSON (${body.length} bytes): ${firstLine(error)}`, endpoint, [], { cause: error });
  }
}

/**
 * `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3), always GMT: the asctime form names no
 * zone, and Date.parse would read it in the process's. Anything else (`1.5`, which Date.parse reads
 * as a day in 2001) is no Retry-After, and the policy's own backoff applies.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text.toUpperCase().endsWith("GMT") ? text : `${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

import { Client, ResponseType, TelemetryHandler } from "@microsoft/microsoft-graph-client";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

/** Sends one GET through the Graph SDK and resolves to the raw HTTP response, whatever its status. */
export type SendRequest = (pathOrLink: string, token: string, signal: AbortSignal) => Promise<Response>;

/**
 * The SDK's middleware chain cut down to telemetry (`client-request-id`) and an injectable fetch.
 * Token, timeout, retry and parsing stay outside the chain: the SDK turns anything thrown inside it
 * into its own GraphError, which would lose the exporter's error classes.
 */
export function createSdkTransport(baseUrl: string, fetchImpl: typeof fetch): SendRequest {
  const client = Client.initWithMiddleware({
    middleware: [new TelemetryHandler(), fetchMiddleware(fetchImpl)],
    baseUrl,
    // The telemetry handler adds `client-request-id` only for Graph hosts and these.
    customHosts: new Set([new URL(baseUrl).hostname]),
  });

  return async function send(pathOrLink: string, token: string, signal: AbortSignal): Promise<Response> {
    const response: unknown = await client
      .api(pathOrLink)
      .header("Authorization", `Bearer ${token}`)
      .option("signal", signal)
      .responseType(ResponseType.RAW)
      .get();
    if (!(response instanceof Response)) throw new Error("the Graph client returned no HTTP response");
    return response;
  };
}

function fetchMiddleware(fetchImpl: typeof fetch): Middleware {
  return {
    async execute(context: Context): Promise<void> {
      // The SDK types the request as the DOM's RequestInfo; at run time it is a URL string or a Request.
      const target: unknown = context.request;
      if (typeof target !== "string" && !(target instanceof Request)) throw new TypeError("unexpected request type from the Graph client");
      context.response = await fetchImpl(target, context.options);
    },
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { handleControl } from "./control.js";
import { OPENID_CONFIGURATION_PATH, TOKEN_PATH, openIdConfiguration } from "./entra.js";
import type { TokenIssuer } from "./entra.js";
import { serveGraph } from "./graph-api.js";
import type { GraphContext } from "./graph-api.js";
import { sendJson } from "./http.js";
import type { Simulator } from "./simulator.js";

export interface RouterContext extends GraphContext {
  readonly tokens: TokenIssuer;
  /** What the control API operates on. */
  readonly simulator: Simulator;
}

/** The server's request listener: the control API, then Entra ID, then Graph; an unexpected error becomes a 500. */
export function createRequestListener(context: RouterContext): (request: IncomingMessage, response: ServerResponse) => void {
  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", context.base);
    if (url.pathname.startsWith("/_control/")) return handleControl(request, response, url, context.simulator);
    const discoveryTenant = OPENID_CONFIGURATION_PATH.exec(url.pathname)?.[1];
    // Entra ID names itself by the host it was asked at (the simulator may be reached through a proxy).
    const authority = request.headers.host ? `https://${request.headers.host}/` : context.base;
    if (discoveryTenant !== undefined) return sendJson(response, 200, openIdConfiguration(`${authority}${discoveryTenant}`));
    const tokenTenant = TOKEN_PATH.exec(url.pathname)?.[1];
    if (tokenTenant !== undefined && request.method === "POST") {
      const status = await context.tokens.answer(request, response, tokenTenant);
      context.log.record({ endpoint: "token", path: url.pathname, status, token: undefined, clientRequestId: undefined });
      return;
    }
    return serveGraph(request, response, url, context);
  }

  return function onRequest(request, response) {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: "SimulatorError", message: String(error) } });
    });
  };
}

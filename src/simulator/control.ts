import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { SIMULATED_ENDPOINTS } from "./endpoints.js";
import { readBody, sendJson } from "./http.js";
import type { Simulator } from "./simulator.js";

const faultSchema = z.strictObject({
  endpoint: z.enum(SIMULATED_ENDPOINTS),
  status: z.number().int().min(100).max(599).optional(),
  retryAfter: z.number().min(0).optional(),
  latencyMs: z.number().min(0).optional(),
  hang: z.boolean().optional(),
  malformed: z.boolean().optional(),
  reset: z.boolean().optional(),
  truncated: z.boolean().optional(),
  nextLinkLoop: z.boolean().optional(),
  body: z.string().optional(),
  contentType: z.string().optional(),
  times: z.number().int().min(1).optional(),
  fromPage: z.number().int().min(0).optional(),
});
const overrideSchema = z.strictObject({ complianceStatus: z.string().optional(), score: z.number().optional() });
const tenantsSchema = z.strictObject({ count: z.number().int().min(0) });

/** The control API: the same operations as the Simulator object, over HTTP for other processes. */
export async function handleControl(request: IncomingMessage, response: ServerResponse, url: URL, api: Simulator): Promise<void> {
  const body = request.method === "POST" ? await readBody(request) : "";
  let input: unknown;
  try {
    input = body ? JSON.parse(body) : {};
  } catch {
    return sendJson(response, 400, { error: "body is not JSON" });
  }
  const route = `${request.method ?? "GET"} ${url.pathname}`;
  if (route === "GET /_control/requests") return sendJson(response, 200, api.requests());
  if (route === "POST /_control/faults") {
    const fault = faultSchema.safeParse(input);
    if (!fault.success) return sendJson(response, 400, { error: z.prettifyError(fault.error) });
    api.injectFault(fault.data);
  } else if (route === "POST /_control/tenants") {
    const tenantsInput = tenantsSchema.safeParse(input);
    if (!tenantsInput.success) return sendJson(response, 400, { error: z.prettifyError(tenantsInput.error) });
    api.setTenants(tenantsInput.data.count);
  } else if (route.startsWith("POST /_control/requirements/")) {
    const override = overrideSchema.safeParse(input);
    if (!override.success) return sendJson(response, 400, { error: z.prettifyError(override.error) });
    api.setRequirement(decodeURIComponent(url.pathname.split("/").pop() ?? ""), override.data);
  } else if (route === "DELETE /_control/faults") api.clearFaults();
  else if (route === "POST /_control/reset") api.reset();
  else if (route === "POST /_control/tokens/revoke") api.revokeTokens();
  else return sendJson(response, 404, { error: `unknown control route ${route}` });
  sendJson(response, 200, { ok: true });
}

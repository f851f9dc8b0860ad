import type { SimulatedEndpoint } from "./endpoints.js";

const ERROR_CODES: Readonly<Record<number, string>> = { 400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "ResourceNotFound", 429: "TooManyRequests" };

/** What Graph says when the app lacks the permission an endpoint needs; the score endpoints are the default. */
const FORBIDDEN: Partial<Record<SimulatedEndpoint, { readonly code: string; readonly message: string }>> = {
  delegatedAdminCustomers: { code: "Forbidden", message: "Missing role permissions on the request. API requires one of 'DelegatedAdminRelationship.Read.All'." },
  delegatedAdminRelationships: { code: "Forbidden", message: "Missing role permissions on the request. API requires one of 'DelegatedAdminRelationship.Read.All'." },
  // A directory endpoint: Entra's error code and wording, not the partner APIs'.
  contracts: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." },
};
const SCORE_FORBIDDEN = { code: "Forbidden", message: "Missing role permissions on the request. API requires one of 'PartnerSecurity.Read.All'." };

/** A Graph error body for a status, as Graph sends it (a 403 in the words of the endpoint asked, when known). */
export function graphError(status: number, requestId: string | undefined, endpoint?: SimulatedEndpoint): unknown {
  const forbidden = (endpoint && FORBIDDEN[endpoint]) ?? SCORE_FORBIDDEN;
  return {
    error: {
      code: status === 403 ? forbidden.code : (ERROR_CODES[status] ?? (status >= 500 ? "ServiceUnavailable" : "Error")),
      message: status === 403 ? forbidden.message : `Simulated HTTP ${status}.`,
      innerError: { date: new Date().toISOString(), "request-id": requestId ?? "none", "client-request-id": requestId ?? "none" },
    },
  };
}

const ERROR_CODES: Readonly<Record<number, string>> = { 400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "ResourceNotFound", 429: "TooManyRequests" };

/** A Graph error body for a status, as Graph sends it. */
export function graphError(status: number, requestId: string | undefined): unknown {
  return {
    error: {
      code: ERROR_CODES[status] ?? (status >= 500 ? "ServiceUnavailable" : "Error"),
      message: status === 403 ? "Missing role permissions on the request. API requires one of 'PartnerSecurity.Read.All'." : `Simulated HTTP ${status}.`,
      innerError: { date: new Date().toISOString(), "request-id": requestId ?? "none", "client-request-id": requestId ?? "none" },
    },
  };
}

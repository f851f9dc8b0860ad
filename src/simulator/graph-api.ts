import type { IncomingMessage, ServerResponse } from "node:http";
import { GRAPH_ENDPOINTS } from "./endpoints.js";
import type { GraphEndpoint } from "./endpoints.js";
import type { TokenIssuer } from "./entra.js";
import { applyFault } from "./faults.js";
import type { FaultQueue } from "./faults.js";
import { graphError } from "./graph-error.js";
import { sendJson } from "./http.js";
import type { ItemList } from "./item-list.js";
import type { Dataset } from "./live-dataset.js";
import { graphLink, page, requestedPage } from "./paging.js";
import type { RequestLog } from "./request-log.js";

const SCORE_PATH = "/beta/security/partner/securityScore";
/** A record, so that an endpoint added to the list without a path does not compile. */
const GRAPH_PATHS: Readonly<Record<GraphEndpoint, string>> = {
  securityScore: SCORE_PATH,
  requirements: `${SCORE_PATH}/requirements`,
  history: `${SCORE_PATH}/history`,
  customerInsights: `${SCORE_PATH}/customerInsights`,
  delegatedAdminCustomers: "/beta/tenantRelationships/delegatedAdminCustomers",
  delegatedAdminRelationships: "/beta/tenantRelationships/delegatedAdminRelationships",
  contracts: "/beta/contracts",
  securityAlerts: "/beta/security/partner/securityAlerts",
};

/** The Graph endpoint served at a path, if any. */
export function graphEndpointAt(pathname: string): GraphEndpoint | undefined {
  return GRAPH_ENDPOINTS.find((endpoint) => GRAPH_PATHS[endpoint] === pathname);
}

export interface GraphContext {
  /** The simulator's root with the trailing slash, for the links in answers. */
  readonly base: string;
  readonly pageSize: number;
  readonly faults: FaultQueue;
  readonly tokens: Pick<TokenIssuer, "isValid">;
  readonly dataset: () => Dataset;
  readonly log: RequestLog;
}

function graphBody(endpoint: GraphEndpoint, data: Dataset, url: URL, context: GraphContext): Record<string, unknown> {
  // The docs' examples wrap the singleton in "value".
  if (endpoint === "securityScore") return { value: data.singleton };
  const lists: Record<Exclude<GraphEndpoint, "securityScore">, () => ItemList> = {
    requirements: () => data.requirementList,
    history: () => data.historyList,
    customerInsights: () => data.tenantList,
    delegatedAdminCustomers: () => data.gdapCustomerList,
    delegatedAdminRelationships: () => data.relationshipList,
    contracts: () => data.contractList,
    securityAlerts: () => data.alertList,
  };
  return page(lists[endpoint](), url, context.base, context.pageSize);
}

/** Answers a Graph request (404 for a path or method Graph does not serve), with faults and token checks. */
export async function serveGraph(request: IncomingMessage, response: ServerResponse, url: URL, context: GraphContext): Promise<void> {
  const endpoint = graphEndpointAt(url.pathname);
  if (!endpoint || request.method !== "GET") return sendJson(response, 404, graphError(404, undefined));
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
  const clientRequestId = typeof request.headers["client-request-id"] === "string" ? request.headers["client-request-id"] : undefined;
  const record = (status: number): void => {
    context.log.record({ endpoint, path: `${url.pathname}${url.search}`, status, token: bearer, clientRequestId });
  };
  const fault = context.faults.take(endpoint, requestedPage(url, context.pageSize));
  const faulted = fault?.nextLinkLoop ? undefined : await applyFault(fault, response, clientRequestId);
  if (faulted !== undefined) return record(faulted);
  if (bearer === undefined || !context.tokens.isValid(bearer)) {
    sendJson(response, 401, graphError(401, clientRequestId), { "www-authenticate": 'Bearer realm="", error="invalid_token"' });
    return record(401);
  }
  const body = graphBody(endpoint, context.dataset(), url, context);
  sendJson(response, 200, fault?.nextLinkLoop ? { ...body, "@odata.nextLink": graphLink(context.base, url.pathname, url.search) } : body);
  record(200);
}

import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express from "express";
import helmet from "helmet";
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";
import type { Exposition } from "../metrics/exposition.js";
import type { ExpositionFormat } from "../metrics/render.js";
import { denyUnauthorized } from "./access.js";
import type { AccessControl } from "./access.js";
import { renderLanding } from "./landing.js";
import type { LandingPage } from "./landing.js";

export interface AppOptions {
  readonly metricsPath: string;
  getExposition(format: ExpositionFormat, gzip: boolean): Promise<Exposition>;
  /** True once the first refresh has finished, successfully or not. */
  isReady(): boolean;
  readonly landing: LandingPage;
  readonly logger: Logger;
  /** Basic auth and headers of the web config; /healthz and /readyz stay open for probes. */
  readonly access?: AccessControl;
}

/** The entries of an Accept or Accept-Encoding header, lowercased, each with its weight (q, 1 when not given). */
function weighted(header: string | undefined): Array<{ readonly value: string; readonly weight: number }> {
  return (header ?? "").split(",").map((entry) => {
    const [value = "", ...parameters] = entry.split(";").map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith("q="));
    return { value, weight: q === undefined ? 1 : Number(q.slice(2)) || 0 };
  });
}

/**
 * OpenMetrics when Accept weighs it above the classic text format (or equal, as Prometheus lists it
 * first), else text: Prometheus 2 and 3 ask for OpenMetrics first, a scrape config whose
 * scrape_protocols puts a text protocol first gets text, and so does curl, which takes any type.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  let openMetrics = 0;
  let text = 0;
  for (const { value, weight } of weighted(accept)) {
    if (value === "application/openmetrics-text") openMetrics = Math.max(openMetrics, weight);
    else if (value === "text/plain" || value === "text/*" || value === "*/*") text = Math.max(text, weight);
  }
  return openMetrics > 0 && openMetrics >= text ? "openmetrics" : "text";
}

/**
 * Whether Accept-Encoding takes gzip: named, or matched by "*" when not named, with a weight above
 * 0 (RFC 9110 §12.5.3). Prometheus sends "gzip"; curl and browsers send weights.
 */
export function acceptsGzip(header: string | undefined): boolean {
  const entries = weighted(header);
  const named = entries.find(({ value }) => value === "gzip") ?? entries.find(({ value }) => value === "*");
  return named !== undefined && named.weight > 0;
}

function failed(logger: Logger, response: ServerResponse, error: unknown): void {
  logger.error({ err: error }, "request failed");
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = "internal error\n";
  response.writeHead(500, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  response.end(body);
}

/** Answers a scrape: the prepared bytes, written as they are held. */
function scrapeHandler(options: AppOptions): Handler {
  return async function scrape(request, response) {
    const exposition = await options.getExposition(negotiateFormat(request.headers.accept), acceptsGzip(request.headers["accept-encoding"]));
    response.writeHead(200, {
      "Content-Type": exposition.contentType,
      "Content-Length": exposition.length,
      Vary: "Accept, Accept-Encoding",
      ...(exposition.gzip ? { "Content-Encoding": "gzip" } : {}),
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    // Corked, the chunks of a large body (hundreds at 100,000 tenants) go out in a few writev
    // calls instead of one write each.
    const last = exposition.chunks.length - 1;
    response.cork();
    for (let index = 0; index < last; index++) response.write(exposition.chunks[index]);
    response.end(exposition.chunks[last]);
  };
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

interface Route {
  readonly path: string;
  /** Behind the web config's basic auth; the probes stay open for the kubelet. */
  readonly authenticated: boolean;
  /**
   * Answered on node:http before Express: Express's per-request work cost more than sending the
   * prepared bytes of a scrape (docs/performance.md, optimisation 6).
   */
  readonly beforeExpress?: boolean;
  readonly handle: Handler;
}

/**
 * The path of a request target, without its query, as Express matches it: any case, an optional
 * trailing slash. An absolute-form target (`GET http://host:9717/metrics`, as a client sends through
 * a forward proxy) names the same path (RFC 9112 §3.2.2).
 */
function routePath(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const target = url.replace(/^https?:\/\/[^/?#]*/i, "");
  const end = target.search(/[?#]/);
  const path = (end === -1 ? target : target.slice(0, end)).toLowerCase() || "/";
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function sendText(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), ...headers });
  response.end(body);
}

/** Every path the exporter answers. */
function routeTable(options: AppOptions): readonly Route[] {
  const landingHtml = renderLanding(options.landing);
  // Security headers belong to the one HTML page; a scrape only serves bytes.
  const securityHeaders = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false,
  });
  return [
    { path: options.metricsPath, authenticated: true, beforeExpress: true, handle: scrapeHandler(options) },
    { path: "/healthz", authenticated: false, handle: (_request, response) => sendText(response, 200, "ok\n") },
    {
      path: "/readyz",
      authenticated: false,
      handle: (_request, response) => (options.isReady() ? sendText(response, 200, "ready\n") : sendText(response, 503, "waiting for the first refresh\n")),
    },
    {
      path: "/",
      authenticated: true,
      handle: (request, response) =>
        securityHeaders(request, response, () => {
          // helmet sets its headers over the web config's; the user's configuration wins.
          options.access?.applyHeaders(response);
          response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(landingHtml) });
          response.end(landingHtml);
        }),
    },
  ];
}

/**
 * The HTTP layer: serves bytes the refresh thread prepared and never talks to Graph. One route table; one
 * dispatcher applies the web config's headers, the method check and basic auth to every route, and
 * hands each route to Express except the one declared `beforeExpress`.
 */
export function createApp(options: AppOptions): RequestListener {
  const { access } = options;
  const routes = routeTable(options);

  function serve(route: Route, request: IncomingMessage, response: ServerResponse): void {
    const allowed = route.authenticated && access ? access.authorize(request) : Promise.resolve(true);
    allowed
      .then((ok) => (ok ? route.handle(request, response) : denyUnauthorized(response)))
      .catch((error: unknown) => failed(options.logger, response, error));
  }

  const app = express();
  app.disable("x-powered-by");
  for (const route of routes) {
    if (route.beforeExpress) continue;
    // Express's routing is not strict and would serve the landing page at "//" too: it is "/" exactly.
    app.get(route.path, (request, response, next) => (route.path === "/" && request.path !== "/" ? next() : serve(route, request, response)));
  }
  app.use(function notFound(_request, response) {
    sendText(response, 404, "not found\n");
  });
  const onError: ErrorRequestHandler = function onError(error: unknown, _request, response, _next) {
    failed(options.logger, response, error);
  };
  app.use(onError);

  const fastRoutes = new Map(routes.filter((route) => route.beforeExpress).map((route) => [routePath(route.path), route]));
  return function dispatch(request, response) {
    access?.applyHeaders(response);
    if (request.method !== "GET" && request.method !== "HEAD") {
      sendText(response, 405, "method not allowed\n", { Allow: "GET, HEAD" });
      return;
    }
    const fast = fastRoutes.get(routePath(request.url));
    if (fast) serve(fast, request, response);
    else app(request, response);
  };
}

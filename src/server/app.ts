import express from "express";
import helmet from "helmet";
import type { ErrorRequestHandler, Express, Request } from "express";
import type { Logger } from "pino";
import type { Exposition } from "../metrics/exposition.js";
import type { ExpositionFormat } from "../metrics/render.js";
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

/** Prometheus asks for OpenMetrics in Accept; everything else gets the classic text format. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? "openmetrics" : "text";
}

function acceptsGzip(request: Request): boolean {
  const header = request.headers["accept-encoding"];
  return typeof header === "string" && /\bgzip\b(?!\s*;\s*q=0(\.0*)?\b)/i.test(header);
}

/** The HTTP layer: serves bytes the poller prepared and never talks to Graph. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const landingHtml = renderLanding(options.landing);
  const noAuth: express.RequestHandler = (_request, _response, next) => next();
  const authenticate = options.access?.authenticate ?? noAuth;

  // Security headers belong to the one HTML page; a scrape only serves bytes.
  const securityHeaders = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false,
  });
  if (options.access) app.use(options.access.headers);

  app.use(function onlyGetAndHead(request, response, next) {
    if (request.method === "GET" || request.method === "HEAD") {
      next();
      return;
    }
    response.status(405).set("Allow", "GET, HEAD").type("text/plain").send("method not allowed\n");
  });

  app.get(options.metricsPath, authenticate, function metrics(request, response, next) {
    const format = negotiateFormat(request.headers.accept);
    const gzip = acceptsGzip(request);
    options.getExposition(format, gzip).then((exposition) => {
      response.set("Content-Type", exposition.contentType).set("Vary", "Accept, Accept-Encoding");
      if (exposition.gzip) response.set("Content-Encoding", "gzip");
      response.send(exposition.body);
    }, next);
  });

  app.get("/healthz", function healthz(_request, response) {
    response.type("text/plain").send("ok\n");
  });

  app.get("/readyz", function readyz(_request, response) {
    const ready = options.isReady();
    response.status(ready ? 200 : 503).type("text/plain").send(ready ? "ready\n" : "waiting for the first refresh\n");
  });

  app.get("/", authenticate, securityHeaders, function landing(request, response, next) {
    // Express treats "/" as a prefix-insensitive exact route already, but not "//".
    if (request.path !== "/") {
      next();
      return;
    }
    response.type("html").send(landingHtml);
  });

  app.use(function notFound(_request, response) {
    response.status(404).type("text/plain").send("not found\n");
  });

  const onError: ErrorRequestHandler = function onError(error: unknown, _request, response, _next) {
    options.logger.error({ err: error }, "request failed");
    if (!response.headersSent) response.status(500).type("text/plain").send("internal error\n");
  };
  app.use(onError);
  return app;
}

import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express from "express";
import helmet from "helmet";
import type { ErrorRequestHandler, RequestHandler } from "express";
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

/** Prometheus asks for OpenMetrics in Accept; everything else gets the classic text format. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? "openmetrics" : "text";
}

function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers["accept-encoding"];
  return typeof header === "string" && /\bgzip\b(?!\s*;\s*q=0(\.0*)?\b)/i.test(header);
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

/** Answers a scrape: the prepared bytes, written as they are held, after basic auth if configured. */
function scrapeHandler(options: AppOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const authorize = options.access ? options.access.authorize.bind(options.access) : () => Promise.resolve(true);
  return function scrape(request, response) {
    authorize(request)
      .then((allowed) => {
        if (!allowed) {
          denyUnauthorized(response);
          return;
        }
        return options.getExposition(negotiateFormat(request.headers.accept), acceptsGzip(request)).then((exposition) => {
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
        });
      })
      .catch((error: unknown) => failed(options.logger, response, error));
  };
}

/** The path of an origin-form request target, without its query. */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

/**
 * The HTTP layer: serves bytes the poller prepared and never talks to Graph. A scrape of the
 * metrics path is answered before Express sees it (Express's per-request work cost more than
 * sending the prepared bytes; see docs/performance.md); Express serves everything else, including
 * the metrics path spelt another way, with the same handler.
 */
export function createApp(options: AppOptions): RequestListener {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const landingHtml = renderLanding(options.landing);
  const { access, metricsPath } = options;
  const scrape = scrapeHandler(options);
  const authenticate: RequestHandler = (request, response, next) => {
    if (!access) {
      next();
      return;
    }
    access.authorize(request).then((allowed) => (allowed ? next() : denyUnauthorized(response)), next);
  };

  // Security headers belong to the one HTML page; a scrape only serves bytes.
  const securityHeaders = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false,
  });
  if (access) {
    app.use(function webConfigHeaders(_request, response, next) {
      access.applyHeaders(response);
      next();
    });
  }

  app.use(function onlyGetAndHead(request, response, next) {
    if (request.method === "GET" || request.method === "HEAD") {
      next();
      return;
    }
    response.status(405).set("Allow", "GET, HEAD").type("text/plain").send("method not allowed\n");
  });

  app.get(metricsPath, function metrics(request, response) {
    scrape(request, response);
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
    failed(options.logger, response, error);
  };
  app.use(onError);

  return function route(request, response) {
    if ((request.method === "GET" || request.method === "HEAD") && pathOf(request.url) === metricsPath) {
      access?.applyHeaders(response);
      scrape(request, response);
      return;
    }
    app(request, response);
  };
}

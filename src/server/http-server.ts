import { createServer as createPlainServer } from "node:http";
import type { RequestListener, Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { ServerOptions } from "node:https";
import type { TLSSocket } from "node:tls";
import type { TlsSettings } from "../web-config.js";

/** Slow or idle clients cannot hold the server: these bound every request and connection. */
const TIMEOUTS = { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 65_000 } as const;

export interface ExporterServer {
  readonly server: Server;
  readonly tls: boolean;
  /** Swaps certificate, key, CA and client-auth policy for new connections. */
  updateTls(tls: TlsSettings | undefined): void;
}

function secureOptions(tls: TlsSettings): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca ? { ca: tls.ca } : {}),
    minVersion: tls.minVersion,
    ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
    requestCert: tls.clientAuth !== "NoClientCert",
    // Only this mode lets OpenSSL refuse the handshake itself; the others are checked after it.
    rejectUnauthorized: tls.clientAuth === "RequireAndVerifyClientCert",
  };
}

function hasPeerCertificate(socket: TLSSocket): boolean {
  return Object.keys(socket.getPeerCertificate()).length > 0;
}

/** An HTTP server, or an HTTPS one with client-certificate checks as exporter-toolkit defines them. */
export function createExporterServer(app: RequestListener, initialTls: TlsSettings | undefined): ExporterServer {
  let tls = initialTls;
  if (!tls) {
    const server = createPlainServer(TIMEOUTS, app);
    return {
      server,
      tls: false,
      updateTls(next) {
        if (next) throw new Error("turning TLS on needs a restart");
      },
    };
  }
  const server = createTlsServer({ ...TIMEOUTS, ...secureOptions(tls) }, app);
  server.on("secureConnection", (socket: TLSSocket) => {
    const mode = tls?.clientAuth;
    if (mode === "RequireAnyClientCert" && !hasPeerCertificate(socket)) socket.destroy();
    if (mode === "VerifyClientCertIfGiven" && hasPeerCertificate(socket) && !socket.authorized) socket.destroy();
  });
  return {
    server,
    tls: true,
    updateTls(next) {
      if (!next) throw new Error("turning TLS off needs a restart");
      const options = secureOptions(next);
      server.setSecureContext(options);
      // New connections read these from the server object.
      Object.assign(server, { requestCert: options.requestCert, rejectUnauthorized: options.rejectUnauthorized });
      tls = next;
      // A scraper's keep-alive connection would otherwise keep the old certificate and client-auth
      // policy for as long as it keeps scraping: closed while idle, it reconnects under the new ones.
      server.closeIdleConnections();
    },
  };
}

import { rmSync } from "node:fs";
import type { Server } from "node:http";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createExporterServer } from "../../src/server/http-server.js";
import type { ExporterServer } from "../../src/server/http-server.js";
import type { TlsSettings } from "../../src/web-config.js";
import { makeTlsFiles } from "../tls-fixtures.js";
import type { TlsFiles } from "../tls-fixtures.js";

describe("createExporterServer", () => {
  it("bounds requests, headers and idle keep-alive connections", () => {
    const { server, tls } = createExporterServer(() => undefined, undefined);
    expect(tls).toBe(false);
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.keepAliveTimeout).toBe(65_000);
  });

  it("refuses to switch TLS on without a restart", () => {
    const plain = createExporterServer(() => undefined, undefined);
    expect(() => plain.updateTls({ cert: Buffer.from(""), key: Buffer.from(""), ca: undefined, clientAuth: "NoClientCert", minVersion: "TLSv1.2", maxVersion: undefined })).toThrow(
      "turning TLS on needs a restart",
    );
  });
});

describe("createExporterServer with TLS", () => {
  let files: TlsFiles;
  let running: ExporterServer | undefined;

  beforeAll(async () => {
    files = await makeTlsFiles();
  });
  afterAll(() => rmSync(files.dir, { recursive: true, force: true }));
  afterEach(async () => {
    const server: Server | undefined = running?.server;
    running = undefined;
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  function settings(overrides: Partial<TlsSettings> = {}): TlsSettings {
    return { cert: Buffer.from(files.serverCert), key: Buffer.from(files.serverKey), ca: undefined, clientAuth: "NoClientCert", minVersion: "TLSv1.2", maxVersion: undefined, ...overrides };
  }

  /** An HTTPS server whose one page names the client certificate it was shown, if any. */
  async function start(tls: TlsSettings): Promise<string> {
    running = createExporterServer((req, response) => {
      // Null once a refused connection is torn down.
      const peer: { subject?: { CN?: unknown } } | null = (req.socket as TLSSocket).getPeerCertificate();
      response.end(typeof peer?.subject?.CN === "string" ? peer.subject.CN : "no client certificate");
    }, tls);
    const { server } = running;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  /** One request on a fresh connection: the body and the TLS version, or the error of a refused handshake. */
  function get(url: string, client: { cert?: string; key?: string } = {}): Promise<{ body: string; protocol: string | null }> {
    return new Promise((resolve, reject) => {
      request(url, { agent: false, ca: files.serverCert, ...client }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ body, protocol: (response.socket as TLSSocket).getProtocol() }));
      })
        .on("error", reject)
        .end();
    });
  }

  it("speaks TLS 1.3 by default and no newer TLS version than max_version", async () => {
    expect((await get(await start(settings()))).protocol).toBe("TLSv1.3");
    await new Promise((resolve) => running?.server.close(resolve));
    expect((await get(await start(settings({ maxVersion: "TLSv1.2" })))).protocol).toBe("TLSv1.2");
  });

  it("asks a client for its certificate only when client_auth_type is not NoClientCert", async () => {
    const client = { cert: files.clientCert, key: files.clientKey };
    expect((await get(await start(settings()), client)).body).toBe("no client certificate");
    await new Promise((resolve) => running?.server.close(resolve));
    expect((await get(await start(settings({ clientAuth: "RequestClientCert" })), client)).body).toBe("prometheus");
  });

  it("VerifyClientCertIfGiven serves a client without a certificate or with a trusted one, and refuses a stranger's", async () => {
    const url = await start(settings({ clientAuth: "VerifyClientCertIfGiven", ca: Buffer.from(files.caCert) }));
    expect((await get(url)).body).toBe("no client certificate");
    expect((await get(url, { cert: files.clientCert, key: files.clientKey })).body).toBe("prometheus");
    await expect(get(url, { cert: files.strangerCert, key: files.strangerKey })).rejects.toThrow();
  });

  it("refuses to switch TLS off without a restart", async () => {
    await start(settings());
    expect(() => running?.updateTls(undefined)).toThrow("turning TLS off needs a restart");
  });
});

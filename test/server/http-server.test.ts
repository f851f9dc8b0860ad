import { describe, expect, it } from "vitest";
import { createExporterServer } from "../../src/server/http-server.js";

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

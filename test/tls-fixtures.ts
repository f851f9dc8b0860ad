import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import selfsigned from "selfsigned";

export interface TlsFiles {
  readonly dir: string;
  /** CA that signed the client certificate. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate no configured CA signed. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const SAN = [{ name: "subjectAltName" as const, altNames: [{ type: 2 as const, value: "localhost" }, { type: 7 as const, ip: "127.0.0.1" }] }];

/** A self-signed server certificate, a client CA with one client certificate, and an unrelated client certificate, in a temp dir. */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = mkdtempSync(join(tmpdir(), "pse-web-tls-"));
  const server = await selfsigned.generate([{ name: "commonName", value: "exporter" }], { keySize: 2048, algorithm: "sha256", extensions: [{ name: "basicConstraints", cA: true }, ...SAN] });
  const ca = await selfsigned.generate([{ name: "commonName", value: "scraper CA" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [{ name: "basicConstraints", cA: true }, { name: "keyUsage", keyCertSign: true, digitalSignature: true }],
  });
  const client = await selfsigned.generate([{ name: "commonName", value: "prometheus" }], {
    keySize: 2048,
    algorithm: "sha256",
    ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: "extKeyUsage", clientAuth: true }],
  });
  const stranger = await selfsigned.generate([{ name: "commonName", value: "stranger" }], { keySize: 2048, algorithm: "sha256", extensions: [{ name: "extKeyUsage", clientAuth: true }] });
  const files = {
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.private,
    clientCert: client.cert,
    clientKey: client.private,
    strangerCert: stranger.cert,
    strangerKey: stranger.private,
  };
  for (const [name, pem] of Object.entries(files)) writeFileSync(join(dir, `${name}.pem`), pem);
  return { dir, ...files };
}

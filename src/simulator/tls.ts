import selfsigned from "selfsigned";

export interface TlsIdentity {
  readonly key: string;
  /** Self-signed and a CA itself, so it is also the file to trust (NODE_EXTRA_CA_CERTS). */
  readonly cert: string;
}

/** A fresh self-signed certificate for 127.0.0.1 and localhost, valid for 30 days. */
export async function generateTlsIdentity(): Promise<TlsIdentity> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await selfsigned.generate([{ name: "commonName", value: "partner-security-exporter simulator" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 30 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

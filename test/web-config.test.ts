import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config-error.js";
import { describeConfig, loadConfig } from "../src/config.js";
import { fingerprintFiles, loadWebConfig } from "../src/web-config.js";
import { makeTlsFiles } from "./tls-fixtures.js";
import type { TlsFiles } from "./tls-fixtures.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/web-config/", import.meta.url));
const fixtures = readdirSync(FIXTURES).filter((file) => file.endsWith(".yml"));
const CREDENTIALS = { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" };

/** The message a fixture promises; a fixture without one would match any error, so it fails instead. */
function expectation(file: string): string {
  const expected = /^# expect: (.+)$/m.exec(readFileSync(join(FIXTURES, file), "utf8"))?.[1];
  if (expected === undefined) throw new Error(`${file} has no "# expect: <message>" line`);
  return expected;
}

describe("web config fixtures", () => {
  it.each(fixtures.filter((file) => file.includes(".ok.")))("%s loads", (file) => {
    expect(() => loadWebConfig(join(FIXTURES, file))).not.toThrow();
  });

  it.each(fixtures.filter((file) => file.includes(".bad.")))("%s is refused with one line naming the key", (file) => {
    let error: unknown;
    try {
      loadWebConfig(join(FIXTURES, file));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`web config ${join(FIXTURES, file)}: ${expectation(file)}`);
    expect(message).not.toContain("\n");
  });

  it("reads users and headers", () => {
    const web = loadWebConfig(join(FIXTURES, "basic-auth.ok.yml"));
    expect([...web.basicAuthUsers.keys()]).toEqual(["prometheus"]);
    expect(web.headers).toEqual({ "X-Frame-Options": "deny" });
    expect(web.tls).toBeUndefined();
  });
});

describe("PSE_WEB_CONFIG_FILE", () => {
  const basicAuth = join(FIXTURES, "basic-auth.ok.yml");

  it("ignores whitespace around the path", () => {
    expect(loadConfig({}, { ...CREDENTIALS, PSE_WEB_CONFIG_FILE: ` ${basicAuth}\n` }).webConfig?.path).toBe(basicAuth);
  });

  it("serves without a web config when the variable is blank", () => {
    expect(loadConfig({}, { ...CREDENTIALS, PSE_WEB_CONFIG_FILE: "  " }).webConfig).toBeUndefined();
  });

  it("is described by its path, no TLS and the user names, without the hashes", () => {
    const described = describeConfig(loadConfig({ webConfigFile: basicAuth }, CREDENTIALS));
    expect(described.webConfig).toEqual({ path: basicAuth, tls: false, basicAuthUsers: ["prometheus"] });
    expect(JSON.stringify(described)).not.toContain("$2b$");
  });
});

describe("TLS settings", () => {
  let files: TlsFiles;
  beforeAll(async () => {
    files = await makeTlsFiles();
  });
  afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

  it("reads certificate files relative to the config file, with exporter-toolkit defaults", () => {
    writeFileSync(join(files.dir, "web.yml"), "tls_server_config:\n  cert_file: serverCert.pem\n  key_file: serverKey.pem\n");
    const web = loadWebConfig(join(files.dir, "web.yml"));
    expect(web.tls).toMatchObject({ clientAuth: "NoClientCert", minVersion: "TLSv1.2", maxVersion: undefined, ca: undefined });
    expect(web.tls?.cert.toString()).toBe(files.serverCert);
  });

  it("refuses a key that does not belong to the certificate", () => {
    writeFileSync(join(files.dir, "mismatch.yml"), "tls_server_config:\n  cert_file: serverCert.pem\n  key_file: clientKey.pem\n");
    expect(() => loadWebConfig(join(files.dir, "mismatch.yml"))).toThrow(/tls_server_config.cert_file: certificate and key do not load/);
  });

  it("is loaded through PSE_WEB_CONFIG_FILE and described without hashes", () => {
    writeFileSync(join(files.dir, "full.yml"), `tls_server_config:\n  cert_file: serverCert.pem\n  key_file: serverKey.pem\n  client_ca_file: caCert.pem\n  client_auth_type: RequireAndVerifyClientCert\n  min_version: TLS13\n`);
    const config = loadConfig({}, { ...CREDENTIALS, PSE_WEB_CONFIG_FILE: join(files.dir, "full.yml") });
    expect(config.webConfig?.tls).toMatchObject({ clientAuth: "RequireAndVerifyClientCert", minVersion: "TLSv1.3" });
    expect(describeConfig(config).webConfig).toEqual({ path: join(files.dir, "full.yml"), tls: "RequireAndVerifyClientCert", basicAuthUsers: [] });
  });

  it("fingerprints the config and every file it names, so a change to any of them shows", () => {
    const path = join(files.dir, "watched.yml");
    writeFileSync(join(files.dir, "watched-cert.pem"), files.serverCert);
    writeFileSync(path, "tls_server_config:\n  cert_file: watched-cert.pem\n  key_file: serverKey.pem\n");
    const web = loadWebConfig(path);
    expect(web.files).toEqual([path, join(files.dir, "watched-cert.pem"), join(files.dir, "serverKey.pem")]);
    expect(fingerprintFiles(web.files)).toBe(web.fingerprint);
    writeFileSync(join(files.dir, "watched-cert.pem"), files.clientCert);
    expect(fingerprintFiles(web.files)).not.toBe(web.fingerprint);
    rmSync(join(files.dir, "watched-cert.pem"));
    expect(() => fingerprintFiles(web.files)).not.toThrow();
  });
});

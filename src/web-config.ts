import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { parse } from "yaml";
import { z } from "zod";
import { ConfigError } from "./config-error.js";

/** Prometheus exporter-toolkit's client_auth_type values, with Go's meaning. */
export const CLIENT_AUTH_TYPES = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
const TLS_VERSIONS = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" } as const;
/** The response headers exporter-toolkit lets a web config set. */
const ALLOWED_HEADERS = ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection", "Strict-Transport-Security"];
const BCRYPT_HASH = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

export interface TlsSettings {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly clientAuth: ClientAuthType;
  readonly minVersion: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];
  readonly maxVersion: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS] | undefined;
}

/** The web config file, validated and with its files read: TLS, basic auth and extra headers. */
export interface WebConfig {
  readonly path: string;
  readonly tls: TlsSettings | undefined;
  /** user → bcrypt hash; empty means no basic auth. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
  /** Every file it was read from: the config and the files it names. */
  readonly files: readonly string[];
  /** Digest of those files' contents as they were read, to notice when one changes. */
  readonly fingerprint: string;
}

const tlsVersion = z.enum(["TLS10", "TLS11", "TLS12", "TLS13"]);
const schema = z
  .strictObject({
    tls_server_config: z
      .strictObject({
        cert_file: z.string().min(1),
        key_file: z.string().min(1),
        client_ca_file: z.string().min(1).optional(),
        client_auth_type: z.enum(CLIENT_AUTH_TYPES).default("NoClientCert"),
        client_allowed_sans: z.array(z.string()).optional(),
        min_version: tlsVersion.default("TLS12"),
        max_version: tlsVersion.optional(),
        // Accepted for compatibility with other exporters' files; Node's secure defaults apply.
        cipher_suites: z.array(z.string()).optional(),
        curve_preferences: z.array(z.string()).optional(),
        prefer_server_cipher_suites: z.boolean().optional(),
      })
      .optional(),
    http_server_config: z
      .strictObject({
        http2: z.boolean().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    basic_auth_users: z.record(z.string(), z.string()).optional(),
  })
  .nullable();

function refuseWebConfig(path: string, key: string, message: string, cause?: unknown): never {
  throw new ConfigError(`web config ${path}`, `${key}: ${message}`, cause === undefined ? undefined : { cause });
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "error";
}

function digest(contents: ReadonlyArray<readonly [file: string, content: Buffer | string]>): string {
  const hash = createHash("sha256");
  for (const [file, content] of contents) hash.update(file).update("\0").update(content).update("\0");
  return hash.digest("hex");
}

/** Digest of the files' contents now, comparable with WebConfig.fingerprint (an unreadable file counts as its error code). */
export function fingerprintFiles(files: readonly string[]): string {
  return digest(
    files.map((file) => {
      try {
        return [file, readFileSync(file)] as const;
      } catch (error) {
        return [file, `unreadable: ${errorCode(error)}`] as const;
      }
    }),
  );
}

type ParsedWebConfig = NonNullable<z.infer<typeof schema>>;
type ReadReferenced = (key: string, file: string) => Buffer;

/** The YAML, validated against the schema: an error names the key. */
function parseWebConfig(path: string, text: string): ParsedWebConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    return refuseWebConfig(path, "yaml", (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "invalid YAML", error);
  }
  const result = schema.safeParse(raw ?? null);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue && issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys] : (issue?.path ?? []);
    return refuseWebConfig(path, keys.join(".") || "file", issue?.code === "unrecognized_keys" ? "unknown key" : (issue?.message ?? "invalid"));
  }
  return result.data ?? {};
}

function basicAuthUsers(path: string, config: ParsedWebConfig): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, hash] of Object.entries(config.basic_auth_users ?? {})) {
    if (!BCRYPT_HASH.test(hash)) refuseWebConfig(path, `basic_auth_users.${user}`, "is not a bcrypt hash (generate one with htpasswd -nBC 10 \"\" | tr -d ':\\n')");
    users.set(user, hash);
  }
  return users;
}

function responseHeaders(path: string, config: ParsedWebConfig): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.http_server_config?.headers ?? {})) {
    const allowed = ALLOWED_HEADERS.find((header) => header.toLowerCase() === name.toLowerCase());
    if (!allowed) refuseWebConfig(path, `http_server_config.headers.${name}`, `cannot be set (allowed: ${ALLOWED_HEADERS.join(", ")})`);
    headers[allowed] = value;
  }
  return headers;
}

function tlsSettings(path: string, config: ParsedWebConfig, readReferenced: ReadReferenced): TlsSettings | undefined {
  const server = config.tls_server_config;
  if (!server) return undefined;
  const verifies = server.client_auth_type === "VerifyClientCertIfGiven" || server.client_auth_type === "RequireAndVerifyClientCert";
  if (verifies && !server.client_ca_file) refuseWebConfig(path, "tls_server_config.client_ca_file", `is required with client_auth_type ${server.client_auth_type}`);
  const tls: TlsSettings = {
    cert: readReferenced("tls_server_config.cert_file", server.cert_file),
    key: readReferenced("tls_server_config.key_file", server.key_file),
    ca: server.client_ca_file ? readReferenced("tls_server_config.client_ca_file", server.client_ca_file) : undefined,
    clientAuth: server.client_auth_type,
    minVersion: TLS_VERSIONS[server.min_version],
    maxVersion: server.max_version ? TLS_VERSIONS[server.max_version] : undefined,
  };
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) });
  } catch (error) {
    refuseWebConfig(path, "tls_server_config.cert_file", `certificate and key do not load: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  return tls;
}

/**
 * Reads an exporter-toolkit web config file (the format Prometheus' own exporters use).
 * Throws a ConfigError naming the file and the offending key.
 */
export function loadWebConfig(path: string): WebConfig {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    return refuseWebConfig(path, "file", `cannot read it (${errorCode(error)})`, error);
  }
  const read: Array<readonly [string, Buffer]> = [[path, content]];
  function readReferenced(key: string, file: string): Buffer {
    const resolved = resolve(dirname(path), file);
    try {
      const bytes = readFileSync(resolved);
      read.push([resolved, bytes]);
      return bytes;
    } catch (error) {
      return refuseWebConfig(path, key, `cannot read "${file}" (${errorCode(error)})`, error);
    }
  }
  const config = parseWebConfig(path, content.toString("utf8"));
  const users = basicAuthUsers(path, config);
  const headers = responseHeaders(path, config);
  const tls = tlsSettings(path, config, readReferenced);
  return Object.freeze({
    path,
    tls,
    basicAuthUsers: users,
    headers: Object.freeze(headers),
    files: Object.freeze(read.map(([file]) => file)),
    fingerprint: digest(read),
  });
}

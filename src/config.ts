import { z } from "zod";
import { ConfigError } from "./config-error.js";
import { CUSTOMER_NAME_SOURCES } from "./graph/optional-sources.js";
import type { CustomerNameSource, OptionalSources } from "./graph/optional-sources.js";
import { CUSTOMER_SERIES_MODES } from "./metrics/customer-series.js";
import type { CustomerSeries } from "./metrics/customer-series.js";
import { SETTINGS } from "./settings.js";
import { loadWebConfig } from "./web-config.js";
import type { WebConfig } from "./web-config.js";

export { ConfigError };
export type { CustomerSeries };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type LogFormat = "json" | "pretty";
export type CredentialKind =
  | "auto"
  | "client-secret"
  | "client-certificate"
  | "workload-identity"
  | "managed-identity";

/** How the exporter authenticates to Entra ID; secrets live only here and in the credential. */
export type CredentialConfig =
  | { kind: "client-secret"; tenantId: string; clientId: string; clientSecret: string; authority: AuthorityConfig }
  | {
      kind: "client-certificate";
      tenantId: string;
      clientId: string;
      certificatePath: string;
      certificatePassword: string | undefined;
      sendCertificateChain: boolean;
      authority: AuthorityConfig;
    }
  | { kind: "workload-identity"; tenantId: string; clientId: string; tokenFilePath: string; authority: AuthorityConfig }
  | { kind: "managed-identity"; clientId: string | undefined };

export interface AuthorityConfig {
  /** `undefined` means the public cloud's default authority. */
  readonly host: string | undefined;
  /** Instance discovery asks login.microsoft.com about the host, which a private authority cannot answer. */
  readonly disableInstanceDiscovery: boolean;
}

export interface Config {
  readonly listen: { readonly host: string; readonly port: number };
  readonly metricsPath: string;
  readonly refreshIntervalMs: number;
  readonly maxStalenessMs: number;
  readonly graphBaseUrl: string;
  readonly requestTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly credential: CredentialConfig;
  /** Stops following @odata.nextLink after this many pages of one collection; 0 = no fixed limit. */
  readonly maxPages: number;
  /** Which customer tenants get per-tenant series; the aggregates count every tenant regardless. */
  readonly customerSeries: CustomerSeries;
  /** The optional Graph sources: customer names, GDAP relationships, partner security alerts. */
  readonly sources: OptionalSources;
  /** TLS, basic auth and headers from PSE_WEB_CONFIG_FILE; undefined serves plain HTTP to anyone. */
  readonly webConfig: WebConfig | undefined;
}

export { SETTINGS };

export type SettingKey = (typeof SETTINGS)[number]["key"];
export type Flags = Partial<Record<SettingKey, string>>;
type Env = Readonly<Record<string, string | undefined>>;

const MIN_REFRESH_INTERVAL_MS = 10_000;
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.microsoftonline.de",
]);
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a Prometheus-style duration (`30s`, `15m`, `1h30m`, `0`) into milliseconds.
 * Returns `undefined` for anything else so the caller can name the setting.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    const [, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds back into the shortest duration text, for HELP strings and logs. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]];
  let rest = ms;
  let text = "";
  for (const [unit, size] of units) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || "0s";
}

function duration(setting: string, text: string, minimumMs: number, allowZero: boolean): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ConfigError(setting, `"${text}" is not a duration (use e.g. 30s, 15m, 1h)`);
  if (ms === 0 && allowZero) return 0;
  if (ms < minimumMs) throw new ConfigError(setting, `"${text}" is shorter than the minimum of ${minimumMs / 1000}s`);
  return ms;
}

function listenAddress(setting: string, text: string): Config["listen"] {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new ConfigError(setting, `"${text}" is not host:port (e.g. 0.0.0.0:9717 or [::]:9717)`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(setting, `port ${port} is out of range 0-65535`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Paths the exporter answers itself; the metrics path on one of them would take the probe over. */
const RESERVED_PATHS = ["/healthz", "/readyz"];

function metricsPath(setting: string, text: string): string {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(text) || text === "/") {
    throw new ConfigError(setting, `"${text}" must be a path starting with / other than / itself`);
  }
  if (RESERVED_PATHS.includes(text.toLowerCase().replace(/(.)\/$/, "$1"))) throw new ConfigError(setting, `"${text}" is the path of a probe (${RESERVED_PATHS.join(", ")})`);
  return text;
}

function graphBaseUrl(setting: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError(setting, `"${text}" is not a URL`, { cause: error });
  }
  if (url.protocol !== "https:") throw new ConfigError(setting, `"${text}" must use https (Graph tokens are only sent over TLS)`);
  if (url.search || url.hash) throw new ConfigError(setting, `"${text}" must not have a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}/`;
}

function wholeNumber(setting: string, text: string, min: number, max: number): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new ConfigError(setting, `"${text}" is not a whole number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(setting: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((value) => value === text);
  if (found === undefined) throw new ConfigError(setting, `"${text}" is not one of ${allowed.join(", ")}`);
  return found;
}

function switchOf(setting: string, text: string): boolean {
  return oneOf(setting, text.trim(), ["true", "false"]) === "true";
}

function sources(read: <T>(key: SettingKey, parse: (setting: string, text: string) => T) => T): OptionalSources {
  const customerNames = read("customerNames", (s, t) => oneOf<CustomerNameSource>(s, t.trim(), CUSTOMER_NAME_SOURCES));
  const gdapRelationships = read("gdapRelationships", (s, t) => {
    const chosen = oneOf(s, t.trim(), ["auto", "true", "false"]);
    return chosen === "auto" ? customerNames === "gdap" : chosen === "true";
  });
  return Object.freeze({ customerNames, gdapRelationships, securityAlerts: read("securityAlerts", switchOf) });
}

function authority(env: Env): AuthorityConfig {
  const text = env.AZURE_AUTHORITY_HOST?.trim();
  if (!text) return { host: undefined, disableInstanceDiscovery: false };
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError("AZURE_AUTHORITY_HOST", `"${text}" is not a URL`, { cause: error });
  }
  if (url.protocol !== "https:") throw new ConfigError("AZURE_AUTHORITY_HOST", `"${text}" must use https`);
  return { host: url.origin, disableInstanceDiscovery: !MICROSOFT_AUTHORITY_HOSTS.has(url.hostname) };
}

function required(env: Env, name: string, why: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, `is required ${why}`);
  return value;
}

function credential(kindText: string, env: Env): CredentialConfig {
  const kind = oneOf<CredentialKind>("--credential/PSE_CREDENTIAL", kindText, [
    "auto",
    "client-secret",
    "client-certificate",
    "workload-identity",
    "managed-identity",
  ]);
  const resolved = kind === "auto" ? detectCredential(env) : kind;
  if (resolved === "managed-identity") return { kind: resolved, clientId: env.AZURE_CLIENT_ID?.trim() || undefined };
  const why = `for the ${resolved} credential`;
  const tenantId = required(env, "AZURE_TENANT_ID", why);
  const clientId = required(env, "AZURE_CLIENT_ID", why);
  const base = { tenantId, clientId, authority: authority(env) };
  switch (resolved) {
    case "client-secret":
      return { kind: resolved, ...base, clientSecret: required(env, "AZURE_CLIENT_SECRET", why) };
    case "client-certificate":
      return {
        kind: resolved,
        ...base,
        certificatePath: required(env, "AZURE_CLIENT_CERTIFICATE_PATH", why),
        certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD || undefined,
        sendCertificateChain: ["true", "1"].includes(env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN?.trim().toLowerCase() ?? ""),
      };
    case "workload-identity":
      return { kind: resolved, ...base, tokenFilePath: required(env, "AZURE_FEDERATED_TOKEN_FILE", why) };
  }
}

function detectCredential(env: Env): Exclude<CredentialKind, "auto"> {
  if (env.AZURE_CLIENT_SECRET) return "client-secret";
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) return "client-certificate";
  if (env.AZURE_FEDERATED_TOKEN_FILE) return "workload-identity";
  if (env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT) return "managed-identity";
  throw new ConfigError(
    "credential",
    "none found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE), or use --credential managed-identity",
  );
}

const flagsSchema = z.record(z.string(), z.string().optional());

/**
 * Builds the one frozen `Config` from command-line flags and the environment; flags win.
 * Throws `ConfigError` naming the first bad setting.
 */
export function loadConfig(flags: Flags = {}, env: Env = process.env): Config {
  const given = flagsSchema.parse(flags);
  const raw = (key: SettingKey): { setting: string; text: string } => {
    const row = SETTINGS.find((setting) => setting.key === key);
    if (!row) throw new Error(`unknown setting ${key}`);
    const fromFlag = given[key];
    if (fromFlag !== undefined) return { setting: row.flag, text: fromFlag };
    const fromEnv = env[row.env];
    if (fromEnv !== undefined && fromEnv !== "") return { setting: row.env, text: fromEnv };
    return { setting: `${row.flag}/${row.env}`, text: row.fallback };
  };
  const read = <T>(key: SettingKey, parse: (setting: string, text: string) => T): T => {
    const { setting, text } = raw(key);
    return parse(setting, text);
  };
  const refreshIntervalMs = read("refreshInterval", (s, t) => duration(s, t, MIN_REFRESH_INTERVAL_MS, false));
  const config: Config = {
    listen: read("listenAddress", listenAddress),
    metricsPath: read("metricsPath", metricsPath),
    refreshIntervalMs,
    maxStalenessMs: read("maxStaleness", (s, t) => duration(s, t, refreshIntervalMs, true)),
    graphBaseUrl: read("graphBaseUrl", graphBaseUrl),
    requestTimeoutMs: read("requestTimeout", (s, t) => duration(s, t, 1000, false)),
    logLevel: read("logLevel", (s, t) => oneOf<LogLevel>(s, t, ["fatal", "error", "warn", "info", "debug", "trace", "silent"])),
    logFormat: read("logFormat", (s, t) => oneOf<LogFormat>(s, t, ["json", "pretty"])),
    credential: credential(raw("credential").text, env),
    maxPages: read("maxPages", (s, t) => wholeNumber(s, t, 0, 1_000_000)),
    customerSeries: read("customerSeries", (s, t) => oneOf<CustomerSeries>(s, t, CUSTOMER_SERIES_MODES)),
    sources: sources(read),
    webConfig: read("webConfigFile", (_s, t) => (t.trim() === "" ? undefined : loadWebConfig(t.trim()))),
  };
  return Object.freeze(config);
}

/** The config as it may be logged: no secrets, no passwords. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { credential: cred, webConfig, ...rest } = config;
  const web = webConfig && { path: webConfig.path, tls: webConfig.tls?.clientAuth ?? false, basicAuthUsers: [...webConfig.basicAuthUsers.keys()] };
  return { ...rest, webConfig: web, credential: { kind: cred.kind, clientId: cred.clientId, tenantId: "tenantId" in cred ? cred.tenantId : undefined } };
}

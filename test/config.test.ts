import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, formatDuration, loadConfig, parseDuration } from "../src/config.js";
import type { Flags } from "../src/config.js";

const SECRET_ENV = { AZURE_TENANT_ID: "tenant", AZURE_CLIENT_ID: "client", AZURE_CLIENT_SECRET: "s3cret-value" };

function errorOf(flags: Flags, env: Record<string, string>): ConfigError {
  try {
    loadConfig(flags, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["0", 0],
  ])("reads %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "15", "1.5h", "m", "-1s", "1y", "15 m"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("loadConfig", () => {
  it("uses the documented defaults", () => {
    const config = loadConfig({}, SECRET_ENV);
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9717 });
    expect(config.metricsPath).toBe("/metrics");
    expect(config.refreshIntervalMs).toBe(900_000);
    expect(config.maxStalenessMs).toBe(86_400_000);
    expect(config.graphBaseUrl).toBe("https://graph.microsoft.com/");
    expect(config.requestTimeoutMs).toBe(30_000);
    expect(config.logLevel).toBe("info");
    expect(config.logFormat).toBe("json");
    expect(config.credential).toMatchObject({ kind: "client-secret", tenantId: "tenant", clientId: "client" });
    expect(config.customerSeries).toBe("all");
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads environment variables, and flags win over them", () => {
    const env = { ...SECRET_ENV, PSE_LISTEN_ADDRESS: "127.0.0.1:9000", PSE_REFRESH_INTERVAL: "5m", PSE_LOG_FORMAT: "pretty" };
    const config = loadConfig({ refreshInterval: "1h" }, env);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(config.refreshIntervalMs).toBe(3_600_000);
    expect(config.logFormat).toBe("pretty");
  });

  it("accepts IPv6 listen addresses and a Graph root with a path", () => {
    const config = loadConfig({ listenAddress: "[::1]:9717", graphBaseUrl: "https://graph.example.test/root/" }, SECRET_ENV);
    expect(config.listen).toEqual({ host: "::1", port: 9717 });
    expect(config.graphBaseUrl).toBe("https://graph.example.test/root/");
  });

  it("allows max staleness 0 (never drop)", () => {
    expect(loadConfig({ maxStaleness: "0" }, SECRET_ENV).maxStalenessMs).toBe(0);
  });

  it.each<[string, Flags, Record<string, string>, string]>([
    ["bad duration", { refreshInterval: "soon" }, SECRET_ENV, '--refresh-interval: "soon" is not a duration'],
    ["interval under 10s", {}, { ...SECRET_ENV, PSE_REFRESH_INTERVAL: "5s" }, 'PSE_REFRESH_INTERVAL: "5s" is shorter than the minimum of 10s'],
    ["port out of range", { listenAddress: "0.0.0.0:70000" }, SECRET_ENV, "--listen-address: port 70000 is out of range"],
    ["listen without port", { listenAddress: "localhost" }, SECRET_ENV, '--listen-address: "localhost" is not host:port'],
    ["http Graph URL", { graphBaseUrl: "http://graph.microsoft.com" }, SECRET_ENV, "--graph-base-url: \"http://graph.microsoft.com\" must use https"],
    ["Graph URL that is no URL", {}, { ...SECRET_ENV, PSE_GRAPH_BASE_URL: "graph" }, 'PSE_GRAPH_BASE_URL: "graph" is not a URL'],
    ["metrics path without slash", { metricsPath: "metrics" }, SECRET_ENV, "--metrics-path:"],
    ["metrics path on a probe", { metricsPath: "/Healthz/" }, SECRET_ENV, "--metrics-path: \"/Healthz/\" is the path of a probe"],
    ["unknown log level", { logLevel: "loud" }, SECRET_ENV, '--log-level: "loud" is not one of'],
    ["staleness below the interval", { maxStaleness: "1m" }, SECRET_ENV, "--max-staleness: \"1m\" is shorter than the minimum of 900s"],
    ["no credential", {}, {}, "credential: none found"],
    ["secret without tenant", {}, { AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "x" }, "AZURE_TENANT_ID: is required for the client-secret credential"],
    ["workload identity without token file", { credential: "workload-identity" }, { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c" }, "AZURE_FEDERATED_TOKEN_FILE: is required"],
    ["unknown credential kind", { credential: "password" }, SECRET_ENV, '--credential/PSE_CREDENTIAL: "password" is not one of'],
    ["unknown customer series mode (env)", {}, { ...SECRET_ENV, PSE_CUSTOMER_SERIES: "some" }, 'PSE_CUSTOMER_SERIES: "some" is not one of all, noncompliant, none'],
    ["unknown customer series mode (flag)", { customerSeries: "None" }, SECRET_ENV, '--customer-series: "None" is not one of all, noncompliant, none'],
    ["http authority", {}, { ...SECRET_ENV, AZURE_AUTHORITY_HOST: "http://login.example.test" }, "AZURE_AUTHORITY_HOST: \"http://login.example.test\" must use https"],
    ["unknown customer name source", {}, { ...SECRET_ENV, PSE_CUSTOMER_NAMES: "partner-center" }, 'PSE_CUSTOMER_NAMES: "partner-center" is not one of none, gdap, contracts'],
    ["GDAP relationships neither auto, true nor false", { gdapRelationships: "yes" }, SECRET_ENV, '--gdap-relationships: "yes" is not one of auto, true, false'],
    ["security alerts not a boolean", {}, { ...SECRET_ENV, PSE_SECURITY_ALERTS: "1" }, 'PSE_SECURITY_ALERTS: "1" is not one of true, false'],
  ])("rejects %s with one line naming the setting", (_name, flags, env, message) => {
    const error = errorOf(flags, env);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain("\n");
  });

  it("picks the credential from the environment", () => {
    expect(loadConfig({}, { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_CERTIFICATE_PATH: "/cert.pem" }).credential.kind).toBe("client-certificate");
    expect(loadConfig({}, { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_FEDERATED_TOKEN_FILE: "/token" }).credential.kind).toBe("workload-identity");
    expect(loadConfig({ credential: "managed-identity" }, {}).credential).toEqual({ kind: "managed-identity", clientId: undefined });
  });

  it("disables instance discovery only for a non-Microsoft authority", () => {
    const local = loadConfig({}, { ...SECRET_ENV, AZURE_AUTHORITY_HOST: "https://127.0.0.1:8443" }).credential;
    const microsoft = loadConfig({}, { ...SECRET_ENV, AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us" }).credential;
    expect(local.kind === "client-secret" && local.authority).toEqual({ host: "https://127.0.0.1:8443", disableInstanceDiscovery: true });
    expect(microsoft.kind === "client-secret" && microsoft.authority.disableInstanceDiscovery).toBe(false);
  });

  it.each(["all", "noncompliant", "none"] as const)("reads customer series mode %s from the flag and the environment, and describes it", (mode) => {
    expect(loadConfig({}, { ...SECRET_ENV, PSE_CUSTOMER_SERIES: mode }).customerSeries).toBe(mode);
    const config = loadConfig({ customerSeries: mode }, { ...SECRET_ENV, PSE_CUSTOMER_SERIES: mode === "all" ? "none" : "all" });
    expect(config.customerSeries).toBe(mode);
    expect(describeConfig(config).customerSeries).toBe(mode);
  });

  it("reads no customer names, no GDAP relationships and the partner security alerts by default", () => {
    expect(loadConfig({}, SECRET_ENV).sources).toEqual({ customerNames: "none", gdapRelationships: false, securityAlerts: true });
  });

  it.each<[Record<string, string>, Flags, object]>([
    [{ PSE_CUSTOMER_NAMES: "gdap" }, {}, { customerNames: "gdap", gdapRelationships: true, securityAlerts: true }],
    [{ PSE_CUSTOMER_NAMES: "gdap", PSE_GDAP_RELATIONSHIPS: "false" }, {}, { customerNames: "gdap", gdapRelationships: false, securityAlerts: true }],
    [{ PSE_CUSTOMER_NAMES: "contracts" }, {}, { customerNames: "contracts", gdapRelationships: false, securityAlerts: true }],
    [{ PSE_CUSTOMER_NAMES: "contracts", PSE_GDAP_RELATIONSHIPS: "true" }, {}, { customerNames: "contracts", gdapRelationships: true, securityAlerts: true }],
    [{ PSE_SECURITY_ALERTS: "true" }, { securityAlerts: "false" }, { customerNames: "none", gdapRelationships: false, securityAlerts: false }],
    [{}, { customerNames: "gdap", gdapRelationships: "auto" }, { customerNames: "gdap", gdapRelationships: true, securityAlerts: true }],
  ])("reads the optional sources from %j and flags %j", (env, flags, sources) => {
    const config = loadConfig(flags, { ...SECRET_ENV, ...env });
    expect(config.sources).toEqual(sources);
    expect(describeConfig(config).sources).toEqual(sources);
  });

  it("describes the config without the secret", () => {
    expect(JSON.stringify(describeConfig(loadConfig({}, SECRET_ENV)))).not.toContain("s3cret-value");
  });
});

describe("formatDuration", () => {
  it.each([
    [900_000, "15m"],
    [5_400_000, "1h30m"],
    [86_400_000 + 1000, "1d1s"],
    [1500, "1s500ms"],
    [0, "0s"],
  ])("writes %i ms as %s, the shortest text a setting would take", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

/** The message of the ConfigError that `flags` and `env` stop start-up with. */
function messageOf(flags: Flags, env: Record<string, string>): string {
  const { message } = errorOf(flags, env);
  expect(message).not.toContain("\n");
  return message;
}

describe("PSE_LISTEN_ADDRESS", () => {
  it("listens on every IPv4 address when only a port is given (:9000)", () => {
    expect(loadConfig({}, { ...SECRET_ENV, PSE_LISTEN_ADDRESS: ":9000" }).listen).toEqual({ host: "0.0.0.0", port: 9000 });
  });

  it("accepts port 65535 and rejects port 65536, naming the setting", () => {
    expect(loadConfig({ listenAddress: "127.0.0.1:65535" }, SECRET_ENV).listen).toEqual({ host: "127.0.0.1", port: 65535 });
    expect(messageOf({}, { ...SECRET_ENV, PSE_LISTEN_ADDRESS: "127.0.0.1:65536" })).toBe("PSE_LISTEN_ADDRESS: port 65536 is out of range 0-65535");
  });

  it.each([
    ["an IPv6 address without brackets", "::1:9717"],
    ["a URL path after the port", "127.0.0.1:9717/metrics"],
    ["a six-digit port", "localhost:123456"],
  ])("rejects %s (%s), naming the setting", (_name, address) => {
    expect(messageOf({ listenAddress: address }, SECRET_ENV)).toBe(`--listen-address: "${address}" is not host:port (e.g. 0.0.0.0:9717 or [::]:9717)`);
  });

  it("ignores whitespace around the address, as a line of an env file may carry", () => {
    expect(loadConfig({}, { ...SECRET_ENV, PSE_LISTEN_ADDRESS: " 127.0.0.1:9000\n" }).listen).toEqual({ host: "127.0.0.1", port: 9000 });
  });
});

describe("PSE_METRICS_PATH", () => {
  it.each(["/", "prom/metrics", "/metrics?format=text", "/metrics page"])("rejects %j, naming the setting", (path) => {
    expect(messageOf({ metricsPath: path }, SECRET_ENV)).toBe(`--metrics-path: "${path}" must be a path starting with / other than / itself`);
  });

  it.each(["/healthz", "/readyz", "/READYZ/"])("rejects %j, the path of a probe, listing the probe paths", (path) => {
    expect(messageOf({}, { ...SECRET_ENV, PSE_METRICS_PATH: path })).toBe(`PSE_METRICS_PATH: "${path}" is the path of a probe (/healthz, /readyz)`);
  });

  it.each(["/healthz/metrics", "/ready/z", "/prometheus/metrics"])("accepts %j, which only resembles a probe path", (path) => {
    expect(loadConfig({ metricsPath: path }, SECRET_ENV).metricsPath).toBe(path);
  });
});

describe("durations (PSE_REFRESH_INTERVAL, PSE_MAX_STALENESS, PSE_REQUEST_TIMEOUT)", () => {
  it("reads a combined duration such as 1m30s, ignoring surrounding whitespace", () => {
    expect(loadConfig({}, { ...SECRET_ENV, PSE_REFRESH_INTERVAL: " 1m30s\n" }).refreshIntervalMs).toBe(90_000);
  });

  it("rejects 1h30 (a number without its unit), naming the setting", () => {
    expect(messageOf({}, { ...SECRET_ENV, PSE_REFRESH_INTERVAL: "1h30" })).toBe('PSE_REFRESH_INTERVAL: "1h30" is not a duration (use e.g. 30s, 15m, 1h)');
  });

  it("accepts the minimum refresh interval of 10s itself, and a max staleness equal to the interval", () => {
    const config = loadConfig({ refreshInterval: "10s", maxStaleness: "10s" }, SECRET_ENV);
    expect(config.refreshIntervalMs).toBe(10_000);
    expect(config.maxStalenessMs).toBe(10_000);
  });

  it.each<[string, Flags, string]>([
    ["a refresh interval of 0", { refreshInterval: "0" }, '--refresh-interval: "0" is shorter than the minimum of 10s'],
    ["a request timeout of 0", { requestTimeout: "0" }, '--request-timeout: "0" is shorter than the minimum of 1s'],
  ])("rejects %s (0 means never only for the max staleness)", (_name, flags, message) => {
    expect(messageOf(flags, SECRET_ENV)).toBe(message);
  });

  it("names both the flag and the variable when the default max staleness of 24h is shorter than the interval", () => {
    expect(messageOf({ refreshInterval: "2d" }, SECRET_ENV)).toBe('--max-staleness/PSE_MAX_STALENESS: "24h" is shorter than the minimum of 172800s');
  });
});

describe("PSE_GRAPH_BASE_URL", () => {
  it.each(["https://graph.example.test/?tenant=partner", "https://graph.example.test/#beta"])("rejects %s (a query or fragment), naming the setting", (url) => {
    expect(messageOf({}, { ...SECRET_ENV, PSE_GRAPH_BASE_URL: url })).toBe(`PSE_GRAPH_BASE_URL: "${url}" must not have a query or fragment`);
  });

  it("ends the Graph root with exactly one slash, however many it was given", () => {
    expect(loadConfig({ graphBaseUrl: "https://graph.example.test/root//" }, SECRET_ENV).graphBaseUrl).toBe("https://graph.example.test/root/");
  });
});

describe("PSE_MAX_PAGES", () => {
  it("is 0 (no fixed limit) by default", () => {
    expect(loadConfig({}, SECRET_ENV).maxPages).toBe(0);
  });

  it.each([
    ["50", 50],
    [" 50\n", 50],
    ["1000000", 1_000_000],
  ])("reads %j as %i pages", (text, pages) => {
    expect(loadConfig({}, { ...SECRET_ENV, PSE_MAX_PAGES: text }).maxPages).toBe(pages);
  });

  it.each(["many", "1.5", "1e3", "0x10", "-1", "1000001"])("rejects %j, naming the setting and the range", (text) => {
    expect(messageOf({}, { ...SECRET_ENV, PSE_MAX_PAGES: text })).toBe(`PSE_MAX_PAGES: "${text}" is not a whole number from 0 to 1000000`);
  });
});

describe("PSE_LOG_LEVEL", () => {
  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"])("accepts %s", (level) => {
    expect(loadConfig({ logLevel: level }, SECRET_ENV).logLevel).toBe(level);
  });
});

describe("PSE_CUSTOMER_NAMES, PSE_GDAP_RELATIONSHIPS and PSE_SECURITY_ALERTS", () => {
  it("ignore whitespace around their values", () => {
    const env = { ...SECRET_ENV, PSE_CUSTOMER_NAMES: " contracts\n", PSE_GDAP_RELATIONSHIPS: "true ", PSE_SECURITY_ALERTS: " false" };
    expect(loadConfig({}, env).sources).toEqual({ customerNames: "contracts", gdapRelationships: true, securityAlerts: false });
  });
});

describe("empty environment variables", () => {
  it("count as unset, so the defaults apply (as with an empty value in a compose file or chart)", () => {
    const config = loadConfig({}, { ...SECRET_ENV, PSE_LISTEN_ADDRESS: "", PSE_METRICS_PATH: "", PSE_REFRESH_INTERVAL: "" });
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9717 });
    expect(config.metricsPath).toBe("/metrics");
    expect(config.refreshIntervalMs).toBe(900_000);
  });
});

describe("credential (PSE_CREDENTIAL and the AZURE_* variables)", () => {
  const CERTIFICATE_ENV = { AZURE_TENANT_ID: "tenant", AZURE_CLIENT_ID: "client", AZURE_CLIENT_CERTIFICATE_PATH: "/cert.pem" };

  it("uses a client secret when --credential client-secret names it", () => {
    expect(loadConfig({ credential: "client-secret" }, SECRET_ENV).credential).toEqual({
      kind: "client-secret",
      tenantId: "tenant",
      clientId: "client",
      clientSecret: "s3cret-value",
      authority: { host: undefined, disableInstanceDiscovery: false },
    });
  });

  it("uses a client certificate when --credential client-certificate names it", () => {
    expect(loadConfig({ credential: "client-certificate" }, CERTIFICATE_ENV).credential).toMatchObject({ kind: "client-certificate", certificatePath: "/cert.pem" });
  });

  it.each(["IDENTITY_ENDPOINT", "MSI_ENDPOINT"])("picks a system-assigned managed identity when only %s is set", (variable) => {
    expect(loadConfig({}, { [variable]: "http://169.254.169.254/msi/token" }).credential).toEqual({ kind: "managed-identity", clientId: undefined });
  });

  it("uses AZURE_CLIENT_ID, trimmed, as the user-assigned managed identity", () => {
    expect(loadConfig({ credential: "managed-identity" }, { AZURE_CLIENT_ID: " user-assigned-id\n" }).credential).toEqual({ kind: "managed-identity", clientId: "user-assigned-id" });
  });

  it("trims the AZURE_* values, so a value mounted from a file with a final newline works", () => {
    const credential = loadConfig({}, { AZURE_TENANT_ID: "tenant\n", AZURE_CLIENT_ID: " client ", AZURE_CLIENT_SECRET: "s3cret-value\n" }).credential;
    expect(credential).toMatchObject({ kind: "client-secret", tenantId: "tenant", clientId: "client", clientSecret: "s3cret-value" });
  });

  it("treats a blank AZURE_CLIENT_SECRET as missing, naming it", () => {
    expect(messageOf({ credential: "client-secret" }, { AZURE_TENANT_ID: "tenant", AZURE_CLIENT_ID: "client", AZURE_CLIENT_SECRET: "  " })).toBe(
      "AZURE_CLIENT_SECRET: is required for the client-secret credential",
    );
  });

  it.each<[string, Record<string, string>, string | undefined]>([
    ["the given password", { AZURE_CLIENT_CERTIFICATE_PASSWORD: "pfx-password" }, "pfx-password"],
    ["no password when the variable is empty", { AZURE_CLIENT_CERTIFICATE_PASSWORD: "" }, undefined],
    ["no password when the variable is unset", {}, undefined],
  ])("opens the client certificate with %s", (_name, env, password) => {
    const credential = loadConfig({}, { ...CERTIFICATE_ENV, ...env }).credential;
    expect(credential.kind === "client-certificate" && credential.certificatePassword).toBe(password);
  });

  it.each<[string | undefined, boolean]>([
    ["true", true],
    ["1", true],
    [" TRUE\n", true],
    ["True", true],
    ["false", false],
    ["0", false],
    ["yes", false],
    [undefined, false],
  ])("sends the certificate chain for AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=%j: %s", (value, sends) => {
    const credential = loadConfig({}, value === undefined ? CERTIFICATE_ENV : { ...CERTIFICATE_ENV, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: value }).credential;
    expect(credential.kind === "client-certificate" && credential.sendCertificateChain).toBe(sends);
  });
});

describe("AZURE_AUTHORITY_HOST", () => {
  it.each<[string, Record<string, string>]>([
    ["unset", {}],
    ["blank", { AZURE_AUTHORITY_HOST: "  " }],
  ])("uses the public cloud's authority with instance discovery when %s", (_name, env) => {
    const credential = loadConfig({}, { ...SECRET_ENV, ...env }).credential;
    expect(credential.kind === "client-secret" && credential.authority).toEqual({ host: undefined, disableInstanceDiscovery: false });
  });

  it.each(["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.microsoftonline.de"])("keeps instance discovery for the Microsoft authority %s", (host) => {
    const credential = loadConfig({}, { ...SECRET_ENV, AZURE_AUTHORITY_HOST: `https://${host}/` }).credential;
    expect(credential.kind === "client-secret" && credential.authority).toEqual({ host: `https://${host}`, disableInstanceDiscovery: false });
  });

  it("rejects a value that is no URL, naming the variable", () => {
    expect(messageOf({}, { ...SECRET_ENV, AZURE_AUTHORITY_HOST: "login.example.test" })).toBe('AZURE_AUTHORITY_HOST: "login.example.test" is not a URL');
  });
});

describe("describeConfig, the config as the startup log and check-config show it", () => {
  it("names the credential's kind, client and tenant", () => {
    expect(describeConfig(loadConfig({}, SECRET_ENV)).credential).toEqual({ kind: "client-secret", clientId: "client", tenantId: "tenant" });
  });

  it("shows no tenant for a managed identity, and no web config when none is set", () => {
    const described = describeConfig(loadConfig({ credential: "managed-identity" }, {}));
    expect(described.credential).toEqual({ kind: "managed-identity", clientId: undefined, tenantId: undefined });
    expect(described.webConfig).toBeUndefined();
  });
});

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

import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "node:http";
import bcrypt from "bcryptjs";
import { pino } from "pino";
import type { Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Exposition } from "../../src/metrics/exposition.js";
import type { ExpositionFormat } from "../../src/metrics/render.js";
import { createAccessControl } from "../../src/server/access.js";
import type { AccessControl } from "../../src/server/access.js";
import { createApp, negotiateFormat } from "../../src/server/app.js";
import { captureLogs } from "../helpers.js";

let server: Server | undefined;

/** An exposition held in several chunks, as the cache holds the Graph part and the self-metrics. */
function exposition(text: string, contentType = "text/plain"): Exposition {
  const whole = Buffer.from(text);
  const chunks = [whole.subarray(0, 3), whole.subarray(3, 5), whole.subarray(5)];
  return { chunks, length: whole.length, contentType, gzip: false };
}

async function serve(
  options: { ready?: boolean | (() => boolean); expose?: (format: ExpositionFormat, gzip: boolean) => Promise<Exposition>; access?: AccessControl; logger?: Logger } = {},
): Promise<string> {
  const app = createApp({
    metricsPath: "/metrics",
    ...(options.access ? { access: options.access } : {}),
    getExposition: options.expose ?? ((format, gzip) => Promise.resolve(exposition(`body ${format} ${gzip}\n`, `type/${format}`))),
    isReady: () => (typeof options.ready === "function" ? options.ready() : (options.ready ?? true)),
    landing: { name: "partner-security-exporter", version: "1.2.3", links: [{ href: "/metrics", text: "Metrics" }] },
    logger: options.logger ?? pino({ level: "silent" }),
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe("createApp", () => {
  it("serves the exposition with its content type and no X-Powered-By", async () => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("type/text");
    expect(response.headers.get("x-powered-by")).toBeNull();
    expect(await response.text()).toBe("body text false\n");
  });

  it("serves OpenMetrics when the scraper asks for it", async () => {
    const base = await serve();
    const accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const response = await fetch(`${base}/metrics`, { headers: { accept, "accept-encoding": "identity" } });
    expect(await response.text()).toBe("body openmetrics false\n");
  });

  it.each<[string, boolean]>([
    ["gzip", true],
    ["gzip, deflate", true],
    ["GZIP;q=1", true],
    ["gzip;q=0.5", true],
    ["gzip;q=0.001", true],
    ["deflate, gzip;q=0.8", true],
    ["identity", false],
    ["gzip;q=0", false],
    ["gzip ;q=0", false],
    ["gzip;q=0.000", false],
    ["deflate, gzip; q=0", false],
    ["gzipped", false],
    ["gzip;level=9", true],
    ["*", true],
    ["br, *;q=0.1", true],
    ["*;q=0", false],
    ["*;q=0, gzip", true],
    ["gzip;q=0, *", false],
  ])("asks for gzip when Accept-Encoding is %j: %s (gzip named or matched by *, with a weight above 0)", async (acceptEncoding, gzip) => {
    const asked: boolean[] = [];
    const base = await serve({
      expose: (_format, wanted) => {
        asked.push(wanted);
        return Promise.resolve(exposition("x"));
      },
    });
    await fetch(`${base}/metrics`, { headers: { "accept-encoding": acceptEncoding } });
    expect(asked).toEqual([gzip]);
  });

  it("answers /healthz always and /readyz only once ready", async () => {
    let ready = false;
    const base = await serve({ ready: () => ready });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it("answers probes, unknown paths and refused methods with one plain-text line", async () => {
    let ready = false;
    const base = await serve({ ready: () => ready });
    const replies = [await fetch(`${base}/healthz`), await fetch(`${base}/readyz`)];
    ready = true;
    replies.push(await fetch(`${base}/readyz`), await fetch(`${base}/nope`), await fetch(`${base}/metrics`, { method: "POST", body: "x" }));
    const seen = await Promise.all(replies.map(async (reply) => [reply.status, reply.headers.get("content-type"), await reply.text()]));
    expect(seen).toEqual([
      [200, "text/plain; charset=utf-8", "ok\n"],
      [503, "text/plain; charset=utf-8", "waiting for the first refresh\n"],
      [200, "text/plain; charset=utf-8", "ready\n"],
      [404, "text/plain; charset=utf-8", "not found\n"],
      [405, "text/plain; charset=utf-8", "method not allowed\n"],
    ]);
  });

  it("has a landing page at / exactly, and 404 elsewhere", async () => {
    const base = await serve();
    const landing = await fetch(base);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('<a href="/metrics">Metrics</a>');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/index.html`)).status).toBe(404);
    for (const path of ["//", "//?a=1"]) expect((await fetch(`${base}${path}`)).status).toBe(404);
    // A URL inside the path is no absolute-form target: this is not /metrics.
    expect((await fetch(`${base}/metricshttp://x`)).status).toBe(404);
  });

  it.each<[string, number, string]>([
    ["/metrics", 200, "body text false\n"],
    ["/METRICS/?x=1", 200, "body text false\n"],
    ["/healthz", 200, "ok\n"],
    ["", 200, "<!doctype html>"],
    ["/nope", 404, "not found\n"],
  ])("answers an absolute-form request target (GET http://host%s, as through a forward proxy) as its path", async (path, status, body) => {
    const base = await serve();
    const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const url = new URL(base);
      // node:http sends `path` as the request target as it is: here a whole URL (RFC 9112 §3.2.2).
      request({ host: url.hostname, port: url.port, path: `${base}${path}`, headers: { "accept-encoding": "identity" } }, (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode, body: text }));
      })
        .on("error", reject)
        .end();
    });
    expect(answer.status).toBe(status);
    expect(answer.body.toLowerCase().startsWith(body.toLowerCase())).toBe(true);
  });

  it("serves the landing page as HTML that a browser renders", async () => {
    const base = await serve();
    const landing = await fetch(base);
    expect(landing.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await landing.text()).toMatch(/^<!doctype html>/);
  });

  it("lets the landing page load nothing but its inline style, and sends no HSTS over plain HTTP", async () => {
    const base = await serve();
    const response = await fetch(base);
    const policy = new Map(
      (response.headers.get("content-security-policy") ?? "").split(";").map((directive) => {
        const [name = "", ...values] = directive.trim().split(/\s+/);
        return [name, values.join(" ")];
      }),
    );
    expect(policy.get("default-src")).toBe("'none'");
    expect(policy.get("style-src")).toBe("'unsafe-inline'");
    expect(policy.get("form-action")).toBe("'none'");
    expect(policy.get("frame-ancestors")).toBe("'none'");
    expect(response.headers.get("strict-transport-security")).toBeNull();
  });

  it("sends no X-Powered-By on any page", async () => {
    const base = await serve();
    for (const path of ["/", "/healthz", "/readyz", "/nope"]) expect((await fetch(`${base}${path}`)).headers.get("x-powered-by")).toBeNull();
  });

  it("sends security headers (helmet) with the landing page", async () => {
    const base = await serve();
    const response = await fetch(base);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("never parses a request body", async () => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body: "{".repeat(1_000_000) });
    expect(response.status).toBe(405);
  });

  it("answers HEAD without a body but with the body's length", async () => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { method: "HEAD", headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String("body text false\n".length));
    expect(await response.text()).toBe("");
  });

  it.each(["/metrics?debug=1", "/metrics/", "/METRICS"])("serves %s the same as /metrics", async (path) => {
    const base = await serve();
    const expected = await fetch(`${base}/metrics`, { headers: { "accept-encoding": "identity" } });
    const response = await fetch(`${base}${path}`, { headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(await expected.text());
    for (const header of ["content-type", "content-length", "vary"]) expect(response.headers.get(header)).toBe(expected.headers.get(header));
  });

  it("tells caches that the body depends on Accept and Accept-Encoding", async () => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get("vary")).toBe("Accept, Accept-Encoding");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("refuses %s with 405 and Allow", async (method) => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { method, body: method === "DELETE" ? undefined : "x" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 500 without a stack trace when the exposition fails, and logs the error for the operator", async () => {
    const logs = captureLogs();
    const base = await serve({ expose: () => Promise.reject(new Error("secret internals at /src/x.ts:1")), logger: pino(logs.stream) });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("internal error\n");
    const logged = logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } });
    expect(logged.map((entry) => [entry.level, entry.msg, entry.err?.message])).toEqual([[50, "request failed", "secret internals at /src/x.ts:1"]]);
  });

  it("cuts the connection when a scrape fails after its headers went out, so a scraper never takes a partial body for a whole one", async () => {
    // The second of three chunks cannot be read: the failure comes after the 200 and its Content-Length were written.
    const chunks = [Buffer.from("part"), Buffer.from("lost"), Buffer.from("end\n")];
    Object.defineProperty(chunks, 1, {
      get: () => {
        throw new Error("chunk unreadable");
      },
    });
    const base = await serve({ expose: () => Promise.resolve({ chunks, length: 12, contentType: "text/plain", gzip: false }) });
    const outcome = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((response) => response.text())
      .then(
        (body) => `a whole body: ${body}`,
        (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      );
    expect(outcome).toMatch(/^TypeError: (fetch failed|terminated)$/);
  });

  it("does not route a raw OPTIONS request", async () => {
    const base = await serve();
    const status = await new Promise<number | undefined>((resolve) => {
      request(`${base}/metrics`, { method: "OPTIONS" }, (response) => resolve(response.statusCode)).end();
    });
    expect(status).toBe(405);
  });
});

describe("createApp with a web config", () => {
  const hash = bcrypt.hashSync("s3cret", 4);
  const access = () =>
    createAccessControl({ path: "web.yml", tls: undefined, basicAuthUsers: new Map([["prometheus", hash]]), headers: { "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff" }, files: [], fingerprint: "" });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  it.each(["/metrics", "/metrics/"])("asks %s for basic auth and serves it with the right password", async (path) => {
    const base = await serve({ access: access() });
    const anonymous = await fetch(`${base}${path}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Basic");
    expect((await fetch(`${base}${path}`, { headers: { authorization: basic("prometheus", "wrong") } })).status).toBe(401);
    expect((await fetch(`${base}${path}`, { headers: { authorization: basic("nobody", "s3cret") } })).status).toBe(401);
    const allowed = await fetch(`${base}${path}`, { headers: { authorization: basic("prometheus", "s3cret"), "accept-encoding": "identity" } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe("body text false\n");
  });

  it("sets the configured headers on scrapes, refusals, probes, 404s and the landing page (over helmet's)", async () => {
    const base = await serve({ access: access() });
    const responses = [
      await fetch(`${base}/metrics`, { headers: { authorization: basic("prometheus", "s3cret") } }),
      await fetch(`${base}/metrics`),
      await fetch(`${base}/healthz`),
      await fetch(`${base}/metrics`, { method: "POST" }),
      await fetch(`${base}/nope`),
      await fetch(base, { headers: { authorization: basic("prometheus", "s3cret") } }),
    ];
    expect(responses.map((response) => response.status)).toEqual([200, 401, 200, 405, 404, 200]);
    for (const response of responses) expect(response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("leaves /healthz and /readyz open for probes", async () => {
    const base = await serve({ access: access() });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(base)).status).toBe(401);
  });
});

describe("negotiateFormat", () => {
  it.each<[string, string | undefined, "text" | "openmetrics"]>([
    ["no Accept", undefined, "text"],
    ["curl", "*/*", "text"],
    ["text only", "text/plain", "text"],
    ["OpenMetrics only", "application/openmetrics-text; version=1.0.0", "openmetrics"],
    ["Prometheus 2.42", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "openmetrics"],
    [
      "Prometheus 3.16",
      "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7,application/openmetrics-text;version=0.0.1;q=0.6,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.3",
      "openmetrics",
    ],
    ["Prometheus 3 with scrape_protocols [PrometheusText0.0.4, OpenMetricsText1.0.0]", "text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,*/*;q=0.3", "text"],
    ["OpenMetrics refused", "application/openmetrics-text;q=0, text/plain;q=0.1", "text"],
    ["OpenMetrics weighed below any type", "application/openmetrics-text;q=0.2,*/*;q=0.5", "text"],
    ["OpenMetrics weighed like text, listed second", "text/plain;q=0.5,Application/OpenMetrics-Text;q=0.5", "openmetrics"],
    ["OpenMetrics with a malformed weight", "application/openmetrics-text;q=high", "text"],
    ["text by text/*", "text/*;q=0.9,application/openmetrics-text;q=0.8", "text"],
    ["a type neither format is, weighed above OpenMetrics", "application/json;q=0.9,application/openmetrics-text;q=0.5", "openmetrics"],
  ])("%s: %s", (_who, accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

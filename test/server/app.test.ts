import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Exposition } from "../../src/metrics/exposition.js";
import type { ExpositionFormat } from "../../src/metrics/render.js";
import { createApp, negotiateFormat } from "../../src/server/app.js";

let server: Server | undefined;

async function serve(options: { ready?: boolean; expose?: (format: ExpositionFormat, gzip: boolean) => Promise<Exposition> } = {}): Promise<string> {
  const app = createApp({
    metricsPath: "/metrics",
    getExposition: options.expose ?? ((format, gzip) => Promise.resolve({ body: Buffer.from(`body ${format} ${gzip}\n`), contentType: `type/${format}`, gzip: false })),
    isReady: () => options.ready ?? true,
    landing: { name: "partner-security-exporter", version: "1.2.3", links: [{ href: "/metrics", text: "Metrics" }] },
    logger: pino({ level: "silent" }),
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

  it("asks for gzip only when the client accepts it", async () => {
    const asked: boolean[] = [];
    const base = await serve({
      expose: (_format, gzip) => {
        asked.push(gzip);
        return Promise.resolve({ body: Buffer.from("x"), contentType: "text/plain", gzip: false });
      },
    });
    await fetch(`${base}/metrics`, { headers: { "accept-encoding": "gzip, deflate" } });
    await fetch(`${base}/metrics`, { headers: { "accept-encoding": "identity" } });
    await fetch(`${base}/metrics`, { headers: { "accept-encoding": "gzip;q=0" } });
    expect(asked).toEqual([true, false, false]);
  });

  it("answers /healthz always and /readyz only once ready", async () => {
    const base = await serve({ ready: false });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it("has a landing page at / exactly, and 404 elsewhere", async () => {
    const base = await serve();
    const landing = await fetch(base);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('<a href="/metrics">Metrics</a>');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/index.html`)).status).toBe(404);
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

  it("answers HEAD without a body", async () => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("refuses %s with 405 and Allow", async (method) => {
    const base = await serve();
    const response = await fetch(`${base}/metrics`, { method, body: method === "DELETE" ? undefined : "x" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 500 without a stack trace when the exposition fails", async () => {
    const base = await serve({ expose: () => Promise.reject(new Error("secret internals at /src/x.ts:1")) });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("internal error\n");
  });

  it("does not route a raw OPTIONS request", async () => {
    const base = await serve();
    const status = await new Promise<number | undefined>((resolve) => {
      request(`${base}/metrics`, { method: "OPTIONS" }, (response) => resolve(response.statusCode)).end();
    });
    expect(status).toBe(405);
  });
});

describe("negotiateFormat", () => {
  it("picks text unless OpenMetrics is in Accept", () => {
    expect(negotiateFormat(undefined)).toBe("text");
    expect(negotiateFormat("text/plain")).toBe("text");
    expect(negotiateFormat("application/openmetrics-text; version=1.0.0")).toBe("openmetrics");
  });
});

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/simulator.js";
import { eventually, freePort, sampleValue, startTestSimulator } from "../helpers.js";

/** The built CLI, as the image runs it; `npm test` builds it first. */
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const SECRET = "proxy-test-secret-0123456789";

/** Node reads NODE_USE_ENV_PROXY from 24.5 (and 22.21); the image runs Node 24. */
function nodeFollowsEnvProxy(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/**
 * An HTTPS proxy (CONNECT) that is the only way to Graph and Entra ID: the exporter is told they
 * are at a port where nothing listens, and the proxy tunnels that address to the simulator.
 */
async function startProxy(unreachable: string, simulatorPort: number): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((_request, response) => response.writeHead(405).end());
  server.on("connect", (request, socket: Socket, head) => {
    tunnels.push(request.url ?? "");
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    const upstream = connect(request.url === unreachable ? simulatorPort : 1, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let simulator: Simulator | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  await simulator?.close();
});

describe("behind an HTTPS proxy (HTTPS_PROXY and NODE_USE_ENV_PROXY=1, README: The NetworkPolicy)", () => {
  it("knows which Node versions follow the proxy variables for fetch", () => {
    expect([nodeFollowsEnvProxy("20.20.2"), nodeFollowsEnvProxy("22.21.0"), nodeFollowsEnvProxy("24.4.0"), nodeFollowsEnvProxy("24.5.0"), nodeFollowsEnvProxy("25.0.0")]).toEqual([false, true, false, true, true]);
  });

  it(`${nodeFollowsEnvProxy() ? "reaches" : "on this Node (" + process.versions.node + ") does not reach"} Graph through the proxy, with the token from Entra ID through it too`, async () => {
    // Pages large enough for no nextLink: the simulator's would name its own address, not the proxied one.
    simulator = await startTestSimulator({ tenants: 4, pageSize: 1000, clients: { c: SECRET } });
    const simulatorPort = Number(new URL(simulator.url).port);
    const closedPort = await freePort();
    const unreachable = `localhost:${closedPort}`;
    const proxy = await startProxy(unreachable, simulatorPort);
    const port = await freePort();
    child = spawn(process.execPath, [CLI], {
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
        AZURE_TENANT_ID: "t",
        AZURE_CLIENT_ID: "c",
        AZURE_CLIENT_SECRET: SECRET,
        PSE_GRAPH_BASE_URL: `https://${unreachable}/`,
        AZURE_AUTHORITY_HOST: `https://${unreachable}`,
        PSE_LISTEN_ADDRESS: `127.0.0.1:${port}`,
        HTTPS_PROXY: proxy.url,
        NODE_USE_ENV_PROXY: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      const metrics = await eventually(
        "the first refresh to finish",
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`);
          return response.status === 200 ? (await fetch(`http://127.0.0.1:${port}/metrics`)).text() : undefined;
        },
        // Without the proxy, Graph's requests fail only after their retries (about 20 s).
        60_000,
      );
      // The token request follows HTTPS_PROXY on every Node (@azure/identity reads it itself).
      expect(proxy.tunnels).toContain(unreachable);
      expect(simulator.tokensIssued()).toBeGreaterThan(0);
      if (nodeFollowsEnvProxy()) {
        expect(sampleValue(metrics, "partner_security_exporter_refresh_success")).toBe(1);
        expect(sampleValue(metrics, "partner_security_customer_tenants")).toBe(4);
      } else {
        // Node's own fetch goes straight to the address, where nothing listens: documented.
        expect(sampleValue(metrics, "partner_security_exporter_refresh_success")).toBe(0);
        expect(sampleValue(metrics, "partner_security_exporter_refresh_failure_reason", { reason: "network" })).toBe(1);
      }
    } catch (error) {
      throw new Error(`${String(error)}; proxy tunnels: ${proxy.tunnels.join(", ")}; exporter: ${output}`, { cause: error });
    } finally {
      child.kill("SIGKILL");
      await proxy.close();
    }
  }, 90_000);
});

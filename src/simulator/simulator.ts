import { writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { RequirementOverride } from "./data.js";
import { createTokenIssuer } from "./entra.js";
import { createFaultQueue } from "./faults.js";
import type { Fault } from "./faults.js";
import { createLiveDataset } from "./live-dataset.js";
import { createRequestLog } from "./request-log.js";
import type { RecordedRequest } from "./request-log.js";
import { createRequestListener } from "./router.js";
import { generateTlsIdentity } from "./tls.js";
import type { TlsIdentity } from "./tls.js";

export type { SimulatedEndpoint } from "./endpoints.js";
export type { Fault } from "./faults.js";
export type { RecordedRequest } from "./request-log.js";

export interface SimulatorOptions {
  readonly port?: number;
  /** Where to listen, 127.0.0.1 when absent; `url` and `authorityHost` name it (the certificate covers 127.0.0.1 and localhost). */
  readonly host?: string;
  readonly seed?: number;
  readonly tenants?: number;
  readonly pageSize?: number;
  /** How often the data drifts a step. */
  readonly driftPeriodMs?: number;
  /** Lifetime of issued tokens. */
  readonly tokenLifetimeSeconds?: number;
  /** Where to write the certificate to trust; none when absent. */
  readonly caFile?: string;
  /** A fixed certificate instead of a fresh one (the trust store of a running process cannot change). */
  readonly tls?: TlsIdentity;
  /** When set, only these client id → secret pairs get tokens. */
  readonly clients?: Readonly<Record<string, string>>;
  readonly now?: () => number;
}

export interface Simulator {
  /** Graph root, e.g. `https://127.0.0.1:PORT/` (the exporter adds `/beta`). */
  readonly url: string;
  /** Entra ID authority host for AZURE_AUTHORITY_HOST. */
  readonly authorityHost: string;
  readonly cert: string;
  readonly caFile: string | undefined;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  setRequirement(id: string, override: RequirementOverride): void;
  setTenants(count: number): void;
  /** Invalidates every issued token, as an expiry or revocation would. */
  revokeTokens(): void;
  reset(): void;
  requests(): readonly RecordedRequest[];
  tokensIssued(): number;
  /** Client connections open right now (to check that clients close what they abandon). */
  openConnections(): number;
  close(): Promise<void>;
}

/** The https origin a client reaches a server listening on `host` at. */
export function httpsOrigin(host: string, port: number): string {
  // A wildcard address is where to listen, not where to connect, and the certificate does not name it.
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `https://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

/** The open client connections, so that close() can end them instead of waiting for them. */
function trackConnections(server: Server): ReadonlySet<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

function closeServer(server: Server, sockets: ReadonlySet<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

/** Starts the Graph and Entra ID simulator over HTTPS, on 127.0.0.1 unless `host` says otherwise. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  // Before the certificate, which can take a while: drift steps count from this call.
  const dataset = createLiveDataset({ seed: options.seed ?? 1, tenants: options.tenants ?? 50, driftPeriodMs: options.driftPeriodMs ?? 60_000, now });
  const tls = options.tls ?? (await generateTlsIdentity());
  if (options.caFile) writeFileSync(options.caFile, tls.cert);
  const faults = createFaultQueue();
  const tokens = createTokenIssuer({ clients: options.clients, lifetimeSeconds: options.tokenLifetimeSeconds ?? 3600, faults });
  const log = createRequestLog(now);

  const server = createServer({ key: tls.key, cert: tls.cert });
  const sockets = trackConnections(server);
  const host = options.host ?? "127.0.0.1";
  await listen(server, options.port ?? 0, host);
  const origin = httpsOrigin(host, (server.address() as AddressInfo).port);

  const simulator: Simulator = {
    url: `${origin}/`,
    authorityHost: origin,
    cert: tls.cert,
    caFile: options.caFile,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    setRequirement: (id, override) => dataset.setRequirement(id, override),
    setTenants: (count) => dataset.setTenants(count),
    revokeTokens: () => tokens.revokeAll(),
    reset() {
      faults.clear();
      dataset.reset();
      log.clear();
    },
    requests: () => log.entries(),
    tokensIssued: () => tokens.issuedCount(),
    openConnections: () => sockets.size,
    close: () => closeServer(server, sockets),
  };
  // Nothing has awaited since listen() resolved, so no request can have come in without this listener.
  const context = { base: simulator.url, pageSize: options.pageSize ?? 100, faults, tokens, dataset: () => dataset.current(), log, simulator };
  server.on("request", createRequestListener(context));
  return simulator;
}

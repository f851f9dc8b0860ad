import type { GraphClient } from "./client.js";
import { distinct, fetchCollection } from "./collection.js";
import type { CollectionOptions } from "./collection.js";
import { firstLine, GraphError } from "./errors.js";
import type { WarningSink } from "./schema.js";
import { SCORE_ENDPOINTS } from "./snapshot.js";
import type { CustomerName, Endpoint, GdapRelationship, OptionalEndpoint, SecurityAlert } from "./snapshot.js";
import { parseContract, parseGdapCustomer, parseGdapRelationship, parseSecurityAlert } from "./triage-schema.js";

/** Where customer names come from (PSE_CUSTOMER_NAMES). */
export const CUSTOMER_NAME_SOURCES = ["none", "gdap", "contracts"] as const;
export type CustomerNameSource = (typeof CUSTOMER_NAME_SOURCES)[number];

/** Which optional sources a refresh reads, from the settings. */
export interface OptionalSources {
  readonly customerNames: CustomerNameSource;
  readonly gdapRelationships: boolean;
  readonly securityAlerts: boolean;
}

export const NO_OPTIONAL_SOURCES: OptionalSources = Object.freeze({ customerNames: "none", gdapRelationships: false, securityAlerts: false });

/** What each optional endpoint needs and gives, for the one log line that says why it is left out. */
export const OPTIONAL_ENDPOINTS: Readonly<Record<OptionalEndpoint, { readonly permission: string; readonly off: string; readonly gives: string }>> = {
  delegatedAdminCustomers: { permission: "DelegatedAdminRelationship.Read.All", off: "PSE_CUSTOMER_NAMES=none", gives: "customer names" },
  delegatedAdminRelationships: { permission: "DelegatedAdminRelationship.Read.All", off: "PSE_GDAP_RELATIONSHIPS=false", gives: "GDAP relationship series" },
  contracts: { permission: "Directory.Read.All", off: "PSE_CUSTOMER_NAMES=none", gives: "customer names" },
  securityAlerts: { permission: "PartnerSecurity.Read.All", off: "PSE_SECURITY_ALERTS=false", gives: "partner security alert series" },
};

/** The application permission an endpoint needs: the score's own, PartnerSecurity.Read.All, unless it is optional and needs another. */
export function permissionFor(endpoint: Endpoint): string {
  return isOptional(endpoint) ? OPTIONAL_ENDPOINTS[endpoint].permission : "PartnerSecurity.Read.All";
}

function isOptional(endpoint: Endpoint): endpoint is OptionalEndpoint {
  return Object.hasOwn(OPTIONAL_ENDPOINTS, endpoint);
}

/** The optional endpoints the sources read, in ENDPOINTS order. */
export function optionalEndpoints(sources: OptionalSources): OptionalEndpoint[] {
  const read: OptionalEndpoint[] = [];
  if (sources.customerNames === "gdap") read.push("delegatedAdminCustomers");
  if (sources.gdapRelationships) read.push("delegatedAdminRelationships");
  if (sources.customerNames === "contracts") read.push("contracts");
  if (sources.securityAlerts) read.push("securityAlerts");
  return read;
}

/** Every endpoint a refresh reads with these sources: the score's four, then the optional ones that are on. */
export function endpointsRead(sources: OptionalSources): Endpoint[] {
  return [...SCORE_ENDPOINTS, ...optionalEndpoints(sources)];
}

/** Why an optional endpoint is left out, in one line that says what to do. */
export function unavailableReason(endpoint: OptionalEndpoint, error: unknown): string {
  const { permission, off, gives } = OPTIONAL_ENDPOINTS[endpoint];
  if (error instanceof GraphError && error.status === 403) {
    const code = error.code ? `, ${error.code}` : "";
    // The score is read with this same permission: a 403 here is Graph refusing the alerts API itself.
    const grant =
      permission === permissionFor("securityScore")
        ? `the permission it needs, ${permission}, is the score's own, so while the score is exported Graph refuses this API for the tenant: turn it off with ${off}`
        : `grant the app registration the Microsoft Graph application permission ${permission} with admin consent (it applies with the next token, within the hour, or at a restart), or turn it off with ${off}`;
    return `${endpoint}: access denied (HTTP 403${code}): ${grant}; ${gives} are left out`;
  }
  if (error instanceof GraphError && error.status === 404) return `${endpoint}: not found (HTTP 404) for this partner tenant; turn it off with ${off} if the tenant has none; ${gives} are left out`;
  const what = firstLine(error);
  // The client's errors already start with the endpoint.
  return `${what.startsWith(`${endpoint}:`) ? what : `${endpoint}: ${what}`}; ${gives} are left out of this refresh`;
}

/** What each optional endpoint gives. */
interface OptionalValues {
  readonly delegatedAdminCustomers: CustomerName;
  readonly contracts: CustomerName;
  readonly delegatedAdminRelationships: GdapRelationship;
  readonly securityAlerts: SecurityAlert;
}

/**
 * The last data each optional endpoint gave, kept across refreshes by whoever runs them: a passing
 * failure (a 5xx, a timeout, throttling that outlasts the retries) then does not drop the source's
 * series for a whole interval, which would resolve the alerts on them and fire them again. A 403 or
 * a 404 is no passing failure: its data is dropped at once.
 */
interface KeptData<E extends OptionalEndpoint> {
  readonly values: readonly OptionalValues[E][];
  readonly readAt: number;
}

export interface OptionalMemory {
  readonly lastGood: { [E in OptionalEndpoint]?: KeptData<E> };
  /** How long kept data may stand in (PSE_MAX_STALENESS); 0: for as long as the endpoint fails. */
  readonly maxAgeMs: number;
  readonly now: () => number;
}

export function createOptionalMemory(maxAgeMs: number, now: () => number = Date.now): OptionalMemory {
  return { lastGood: {}, maxAgeMs, now };
}

export interface OptionalOptions extends CollectionOptions {
  readonly warn: WarningSink;
  /** Told, once per refresh, each optional endpoint left out and why. */
  /**
   * An endpoint left out of this refresh: `reason` is the line to log, `outage` what stays the
   * same while one outage lasts (the reason without the age of the kept data), to log it once.
   */
  readonly unavailable: (endpoint: OptionalEndpoint, reason: string, outage: string) => void;
  /** The last good data to stand in for a passing failure; none kept without it. */
  readonly memory?: OptionalMemory;
  /** How long the optional sources may take; after it they are given up as a passing failure. */
  readonly budgetMs?: number;
}

/** What the optional sources gave; `undefined` for a source that is off or was left out. */
export interface OptionalData {
  readonly customerNames: readonly CustomerName[] | undefined;
  readonly gdapRelationships: readonly GdapRelationship[] | undefined;
  readonly securityAlerts: readonly SecurityAlert[] | undefined;
  /** False for an endpoint that did not answer in this refresh, even when kept data stands in. */
  readonly available: Partial<Record<OptionalEndpoint, boolean>>;
}

function isPassing(error: unknown): boolean {
  return !(error instanceof GraphError && (error.status === 403 || error.status === 404));
}

/** The kept data of a failed endpoint, if a passing failure may use it. */
function keptFor<E extends OptionalEndpoint>(endpoint: E, error: unknown, memory: OptionalMemory | undefined): { values: readonly OptionalValues[E][]; minutes: number } | undefined {
  const kept = memory?.lastGood[endpoint];
  if (!memory || !kept) return undefined;
  if (!isPassing(error)) {
    delete memory.lastGood[endpoint];
    return undefined;
  }
  const ageMs = memory.now() - kept.readAt;
  if (memory.maxAgeMs > 0 && ageMs > memory.maxAgeMs) return undefined;
  return { values: kept.values, minutes: Math.round(ageMs / 60_000) };
}

/**
 * Reads the optional sources that are on, concurrently. Their failure, whatever it is, never fails
 * the refresh (unless the refresh itself was aborted): the source is left out, or after a passing
 * failure its last good data stands in.
 */
export async function fetchOptional(client: GraphClient, sources: OptionalSources, options: OptionalOptions): Promise<OptionalData> {
  const available: Partial<Record<OptionalEndpoint, boolean>> = {};
  const { warn, memory, budgetMs } = options;
  if (optionalEndpoints(sources).length === 0) return { customerNames: undefined, gdapRelationships: undefined, securityAlerts: undefined, available };
  const giveUp = new AbortController();
  const budget = giveUp.signal;
  const timer = budgetMs ? setTimeout(() => giveUp.abort(new Error("optional sources' budget spent")), budgetMs) : undefined;
  const reading = { ...options, signal: AbortSignal.any([options.signal, budget]) };
  async function read<E extends OptionalEndpoint>(endpoint: E, parse: (item: unknown, warn: WarningSink) => OptionalValues[E] | undefined, key: (value: OptionalValues[E]) => string): Promise<readonly OptionalValues[E][] | undefined> {
    if (!optionalEndpoints(sources).includes(endpoint)) return undefined;
    try {
      const values = await fetchCollection(client, endpoint, reading, distinct(endpoint, parse, key, warn));
      available[endpoint] = true;
      // (Object.assign: TypeScript cannot check a write through a generic key of a mapped type.)
      if (memory) Object.assign(memory.lastGood, { [endpoint]: { values, readAt: memory.now() } satisfies KeptData<E> });
      return values;
    } catch (error) {
      if (options.signal.aborted) throw error;
      available[endpoint] = false;
      const kept = keptFor(endpoint, error, memory);
      const reason = budget.aborted ? `${endpoint}: not read within ${Math.round((budgetMs ?? 0) / 1000)}s, its share of the refresh deadline; ${OPTIONAL_ENDPOINTS[endpoint].gives} are left out of this refresh` : unavailableReason(endpoint, error);
      if (kept) options.unavailable(endpoint, reason.replace(/ are left out of this refresh$/, ` keep the data read ${kept.minutes} min ago`), `kept: ${reason}`);
      else options.unavailable(endpoint, reason, reason);
      return kept?.values;
    }
  }
  const byTenant = (name: CustomerName): string => name.tenantId;
  const [gdapNames, contractNames, gdapRelationships, securityAlerts] = await Promise.all([
    read("delegatedAdminCustomers", parseGdapCustomer, byTenant),
    read("contracts", parseContract, byTenant),
    read("delegatedAdminRelationships", parseGdapRelationship, (relationship) => relationship.id),
    read("securityAlerts", parseSecurityAlert, (alert) => alert.id),
  ]).finally(() => clearTimeout(timer));
  return { customerNames: gdapNames ?? contractNames, gdapRelationships, securityAlerts, available };
}

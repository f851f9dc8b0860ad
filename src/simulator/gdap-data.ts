/**
 * GDAP relationships, the GDAP customers they make, and the partner's contracts, shaped as
 * docs/graph-triage-sources.md sections 1-3 describe them. Deterministic like data.ts; timestamps are
 * relative to the step's "now", so the share of relationships about to end stays the same over time.
 */
import { customerNames } from "./customer-names.js";
import type { CustomerNames } from "./customer-names.js";
import { graphTime, guid, pick, seededFraction } from "./data.js";
import type { DatasetOptions, Json } from "./data.js";
import { generatedList } from "./item-list.js";
import type { ItemList } from "./item-list.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
export const GLOBAL_ADMINISTRATOR_ROLE = "62e90394-69f5-4237-9190-012177145e10";
/** Built-in Entra role templates GDAP relationships commonly grant (Global Administrator apart). */
const ROLES = [
  "88d8e3e3-8f55-4a1e-953a-9b9898b8876b", // Directory Readers
  "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
  "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
  "5d6b6bb7-de71-4623-b4af-96380a352509", // Security Reader
  "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
  "29232cdf-9323-42fd-ade2-1d097af3e4de", // Exchange Administrator
  "4d6ac14f-3453-41d0-bef9-a3e0c569773a", // License Administrator
  "f023fd81-a637-4b56-95fd-791ac0226033", // Service Support Administrator
  "69091246-20e8-4a56-aa4d-066075b2a7a8", // Teams Administrator
  "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", // SharePoint Administrator
  "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
  "158c047a-c907-4556-b7ef-446551a6b5f7", // Cloud Application Administrator
];
/** 60% two years (the maximum), 30% one year, 10% 90 days. */
const DURATION_DAYS = [730, 730, 730, 730, 730, 730, 365, 365, 365, 90];
const NAME_PREFIXES = ["GDAP", "GDAP Default", "Support", "MS Partner", "Managed Services", "MLT"];
/** The status of a customer's second relationship, with its weight. */
const SECOND_STATUSES: ReadonlyArray<readonly [string, number]> = [
  ["active", 0.45], ["expired", 0.2], ["terminated", 0.12], ["approvalPending", 0.08], ["created", 0.04],
  ["activating", 0.03], ["expiring", 0.02], ["terminating", 0.02], ["terminationRequested", 0.02], ["approved", 0.02],
];
const CONTRACT_TYPES = [...Array<string>(95).fill("ResellerPartner"), "SyndicationPartner", "SyndicationPartner", "BreadthPartner", "BreadthPartner", "BreadthPartner"];

interface Plan {
  readonly status: string;
  readonly endInDays?: number;
  /** `null` is sent as null; absent means chosen at random. */
  readonly autoExtend?: string | null;
  readonly globalAdmin?: boolean;
  readonly reseller?: boolean;
}

/** Fixed relationships in the slots of `index % 500`, so that small datasets show every case. */
const SHOWCASE: ReadonlyMap<number, readonly Plan[]> = new Map<number, readonly Plan[]>([
  // A member Graph may add to the enum later (slot 13 has the one it sends for such today).
  [10, [{ status: "active" }, { status: "suspended" }]],
  [11, [{ status: "active", endInDays: 3, autoExtend: "PT0S", globalAdmin: false }]],
  [12, [{ status: "active", endInDays: 20, autoExtend: "P0D", globalAdmin: false }]],
  [13, [{ status: "active", globalAdmin: true, endInDays: 25 }, { status: "unknownFutureValue" }]],
  [14, [{ status: "active", autoExtend: null, globalAdmin: false }, { status: "approvalPending", reseller: true }]],
  [15, [{ status: "active", reseller: true }, { status: "expired" }]],
  // Customers whose relationships are not active: in the relationships, not in delegatedAdminCustomers.
  [16, [{ status: "terminated" }]],
  [17, [{ status: "created" }]],
  [18, [{ status: "active" }, { status: "activating" }]],
]);

// Shared, since most tenants have one of these few plans.
const ACTIVE: readonly Plan[] = [{ status: "active" }];
const WITH_SECOND = new Map(SECOND_STATUSES.map(([status]) => [status, [{ status: "active" }, { status }] as const]));
const ONLY = { expired: [{ status: "expired" }], terminated: [{ status: "terminated" }], approvalPending: [{ status: "approvalPending" }], created: [{ status: "created" }] } as const;

function weighted(choices: ReadonlyArray<readonly [string, number]>, fraction: number): string {
  let left = fraction;
  for (const [value, weight] of choices) {
    if (left < weight) return value;
    left -= weight;
  }
  return choices[0]?.[0] ?? "";
}

/** About 95% of customers have an active relationship (a third of them a second one), the rest a lapsed or pending one or none. */
function plansOf(seed: number, index: number): readonly Plan[] {
  const slot = index % 500;
  const showcase = SHOWCASE.get(slot);
  if (showcase) return showcase;
  const kind = seededFraction(seed, index, 40);
  const next = seededFraction(seed, index, 42);
  // The first slots carry the name quirks; their customers must be GDAP customers to show them.
  if (kind < 0.95 || slot < 10) return seededFraction(seed, index, 41) < 0.35 ? (WITH_SECOND.get(weighted(SECOND_STATUSES, next)) ?? ACTIVE) : ACTIVE;
  if (kind < 0.985) return next < 0.6 ? ONLY.expired : ONLY.terminated;
  return next < 0.5 ? ONLY.approvalPending : next < 0.8 ? ONLY.created : [];
}

/** A weak ETag as Graph sends it: base64 of a quoted version id ending in the hex Unix time. */
export function etag(fraction: number, modifiedMs: number): string {
  const version = `'"${Math.floor(fraction * 2 ** 32).toString(16).padStart(8, "0")}-0000-0200-0000-${Math.floor(modifiedMs / 1000).toString(16)}0000"'`;
  return `W/"${Buffer.from(version).toString("base64")}"`;
}

interface Timeline {
  readonly created: number;
  readonly activated: number | null;
  readonly end: number | null;
  readonly modified: number;
}

/** Active ones: about 1% end within 7 days and 3% more within 30; the rest later, never beyond their duration. */
function remainingDays(plan: Plan, durationDays: number, fraction: number): number {
  if (plan.endInDays !== undefined) return plan.endInDays;
  if (fraction < 0.01) return 0.5 + (fraction / 0.01) * 6.5;
  if (fraction < 0.04) return 7 + ((fraction - 0.01) / 0.03) * 23;
  return 30 + ((fraction - 0.04) / 0.96) * (durationDays - 30);
}

/** endDateTime = activatedDateTime + duration; null until activated. */
function timeline(plan: Plan, durationDays: number, now: number, f: (k: number) => number): Timeline {
  const duration = durationDays * DAY;
  const approval = (5 + f(10) * 4000) * MINUTE;
  switch (plan.status) {
    case "created":
    case "approvalPending": {
      // Requests expire after 90 days without the customer's approval.
      const created = now - f(11) * 85 * DAY;
      return { created, activated: null, end: null, modified: created };
    }
    case "approved":
    case "activating":
      return { created: now - approval, activated: null, end: null, modified: now - f(12) * 10 * MINUTE };
    case "expired":
    case "expiring": {
      const end = plan.status === "expired" ? now - (1 + f(11) * 400) * DAY : now - f(11) * DAY;
      return { created: end - duration - approval, activated: end - duration, end, modified: end };
    }
    case "terminated": {
      const activated = now - (10 + f(11) * 700) * DAY;
      const end = activated + f(12) * Math.min(duration, now - activated);
      return { created: activated - approval, activated, end, modified: end };
    }
    default: {
      // Active, and the states of a running relationship (terminationRequested, terminating, new members).
      const end = now + remainingDays(plan, durationDays, f(14)) * DAY;
      const activated = end - duration;
      return { created: activated - approval, activated, end, modified: activated + f(13) * (now - activated) };
    }
  }
}

/** Relationships with Global Administrator never auto-extend; about 70% of the other active ones do. */
function autoExtendOf(plan: Plan, globalAdmin: boolean, fraction: number): string | null {
  if (globalAdmin) return "PT0S";
  if (plan.autoExtend !== undefined) return plan.autoExtend;
  if (plan.status === "active") return fraction < 0.7 ? "P180D" : fraction < 0.9 ? "PT0S" : "P0D";
  return fraction < 0.8 ? "PT0S" : fraction < 0.9 ? "P0D" : "P180D";
}

function rolesOf(globalAdmin: boolean, f: (k: number) => number): Json[] {
  const start = Math.floor(f(5) * ROLES.length);
  const ids = Array.from({ length: 1 + Math.floor(f(4) * 6) }, (_, k) => ROLES[(start + k) % ROLES.length] ?? "");
  return (globalAdmin ? [GLOBAL_ADMINISTRATOR_ROLE, ...ids] : ids).map((roleDefinitionId) => ({ roleDefinitionId }));
}

/** At most 50 characters and unique: the tenant index and relationship number end it. */
function relationshipName(prefix: string, name: string | null, index: number, r: number): string {
  const suffix = `${index}-${r}`;
  const room = 50 - prefix.length - suffix.length - 2;
  return `${prefix} ${(name ?? "Customer").replace(/\s+/g, " ").slice(0, room)} ${suffix}`;
}

interface Customer {
  /** The partner's own tenant id, the second half of every relationship id. */
  readonly partnerTenantId: string;
  readonly index: number;
  readonly tenantId: string;
  readonly names: CustomerNames;
}

function relationship(options: DatasetOptions, customer: Customer, r: number, plan: Plan): Json {
  const { seed, now } = options;
  const f = (k: number): number => seededFraction(seed, customer.index, r, k);
  const durationDays = pick(DURATION_DAYS, f(1));
  const globalAdmin = plan.globalAdmin ?? f(2) < 0.12;
  const reseller = plan.reseller ?? f(3) < 0.02;
  const time = timeline(plan, durationDays, now, f);
  const orNull = (ms: number | null): string | null => (ms === null ? null : graphTime(ms));
  return {
    "@odata.type": reseller ? "#microsoft.graph.resellerDelegatedAdminRelationship" : "#microsoft.graph.delegatedAdminRelationship",
    "@odata.etag": etag(f(7), time.modified),
    // `<id>-<partner tenant id>`, as the docs' examples are; unique, as index * 4 + r (r < 2) is.
    id: `${guid(seed, customer.index * 4 + r, 50)}-${customer.partnerTenantId}`,
    displayName: relationshipName(pick(NAME_PREFIXES, f(6)), customer.names.directoryName, customer.index, r),
    duration: `P${durationDays}D`,
    customer: { tenantId: customer.tenantId, displayName: customer.names.directoryName },
    accessDetails: { unifiedRoles: rolesOf(globalAdmin, f) },
    status: plan.status,
    autoExtendDuration: autoExtendOf(plan, globalAdmin, f(15)),
    createdDateTime: graphTime(time.created),
    lastModifiedDateTime: graphTime(time.modified),
    activatedDateTime: orNull(time.activated),
    endDateTime: orNull(time.end),
    ...(reseller ? { isPartnerConsentPending: plan.status === "approvalPending" || plan.status === "created", indirectProviderTenantId: guid(seed, 960 + Math.floor(f(8) * 3)) } : {}),
  };
}

export interface GdapData {
  /** delegatedAdminCustomers: the customers with at least one active relationship. */
  readonly customers: ItemList;
  readonly relationships: ItemList;
}

function gdapCustomer(options: DatasetOptions, customer: Customer): Json {
  const { seed, now } = options;
  return {
    "@odata.type": "#microsoft.graph.delegatedAdminCustomer",
    "@odata.etag": etag(seededFraction(seed, customer.index, 43), now - seededFraction(seed, customer.index, 44) * 300 * DAY),
    id: customer.tenantId,
    tenantId: customer.tenantId,
    displayName: customer.names.directoryName,
  };
}

/**
 * The GDAP data of the customer tenants whose ids are given (customerInsights' tenant ids, in its
 * order). Only which tenant has which relationships is worked out here; the items are made per page.
 */
export function gdapData(options: DatasetOptions, tenantIds: readonly string[]): GdapData {
  const { seed } = options;
  const partnerTenantId = guid(seed, 999);
  const relationshipTenant: number[] = [];
  const relationshipNumber: number[] = [];
  const customerTenant: number[] = [];
  tenantIds.forEach((_, index) => {
    const plans = plansOf(seed, index);
    plans.forEach((_plan, r) => {
      relationshipTenant.push(index);
      relationshipNumber.push(r);
    });
    if (plans.some((plan) => plan.status === "active")) customerTenant.push(index);
  });
  const customerAt = (index: number): Customer => ({ partnerTenantId, index, tenantId: tenantIds[index] ?? "", names: customerNames(seed, index) });
  return {
    customers: generatedList(customerTenant.length, (i) => gdapCustomer(options, customerAt(customerTenant[i] ?? 0))),
    relationships: generatedList(relationshipTenant.length, (i) => {
      const index = relationshipTenant[i] ?? 0;
      const r = relationshipNumber[i] ?? 0;
      return relationship(options, customerAt(index), r, plansOf(seed, index)[r] ?? { status: "active" });
    }),
  };
}

/** One contract per customer tenant; its name and domain are copies from when the partnership began. */
export function contracts(options: DatasetOptions, tenantIds: readonly string[]): ItemList {
  return generatedList(tenantIds.length, (index) => {
    const names = customerNames(options.seed, index);
    return {
      id: guid(options.seed, index, 90),
      contractType: pick(CONTRACT_TYPES, seededFraction(options.seed, index, 91)),
      customerId: tenantIds[index],
      defaultDomainName: names.defaultDomainName,
      displayName: names.contractName,
    };
  });
}

import { describe, expect, it } from "vitest";
import { securityAlerts } from "../../src/simulator/alert-data.js";
import { customers } from "../../src/simulator/data.js";
import { GLOBAL_ADMINISTRATOR_ROLE, contracts, gdapData } from "../../src/simulator/gdap-data.js";
import type { ItemList } from "../../src/simulator/item-list.js";
import { collectionContext } from "../../src/simulator/paging.js";

interface Relationship {
  id: string;
  displayName: string;
  status: string;
  autoExtendDuration: string | null;
  activatedDateTime: string | null;
  endDateTime: string | null;
  accessDetails: { unifiedRoles: Array<{ roleDefinitionId: string }> };
}
interface Alert {
  id: string;
  status: string;
  severity: string;
  alertType: string;
  customerTenantId: string;
  detectedDateTime: string;
  resolvedOnDateTime: string | null;
  resolvedReason: string | null;
  additionalDetails: Record<string, unknown>;
}
interface Contract {
  contractType: string;
  customerId: string;
  defaultDomainName: string | null;
}
const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const GDAP_STATUSES = ["activating", "active", "approvalPending", "approved", "created", "expired", "expiring", "terminated", "terminating", "terminationRequested", "unknownFutureValue"];

function items<T>(list: ItemList): T[] {
  return list.slice(0, list.length) as T[];
}

function dataset(tenants: number, seed = 5) {
  const options = { seed, tenants, step: 0, now: NOW };
  const tenantIds = customers(options).map((item) => String(item.tenantId));
  const gdap = gdapData(options, tenantIds);
  return {
    customers: items<{ tenantId: string }>(gdap.customers),
    relationships: items<Relationship>(gdap.relationships),
    contracts: items<Contract>(contracts(options, tenantIds)),
    alerts: items<Alert>(securityAlerts(options, tenantIds)),
  };
}

describe("the simulated triage data at 10,000 tenants", () => {
  const data = dataset(10_000);
  const active = data.relationships.filter((item) => item.status === "active");

  it("has a GDAP customer for about 95% of tenants and one contract each, mostly ResellerPartner", () => {
    expect(data.customers.length / 10_000).toBeGreaterThan(0.93);
    expect(data.customers.length / 10_000).toBeLessThan(0.97);
    expect(data.contracts).toHaveLength(10_000);
    expect(data.contracts.filter((item) => item.contractType === "ResellerPartner").length / 10_000).toBeGreaterThan(0.9);
    expect(new Set(data.contracts.map((item) => item.defaultDomainName).filter(Boolean)).size).toBe(data.contracts.filter((item) => item.defaultDomainName !== null).length);
  });

  it("has unique relationships of at most 50-character names, mostly active, a few ending within 7 and 30 days", () => {
    expect(new Set(data.relationships.map((item) => item.id)).size).toBe(data.relationships.length);
    expect(new Set(data.relationships.map((item) => item.displayName)).size).toBe(data.relationships.length);
    expect(Math.max(...data.relationships.map((item) => String(item.displayName).length))).toBeLessThanOrEqual(50);
    expect(data.relationships.every((item) => /^[0-9a-f-]{36}-[0-9a-f-]{36}$/.test(item.id))).toBe(true);
    expect(active.length / data.relationships.length).toBeGreaterThan(0.7);
    const endingWithin = (days: number) => active.filter((item) => Date.parse(String(item.endDateTime)) - NOW < days * DAY).length / active.length;
    expect(endingWithin(7)).toBeGreaterThan(0.003);
    expect(endingWithin(30)).toBeGreaterThan(0.02);
    expect(endingWithin(30)).toBeLessThan(0.1);
    expect(active.every((item) => Date.parse(String(item.endDateTime)) > NOW && Date.parse(String(item.activatedDateTime)) <= NOW)).toBe(true);
  });

  it("auto-extends about 60% of active relationships and never one with Global Administrator", () => {
    const extending = active.filter((item) => item.autoExtendDuration === "P180D").length / active.length;
    expect(extending).toBeGreaterThan(0.5);
    expect(extending).toBeLessThan(0.7);
    const globalAdmin = data.relationships.filter((item) => item.accessDetails.unifiedRoles.some((role) => role.roleDefinitionId === GLOBAL_ADMINISTRATOR_ROLE));
    expect(globalAdmin.length).toBeGreaterThan(0);
    expect(globalAdmin.filter((item) => item.autoExtendDuration === "P180D")).toEqual([]);
    expect(new Set(active.map((item) => item.autoExtendDuration))).toEqual(new Set(["P180D", "PT0S", "P0D", null]));
  });

  it("leaves the dates of relationships not yet activated null", () => {
    const pending = data.relationships.filter((item) => ["created", "approvalPending", "approved", "activating"].includes(item.status));
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((item) => item.activatedDateTime === null && item.endDateTime === null)).toBe(true);
    expect(data.relationships.some((item) => !GDAP_STATUSES.includes(item.status))).toBe(true);
  });

  it("gives alerts to 3-5% of tenants, mostly resolved, with unique ids and resolution fields only when resolved", () => {
    const alerted = new Set(data.alerts.map((item) => item.customerTenantId)).size / 10_000;
    expect(alerted).toBeGreaterThan(0.03);
    expect(alerted).toBeLessThan(0.05);
    expect(new Set(data.alerts.map((item) => item.id)).size).toBe(data.alerts.length);
    expect(data.alerts.filter((item) => item.status === "resolved").length / data.alerts.length).toBeGreaterThan(0.5);
    for (const item of data.alerts) {
      const resolved = item.status === "resolved";
      expect(item.resolvedOnDateTime === null, item.id).toBe(!resolved);
      expect(item.resolvedReason === null, item.id).toBe(!resolved);
      expect(Date.parse(item.detectedDateTime)).toBeLessThanOrEqual(NOW);
      if (resolved) expect(Date.parse(String(item.resolvedOnDateTime))).toBeLessThanOrEqual(NOW);
      expect(Object.values(item.additionalDetails).every((value) => typeof value === "string"), item.id).toBe(true);
    }
    expect(new Set(data.alerts.map((item) => item.alertType)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(data.alerts.map((item) => item.severity))).toEqual(new Set(["informational", "low", "medium", "high"]));
  });
});

describe("the simulated triage data's edges", () => {
  it("is empty for no tenants", () => {
    const data = dataset(0);
    expect([data.customers, data.relationships, data.contracts, data.alerts]).toEqual([[], [], [], []]);
  });

  it("grows with the tenant count", () => {
    const small = dataset(1_000);
    const large = dataset(10_000);
    expect(large.relationships.length / small.relationships.length).toBeGreaterThan(8);
    expect(large.alerts.length / small.alerts.length).toBeGreaterThan(6);
  });

  it("names each collection in @odata.context as Graph does", () => {
    const base = "https://127.0.0.1:1/";
    expect(collectionContext(base, "/beta/security/partner/securityScore/customerInsights")).toBe(`${base}beta/$metadata#security/partner/securityScore/customerInsights`);
    expect(collectionContext(base, "/beta/contracts")).toBe(`${base}beta/$metadata#contracts`);
    expect(collectionContext(base, "/beta/tenantRelationships/delegatedAdminRelationships")).toBe(`${base}beta/tenantRelationships/$metadata#delegatedAdminRelationships`);
  });
});

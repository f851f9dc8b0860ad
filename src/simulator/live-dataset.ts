import { securityAlerts } from "./alert-data.js";
import { customers, history, requirements, score } from "./data.js";
import type { DatasetOptions, Json, RequirementOverride } from "./data.js";
import { contracts, gdapData } from "./gdap-data.js";
import type { GdapData } from "./gdap-data.js";
import type { ItemList } from "./item-list.js";

export interface LiveDatasetOptions {
  readonly seed: number;
  readonly tenants: number;
  /** How often the data drifts a step. */
  readonly driftPeriodMs: number;
  readonly now: () => number;
}

/** One consistent snapshot of everything the Graph endpoints serve. */
export interface Dataset {
  readonly tenantList: readonly unknown[];
  readonly requirementList: readonly unknown[];
  readonly singleton: unknown;
  readonly historyList: readonly unknown[];
  /**
   * The triage sources: which tenant has what is worked out on first use (a benchmark that never asks
   * pays nothing), and the items themselves are made a page at a time (see item-list.ts).
   */
  readonly gdapCustomerList: ItemList;
  readonly relationshipList: ItemList;
  readonly contractList: ItemList;
  readonly alertList: ItemList;
}

/** The value of `make`, computed on the first call. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** A dataset whose triage lists are computed when first read. */
function snapshot(current: DatasetOptions, tenantList: Json[], overrides: ReadonlyMap<string, RequirementOverride>): Dataset {
  const requirementList = requirements(current, tenantList, overrides);
  const singleton = score(current, requirementList);
  // The triage sources name the same customer tenants as customerInsights, in its order.
  const tenantIds = once(() => tenantList.map((item) => String(item.tenantId)));
  const gdap = once((): GdapData => gdapData(current, tenantIds()));
  const contractList = once(() => contracts(current, tenantIds()));
  const alertList = once(() => securityAlerts(current, tenantIds()));
  return {
    tenantList,
    requirementList,
    singleton,
    historyList: history(current, singleton, requirementList),
    get gdapCustomerList() {
      return gdap().customers;
    },
    get relationshipList() {
      return gdap().relationships;
    },
    get contractList() {
      return contractList();
    },
    get alertList() {
      return alertList();
    },
  };
}

/** The data the simulator serves now, and the controls that change it. */
export interface LiveDataset {
  current(): Dataset;
  setRequirement(id: string, override: RequirementOverride): void;
  setTenants(count: number): void;
  /** Back to the tenant count it started with and no requirement overrides. */
  reset(): void;
}

/** Drift steps count from this call. */
export function createLiveDataset(options: LiveDatasetOptions): LiveDataset {
  const { seed, driftPeriodMs, now } = options;
  const startedAt = now();
  let tenants = options.tenants;
  const overrides = new Map<string, RequirementOverride>();

  // Every page of one drift step reads the same data; generating 10,000 tenants per page request
  // would make the simulator, not the exporter, the slow part of a benchmark.
  let overridesVersion = 0;
  let cached: { key: string; data: Dataset } | undefined;

  function generate(step: number): Dataset {
    // Timestamps move with the drift step, so the data is one consistent snapshot per step.
    const current = { seed, tenants, step, now: startedAt + step * driftPeriodMs };
    return snapshot(current, customers(current), overrides);
  }

  return {
    current() {
      const step = Math.floor((now() - startedAt) / driftPeriodMs);
      const key = `${step}/${tenants}/${overridesVersion}`;
      if (cached?.key !== key) cached = { key, data: generate(step) };
      return cached.data;
    },
    setRequirement(id, override) {
      overrides.set(id, { ...overrides.get(id), ...override });
      overridesVersion++;
    },
    setTenants(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new Error(`tenant count ${count} is not a whole number`);
      tenants = count;
    },
    reset() {
      overrides.clear();
      overridesVersion++;
      tenants = options.tenants;
    },
  };
}

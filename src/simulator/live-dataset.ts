import { customers, history, requirements, score } from "./data.js";
import type { RequirementOverride } from "./data.js";

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
    const tenantList = customers(current);
    const requirementList = requirements(current, tenantList, overrides);
    const singleton = score(current, requirementList);
    return { tenantList, requirementList, singleton, historyList: history(current, singleton, requirementList) };
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

import type { CustomerInsight, MfaPolicies, PolicyEnabled, Requirement, RequirementDetails, Snapshot } from "../graph/snapshot.js";
import type { Sample } from "./contract.js";
import { MFA_POLICIES } from "./customer-series.js";
import type { CustomerCounts } from "./customer-series.js";
import type { SnapshotSummary } from "./summary.js";

// How the rows of GRAPH_METRICS read their samples from a snapshot; each sample's label values
// follow its row's labelNames.

const NO_LABEL_VALUES: readonly string[] = Object.freeze([]);

/** One sample, or none when Graph did not say (absent data stays absent). */
export function sampleIfKnown(value: number | undefined, labelValues: readonly string[] = NO_LABEL_VALUES): Sample[] {
  return value === undefined ? [] : [{ labelValues, value }];
}

/** A sample per MFA policy whose state Graph knows, labelled by `policy` after the given values. */
export function* policySamples(policies: MfaPolicies, labelValues: readonly string[] = NO_LABEL_VALUES): Generator<Sample> {
  for (const [policy, key] of MFA_POLICIES) {
    const value = policyValue(policies[key]);
    if (value !== undefined) yield { labelValues: [...labelValues, policy], value };
  }
}

function policyValue(enabled: PolicyEnabled): number | undefined {
  return enabled === undefined ? undefined : Number(enabled);
}

/** The values of REQUIREMENT_LABELS. */
export function requirementLabelValues(requirement: Requirement): readonly string[] {
  return [requirement.id, requirement.type];
}

/** Typed requirements carry the counts; a second one of the same kind would repeat the same series, so the first wins. */
export function detailsOf<K extends RequirementDetails["kind"]>(snapshot: Snapshot, kind: K): Extract<RequirementDetails, { kind: K }> | undefined {
  for (const requirement of snapshot.requirements) {
    const details = requirement.details;
    if (isKind(details, kind)) return details;
  }
  return undefined;
}

function isKind<K extends RequirementDetails["kind"]>(details: RequirementDetails, kind: K): details is Extract<RequirementDetails, { kind: K }> {
  return details.kind === kind;
}

export function perRequirement(read: (requirement: Requirement) => number | undefined) {
  return (snapshot: Snapshot): Sample[] => snapshot.requirements.flatMap((requirement) => sampleIfKnown(read(requirement), requirementLabelValues(requirement)));
}

/** A state set: per requirement, 1 on its current state and 0 on the others, the state as the last label. */
export function stateset<T extends string>(states: readonly T[], read: (requirement: Requirement) => T) {
  return (snapshot: Snapshot): Sample[] =>
    snapshot.requirements.flatMap((requirement) => states.map((state) => ({ labelValues: [...requirementLabelValues(requirement), state], value: Number(read(requirement) === state) })));
}

export function adminsCount(key: Exclude<keyof Extract<RequirementDetails, { kind: "adminsMfa" }>, "kind" | "policies">) {
  return (snapshot: Snapshot): Sample[] => sampleIfKnown(detailsOf(snapshot, "adminsMfa")?.[key]);
}

// Generators: these run over every exported tenant, 100,000 of them at the largest partners, and
// the renderer reads them a slice at a time.
export function perCustomer(read: (customer: CustomerInsight) => number | undefined) {
  return function* customerSamples(_snapshot: Snapshot, summary: SnapshotSummary): Generator<Sample> {
    for (const customer of summary.customers.exported) {
      const value = read(customer);
      if (value !== undefined) yield { labelValues: [customer.tenantId], value };
    }
  };
}

export function* customerPolicySamples(_snapshot: Snapshot, summary: SnapshotSummary): Generator<Sample> {
  for (const customer of summary.customers.exported) yield* policySamples(customer.policies, [customer.tenantId]);
}

/** Over every tenant customerInsights listed, whatever the mode; no series when the endpoint did not answer. */
export function overAllCustomers(read: (counts: CustomerCounts) => Sample[]) {
  return (snapshot: Snapshot, summary: SnapshotSummary): Sample[] => (snapshot.available.customerInsights ? read(summary.customers.counts) : []);
}


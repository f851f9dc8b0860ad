/**
 * Alert types for the simulated partner security alerts. Graph's alertType is free text and no list of
 * its values is published (docs/graph-triage-sources.md, "Not found"): the first two are the docs'
 * examples, the others are plausible Azure fraud detections named in the same style.
 */
import { pick } from "./data.js";

type Fraction = (k: number) => number;

export interface AlertKind {
  readonly alertType: string;
  readonly displayName: string;
  readonly description: string;
  /** The usual severity; some alerts of the type get another. */
  readonly severity: string;
  /** additionalDetails: every value a string, some of them JSON in a string, as in the docs. */
  readonly details: (f: Fraction) => Record<string, string>;
}

const REGIONS = ["eastus", "westeurope", "southeastasia", "brazilsouth", "australiaeast", "japaneast", "centralindia", "southafricanorth"];
const POOLS = ["pool.supportxmr.com", "xmr.2miners.com", "gulf.moneroocean.stream", "rx.unmineable.com"];
const ip = (f: Fraction, k: number): string => `${20 + Math.floor(f(k) * 180)}.${Math.floor(f(k + 1) * 256)}.${Math.floor(f(k + 2) * 256)}.${1 + Math.floor(f(k + 3) * 254)}`;
const count = (f: Fraction, k: number, max: number): string => String(1 + Math.floor(f(k) * max));

export const ALERT_KINDS: readonly AlertKind[] = [
  {
    alertType: "networkConnectionsToCryptoMiningPools",
    displayName: "Action Required: Virtual machine connecting to crypto currency mining pool Detected",
    description: "Analysis of azure resource network activity detected the resource was connecting to a crypto currency mining pool. This would often be an indication that your azure resource is compromised.",
    severity: "high",
    details: (f) => ({ VM_IP: `[  "10.0.${Math.floor(f(40) * 255)}.4"]`, MiningPool_IP: `[  "${ip(f, 41)}"]`, ConnectionCount: count(f, 45, 40), CryptoCurrencyMiningPoolDomainName: pick(POOLS, f(46)) }),
  },
  {
    alertType: "usageAnomalyDetection",
    displayName: "Action Required: Subscription Usage Anomaly Detected",
    description: "Analysis of Azure resource detected anomalies in: Anomalous increase in compute deployment regions compared to trend in the last 30 days.",
    severity: "high",
    details: (f) => ({ AnomalyType: "ComputeDeploymentRegions", Regions: JSON.stringify([pick(REGIONS, f(40)), pick(REGIONS, f(41))]), CoreCount: count(f, 42, 2000) }),
  },
  {
    alertType: "azureSubscriptionCreatedFromUnusualLocation",
    displayName: "Action Required: Azure subscription created from an unusual location",
    description: "A new Azure subscription was created from a sign-in location not seen for this customer in the last 90 days.",
    severity: "medium",
    details: (f) => ({ SignInIpAddress: ip(f, 40), SignInCountry: pick(["NG", "VN", "RU", "BR", "ID", "US"], f(44)) }),
  },
  {
    alertType: "unusualGpuVirtualMachineDeployment",
    displayName: "Action Required: Unusual GPU virtual machine deployment Detected",
    description: "A large number of GPU virtual machines was deployed in a subscription that has not used GPU sizes before.",
    severity: "high",
    details: (f) => ({ VmSize: pick(["Standard_NC24ads_A100_v4", "Standard_ND96asr_v4", "Standard_NV36ads_A10_v5"], f(40)), VmCount: count(f, 41, 60), Region: pick(REGIONS, f(42)) }),
  },
  {
    alertType: "unusualAzureRegionUsage",
    displayName: "Action Required: Azure resources deployed in unusual regions",
    description: "Resources were deployed in Azure regions this customer has not used before.",
    severity: "medium",
    details: (f) => ({ Regions: JSON.stringify([pick(REGIONS, f(40))]), ResourceCount: count(f, 41, 30) }),
  },
  {
    alertType: "multipleSubscriptionsCreatedInShortTime",
    displayName: "Action Required: Multiple Azure subscriptions created in a short time",
    description: "Several Azure subscriptions were created for this customer within a short period, a pattern seen in fraudulent use.",
    severity: "medium",
    details: (f) => ({ SubscriptionCount: count(f, 40, 12), WindowInMinutes: count(f, 41, 120) }),
  },
  {
    alertType: "azureSpendingAnomaly",
    displayName: "Action Required: Azure spending anomaly Detected",
    description: "The daily Azure consumption of the subscription is well above its 30-day trend.",
    severity: "low",
    details: (f) => ({ ExpectedDailyCost: (10 + f(40) * 200).toFixed(2), ActualDailyCost: (400 + f(41) * 9000).toFixed(2), Currency: pick(["USD", "EUR", "GBP"], f(42)) }),
  },
  {
    alertType: "computeQuotaIncreaseRequested",
    displayName: "Action Required: Unusual compute quota increase request",
    description: "A compute quota increase far above the subscription's usage was requested.",
    severity: "low",
    details: (f) => ({ VmFamily: pick(["standardNCADSA100v4Family", "standardDv5Family", "standardFSv2Family"], f(40)), RequestedCores: count(f, 41, 5000) }),
  },
  {
    alertType: "resourceCreatedByUnfamiliarPrincipal",
    displayName: "Action Required: Azure resources created by an unfamiliar principal",
    description: "Resources were created by a user or service principal that has not managed this subscription before.",
    severity: "informational",
    details: (f) => ({ PrincipalType: pick(["User", "ServicePrincipal"], f(40)), PrincipalIpAddress: ip(f, 41) }),
  },
  {
    alertType: "cryptoMiningSoftwareDetected",
    displayName: "Action Required: Crypto currency mining software Detected on a virtual machine",
    description: "A process known to mine crypto currency was started on a virtual machine.",
    severity: "high",
    // A Windows path and a quoted argument: backslashes and quotes to escape.
    details: (f) => ({ ProcessName: "xmrig.exe", CommandLine: `C:\\Users\\Public\\xmrig.exe --donate-level 1 -o "${pick(POOLS, f(40))}:443"` }),
  },
];

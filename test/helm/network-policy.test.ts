import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { BlockList, isIPv4 } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CHART } from "../../tools/chart.js";
import { hasTool } from "../helpers.js";

const enabled = hasTool("helm");

interface PolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  podSelector?: unknown;
  namespaceSelector?: unknown;
}
interface PolicyPort {
  port?: number | string;
  protocol?: string;
}
interface EgressRule {
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: Array<{ from: PolicyPeer[]; ports: PolicyPort[] }>;
  egress: EgressRule[];
}

interface Destination {
  ip: string;
  port: number;
  protocol: "TCP" | "UDP";
}

// NetworkPolicy semantics for an external address: the rules are ORed; a rule without `to` allows
// every destination and one without `ports` every port; a pod or namespace selector never matches
// an address outside the cluster.
function allowsEgress(policy: NetworkPolicySpec, destination: Destination): boolean {
  return policy.egress.some((rule) => {
    const peerMatches =
      rule.to === undefined ||
      rule.to.some((peer) => {
        if (!peer.ipBlock) return false;
        const [network, prefix] = peer.ipBlock.cidr.split("/");
        const allowed = new BlockList();
        allowed.addSubnet(network ?? "", Number(prefix), isIPv4(network ?? "") ? "ipv4" : "ipv6");
        const excluded = new BlockList();
        for (const cidr of peer.ipBlock.except ?? []) {
          const [exceptNetwork, exceptPrefix] = cidr.split("/");
          excluded.addSubnet(exceptNetwork ?? "", Number(exceptPrefix));
        }
        return allowed.check(destination.ip) && !excluded.check(destination.ip);
      });
    const portMatches =
      rule.ports === undefined || rule.ports.some((port) => (port.protocol ?? "TCP") === destination.protocol && (port.port === undefined || port.port === destination.port));
    return peerMatches && portMatches;
  });
}

const IMAGE = ["--set", "image.repository=registry.example.test/partner-security-exporter"];

function renderPolicy(args: string[]): { policy: NetworkPolicySpec; podLabels: Record<string, string> } {
  const result = spawnSync("helm", ["template", "pse", CHART, "--namespace", "monitoring", "--kube-version", "1.30.0", ...IMAGE, "--set", "networkPolicy.enabled=true", ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  const objects = parseAllDocuments(result.stdout).map((document) => document.toJS() as { kind: string; spec: unknown } | null);
  const policy = objects.find((object) => object?.kind === "NetworkPolicy")?.spec as NetworkPolicySpec;
  const deployment = objects.find((object) => object?.kind === "Deployment")?.spec as { template: { metadata: { labels: Record<string, string> } } };
  return { policy, podLabels: deployment.template.metadata.labels };
}

const IDS = ["--set", "azure.tenantId=00000000-0000-0000-0000-000000000001", "--set", "azure.clientId=00000000-0000-0000-0000-000000000002"];
const MODES: Array<[string, string[]]> = [
  ["workloadIdentity", IDS],
  ["existingSecret", [...IDS, "--set", "credentials.mode=existingSecret", "--set", "credentials.existingSecret=partner-security-credentials"]],
  ["clientSecret", [...IDS, "--set", "credentials.mode=clientSecret", "--set", "credentials.clientSecret=not-a-real-secret"]],
  ["clientCertificate", [...IDS, "--set", "credentials.mode=clientCertificate", "--set", "credentials.clientCertificate=not-a-real-pem"]],
  ["managedIdentity", ["--set", "credentials.mode=managedIdentity"]],
];

// Where @azure/identity (its IMDS probe) and MSAL (the token request) reach the instance
// metadata endpoint for a managed identity: read from the installed libraries, not assumed.
function imdsEndpoints(): URL[] {
  const sources = [
    join(CHART, "../../node_modules/@azure/identity/dist/esm/credentials/managedIdentityCredential/imdsMsi.js"),
    join(CHART, "../../node_modules/@azure/msal-node/dist/client/ManagedIdentitySources/Imds.mjs"),
  ];
  return sources.flatMap((file) => [...readFileSync(file, "utf8").matchAll(/["'`](http:\/\/[0-9.]+)/g)].map((match) => new URL(match[1] ?? "")));
}

const DNS: Destination[] = [
  { ip: "10.0.0.10", port: 53, protocol: "UDP" },
  { ip: "10.0.0.10", port: 53, protocol: "TCP" },
];
// graph.microsoft.com and login.microsoftonline.com resolve to changing Microsoft addresses.
const HTTPS: Destination[] = [
  { ip: "20.190.151.7", port: 443, protocol: "TCP" },
  { ip: "40.126.32.74", port: 443, protocol: "TCP" },
];

describe.skipIf(!enabled)("the NetworkPolicy", () => {
  it("reads the instance metadata endpoint of the installed identity libraries", () => {
    const endpoints = imdsEndpoints();
    expect(endpoints.length).toBeGreaterThanOrEqual(2);
    for (const endpoint of endpoints) expect(`${endpoint.hostname}:${endpoint.port || "80"}`).toBe("169.254.169.254:80");
  });

  it.each(MODES)("with credentials.mode %s, opens exactly what the mode needs: DNS, HTTPS, and the metadata endpoint only for a managed identity", (mode, args) => {
    const { policy, podLabels } = renderPolicy(args);
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(podLabels).toMatchObject(policy.podSelector.matchLabels);
    for (const destination of [...DNS, ...HTTPS]) expect(allowsEgress(policy, destination), JSON.stringify(destination)).toBe(true);
    for (const endpoint of imdsEndpoints()) {
      const metadata: Destination = { ip: endpoint.hostname, port: Number(endpoint.port || 80), protocol: "TCP" };
      expect(allowsEgress(policy, metadata), `metadata endpoint in mode ${mode}`).toBe(mode === "managedIdentity");
    }
    // Nothing else: plain HTTP elsewhere, other ports, the metadata endpoint on another port.
    for (const destination of [
      { ip: "20.190.151.7", port: 80, protocol: "TCP" },
      { ip: "10.0.0.5", port: 3128, protocol: "TCP" },
      { ip: "169.254.169.254", port: 8080, protocol: "TCP" },
      { ip: "20.190.151.7", port: 443, protocol: "UDP" },
    ] as const) {
      expect(allowsEgress(policy, destination), JSON.stringify(destination)).toBe(false);
    }
  });

  it("admits scrapes only from the Prometheus pods, on the exporter's port", () => {
    const { policy } = renderPolicy(IDS);
    expect(policy.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
        ports: [{ port: "http", protocol: "TCP" }],
      },
    ]);
  });

  it("adds networkPolicy.extraEgress, such as an HTTPS proxy, in every mode", () => {
    const proxy = '[{"to":[{"ipBlock":{"cidr":"10.0.0.5/32"}}],"ports":[{"port":3128,"protocol":"TCP"}]}]';
    for (const [mode, args] of MODES) {
      const { policy } = renderPolicy([...args, "--set-json", `networkPolicy.extraEgress=${proxy}`]);
      expect(allowsEgress(policy, { ip: "10.0.0.5", port: 3128, protocol: "TCP" }), mode).toBe(true);
      expect(allowsEgress(policy, { ip: "10.0.0.6", port: 3128, protocol: "TCP" }), mode).toBe(false);
    }
  });

  it("refuses an extraEgress that is not a list of rules", () => {
    const result = spawnSync("helm", ["template", "pse", CHART, "--kube-version", "1.30.0", ...IMAGE, ...IDS, "--set", "networkPolicy.enabled=true", "--set", "networkPolicy.extraEgress=proxy"], { encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("extraEgress");
  });
});

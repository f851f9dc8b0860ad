import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTlsIdentity } from "../src/simulator/tls.js";

/**
 * Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the certificate the simulators of
 * all test files share is made here, before vitest forks its workers with this environment.
 */
export default async function setup(): Promise<() => void> {
  // Made and trusted already by whoever started this process (tools/mutation.ts, or an outer test
  // run): a new certificate could not be trusted any more by a process already running.
  const given = process.env.PSE_TEST_TLS_DIR;
  if (given && existsSync(join(given, "cert.pem"))) return () => undefined;
  const dir = mkdtempSync(join(tmpdir(), "pse-test-tls-"));
  const identity = await generateTlsIdentity();
  writeFileSync(join(dir, "cert.pem"), identity.cert);
  writeFileSync(join(dir, "key.pem"), identity.key);
  // Added to what the machine already trusts this way (a proxy's CA for the npm registry, say), so
  // the children the tests start (npm ci in the docs test) still reach the network.
  const machine = process.env.NODE_EXTRA_CA_CERTS;
  const trusted = machine && existsSync(machine) ? `${identity.cert}\n${readFileSync(machine, "utf8")}` : identity.cert;
  writeFileSync(join(dir, "trusted.pem"), trusted);
  process.env.NODE_EXTRA_CA_CERTS = join(dir, "trusted.pem");
  process.env.PSE_TEST_TLS_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

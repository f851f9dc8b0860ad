import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hasTool } from "../helpers.js";
import { SUPPORTED_VERSIONS } from "../../tools/supported-versions.js";

const DIR = fileURLToPath(new URL("../../examples/compose/", import.meta.url));
const FILE = join(DIR, "docker-compose.yml");

interface Compose {
  services: Record<string, { image?: string; volumes?: string[]; build?: { context: string }; command?: string[] }>;
}
const compose = parse(readFileSync(FILE, "utf8")) as Compose;

describe("the compose demo stack", () => {
  it.skipIf(!hasTool("docker-compose"))("passes docker-compose config -q", () => {
    const result = spawnSync("docker-compose", ["-f", FILE, "config", "-q"], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("mounts only paths that exist in the repository, and builds from it", () => {
    const mounts = Object.values(compose.services).flatMap((service) => (service.volumes ?? []).map((volume) => volume.split(":")[0] ?? ""));
    expect(mounts.length).toBeGreaterThan(4);
    for (const source of mounts) expect(existsSync(resolve(DIR, source)), source).toBe(true);
    expect(existsSync(join(resolve(DIR, compose.services.exporter?.build?.context ?? ""), "Dockerfile"))).toBe(true);
  });

  it("runs the newest Prometheus and Alertmanager CI tests with, and the Grafana the dashboards are written for", () => {
    expect(compose.services.prometheus?.image).toBe(`prom/prometheus:v${SUPPORTED_VERSIONS.prometheus.newest}`);
    expect(compose.services.alertmanager?.image).toBe(`prom/alertmanager:v${SUPPORTED_VERSIONS.alertmanager.newest}`);
    expect(compose.services.grafana?.image).toBe(`grafana/grafana:${SUPPORTED_VERSIONS.grafana}`);
  });

  it("runs the exporter in demo mode, and Prometheus with the shipped rules", () => {
    expect(compose.services.exporter?.command?.[0]).toBe("demo");
    expect(compose.services.prometheus?.volumes).toContain("../../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
    expect(compose.services.grafana?.volumes).toContain("../../grafana/dashboards:/var/lib/grafana/dashboards/partner-security:ro");
  });

  it.skipIf(!hasTool("promtool") || !hasTool("amtool"))("has Prometheus and Alertmanager configs that promtool and amtool accept", () => {
    // Prometheus sees alerts.yml beside its config, as the compose file mounts it.
    const dir = mkdtempSync(join(tmpdir(), "pse-compose-"));
    cpSync(join(DIR, "prometheus.yml"), join(dir, "prometheus.yml"));
    cpSync(join(dirname(dirname(DIR)), "prometheus", "alerts.yml"), join(dir, "alerts.yml"));
    const prometheus = spawnSync("promtool", ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    expect(prometheus.status, prometheus.stdout + prometheus.stderr).toBe(0);
    const alertmanager = spawnSync("amtool", ["check-config", join(DIR, "alertmanager.yml")], { encoding: "utf8" });
    expect(alertmanager.status, alertmanager.stdout + alertmanager.stderr).toBe(0);
  });
});

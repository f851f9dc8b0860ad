import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config.js";
import { eventually, freePort, sampleValue } from "../helpers.js";
import { chartMemoryLimitMiB, derivedOldSpaceMiB, imageMallocArenaMax, imageNodeOptions, imageNodeOptionsFor } from "./image-heap.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const stages = DOCKERFILE.split(/^FROM /m).slice(1).map((stage) => `FROM ${stage}`);
const runtime = stages.at(-1) ?? "";

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((path) => !path.split("/").includes("node_modules"))
    .map((path) => `${path}:${statSync(join(dir, path)).mtimeMs}`)
    .sort();
}

describe("the Dockerfile", () => {
  it("passes dockerfile-utils lint", () => {
    const result = spawnSync(join(ROOT, "node_modules/.bin/dockerfile-utils"), ["lint", join(ROOT, "Dockerfile")], { encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.status).toBe(0);
  });

  it("builds in one stage and runs on Node 24 with production dependencies only", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime).toMatch(/^FROM node:24[\w.-]*\s*$/m);
    expect(stages.find((stage) => stage.includes("npm run build"))).toContain("npm ci");
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev/);
    expect(runtime.match(/^COPY .*$/gm)).toEqual([
      "COPY --from=production-dependencies /app/node_modules ./node_modules",
      "COPY --from=build /app/dist ./dist",
      "COPY package.json ./",
    ]);
  });

  it("runs as a numeric non-root user, exposes the default port and takes the CLI's flags", () => {
    const user = /^USER (\d+):(\d+)$/m.exec(runtime);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    const port = SETTINGS.find((setting) => setting.key === "listenAddress")?.fallback.split(":")[1];
    expect(runtime).toContain(`EXPOSE ${port}`);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "\/app\/dist\/cli\.js"\]$/m);
    expect(runtime).not.toMatch(/^CMD /m);
  });

  it("sets no fixed heap cap: V8 sizes its old space from the container's memory limit", () => {
    const options = imageNodeOptions();
    expect(options).not.toMatch(/--max-old-space-size|--max-heap-size/);
    // Every flag must start the Node the tests run on (20) as well as the image's (24): an option
    // one of them lacks, such as --max-old-space-size-percentage on Node 20, stops Node at start.
    const started = spawnSync(process.execPath, ["-e", "0"], { env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: options }, encoding: "utf8" });
    expect(started.stderr).toBe("");
    expect(started.status).toBe(0);
    // The chart's default limit leaves V8 the heap the 100,000-tenant test (test/integration/scale.test.ts) runs with.
    expect(derivedOldSpaceMiB(chartMemoryLimitMiB())).toBeGreaterThanOrEqual(256);
  });

  it("carries the OCI labels", () => {
    for (const label of ["source", "version", "licenses", "description", "revision", "title"]) expect(runtime).toContain(`org.opencontainers.image.${label}=`);
  });

  it("sends only what it copies in the build context", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8");
    expect(ignore).toMatch(/^\*$/m);
    for (const source of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src/"]) expect(ignore).toContain(`!${source}`);
  });
});

// The image's runtime stage, reproduced in a folder: production dependencies of the lock file
// and the built dist/, as the Dockerfile copies them. A runtime import of a dev dependency fails here.
describe("the runtime layout", () => {
  const app = mkdtempSync(join(tmpdir(), "pse-image-"));
  const tmp = join(app, "..", `${relative(tmpdir(), app)}-tmp`);
  let before: string[] = [];

  beforeAll(() => {
    for (const file of ["package.json", "package-lock.json"]) cpSync(join(ROOT, file), join(app, file));
    const install = spawnSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: app, encoding: "utf8" });
    if (install.status !== 0) throw new Error(`npm ci --omit=dev failed: ${install.stderr}`);
    cpSync(join(ROOT, "dist"), join(app, "dist"), { recursive: true });
    mkdirSync(tmp);
    before = listFiles(app);
  }, 180_000);

  afterAll(() => {
    rmSync(app, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  // The image's own environment, V8 limits included, as in a pod with the chart's default memory limit.
  const nodeOptions = imageNodeOptionsFor(chartMemoryLimitMiB());
  const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? "", HOME: tmp, TMPDIR: tmp, NODE_ENV: "production", NODE_OPTIONS: nodeOptions, MALLOC_ARENA_MAX: imageMallocArenaMax(), ...extra });

  it("has no dev dependency installed", () => {
    for (const dev of ["vitest", "typescript", "eslint", "@grafana/grafana-foundation-sdk", "tsx"]) {
      expect(() => statSync(join(app, "node_modules", dev))).toThrow();
    }
  });

  it("answers --help and check-config", () => {
    const help = spawnSync(process.execPath, ["dist/cli.js", "--help"], { cwd: app, env: env(), encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--listen-address");
    const check = spawnSync(process.execPath, ["dist/cli.js", "check-config"], { cwd: app, env: env({ AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" }), encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("runs the demo and serves a scrape, writing nothing outside its tmp dir", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["dist/cli.js", "demo", "--listen-address", `127.0.0.1:${port}`, "--tenants", "4"], { cwd: app, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      const url = await eventually("the demo's metrics URL", () => /Metrics: (http:\/\/\S+)/.exec(stdout)?.[1], 30_000);
      const text = await (await fetch(url)).text();
      expect(sampleValue(text, "partner_security_customer_tenants")).toBe(4);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    }
    expect(child.exitCode).toBe(0);
    expect(listFiles(app)).toEqual(before);
  });
});

#!/usr/bin/env node
// Stands in for a command the README's shell blocks call that cannot run on a build machine (no
// container engine, no cluster, no Azure subscription, or CI itself). It records every call in
// $DOCS_STUB_DIR/calls.jsonl for the docs test to check against the chart, and for helm
// install/upgrade renders the same arguments with the real `helm template` instead.
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const [tool, ...args] = process.argv.slice(2);
const dir = process.env.DOCS_STUB_DIR ?? "";
const calls = join(dir, "calls.jsonl");

function record(extra = {}) {
  appendFileSync(calls, `${JSON.stringify({ tool, args, cwd: process.cwd(), ...extra })}\n`);
  const reasons = JSON.parse(process.env.DOCS_STUB_REASONS ?? "{}");
  process.stderr.write(`[docs test] not run: ${tool} ${args.join(" ")} (${reasons[tool] ?? "no reason given"})\n`);
}

function passThrough(real) {
  const result = spawnSync(real, args, { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

// The arguments of a kubectl call that are not flags or flag values.
function positional(list) {
  const withValue = new Set(["-n", "--namespace", "-c", "--container", "-l", "--selector", "-o", "--output"]);
  return list.filter((arg, index) => !arg.startsWith("-") && !withValue.has(list[index - 1] ?? ""));
}

switch (tool) {
  case "npm": {
    const byCi = ["test", "run lint", "run typecheck"].includes(args.join(" "));
    if (!byCi) passThrough(process.env.DOCS_REAL_NPM ?? "npm");
    record();
    break;
  }
  case "bash": {
    if (args[0] !== ".ci/run") passThrough("/bin/bash");
    record();
    break;
  }
  case "helm": {
    const [command, release = "", chart = "", ...rest] = args;
    if (command !== "install" && command !== "upgrade") passThrough(process.env.DOCS_REAL_HELM ?? "helm");
    // --reuse-values: the values of the release's previous install or upgrade, then the new ones.
    const saved = join(dir, `helm-release-${release}.json`);
    const reuse = rest.includes("--reuse-values");
    const previous = reuse && existsSync(saved) ? JSON.parse(readFileSync(saved, "utf8")) : [];
    const all = [...previous, ...rest.filter((arg) => arg !== "--reuse-values")];
    writeFileSync(saved, JSON.stringify(all));
    const result = spawnSync(process.env.DOCS_REAL_HELM ?? "helm", ["template", release, chart, "--kube-version", "1.30.0", ...all], { encoding: "utf8" });
    const rendered = join(dir, `helm-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(rendered, result.stdout);
    record({ rendered, status: result.status });
    process.stderr.write(result.stderr);
    process.exit(result.status ?? 1);
    break;
  }
  case "kubectl": {
    record();
    const [verb, kind, ...more] = positional(args);
    if (verb === "get" && kind === "pod") process.stdout.write(`pod/${process.env.DOCS_POD_NAME}\n`);
    // Copying the backfill's file out of its pod gives the file a real backfill wrote.
    if (verb === "cp" && kind?.includes(":/backfill/")) copyFileSync(process.env.DOCS_BACKFILL_FILE ?? "", more[0] ?? "");
    break;
  }
  default:
    record();
}

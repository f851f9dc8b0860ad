import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** NODE_OPTIONS exactly as the Dockerfile's runtime stage sets it. */
export function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const match = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile);
  if (!match) throw new Error("the Dockerfile sets no NODE_OPTIONS");
  return match[1] ?? "";
}

/** MALLOC_ARENA_MAX exactly as the Dockerfile's runtime stage sets it. */
export function imageMallocArenaMax(): string {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const match = /^ENV MALLOC_ARENA_MAX=(\d+)$/m.exec(dockerfile);
  if (!match) throw new Error("the Dockerfile sets no MALLOC_ARENA_MAX");
  return match[1] ?? "";
}

const UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1000 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };

/** A Kubernetes memory quantity (`512Mi`, `1Gi`, `500M`) in MiB. */
export function quantityMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity.trim());
  if (!match) throw new Error(`"${quantity}" is not a memory quantity this helper reads`);
  return Number(match[1]) * (match[2] === undefined ? 1 / 2 ** 20 : (UNITS[match[2]] ?? Number.NaN));
}

const chartResources = z.object({ resources: z.object({ limits: z.object({ memory: z.string() }) }) });

/** The chart's default container memory limit, in MiB. */
export function chartMemoryLimitMiB(): number {
  const values = chartResources.parse(parse(readFileSync(join(ROOT, "helm/partner-security-exporter/values.yaml"), "utf8")));
  return quantityMiB(values.resources.limits.memory);
}

/**
 * The old space V8 gives itself in a container with this memory limit when no flag sets one: Node
 * passes the cgroup limit (libuv's uv_get_constrained_memory) to V8, whose
 * Heap::HeapSizeFromPhysicalMemory takes a quarter of it times two on 64-bit, capped at 2 GiB.
 */
export function derivedOldSpaceMiB(limitMiB: number): number {
  return Math.min(Math.floor(limitMiB / 2), 2048);
}

/**
 * The image's V8 settings in a container with this memory limit, as flags: a cgroup-free stand-in
 * for running the image under the limit, on a machine whose memory is not limited.
 */
export function imageNodeOptionsFor(limitMiB: number): string {
  return `${imageNodeOptions()} --max-old-space-size=${derivedOldSpaceMiB(limitMiB)}`.trim();
}

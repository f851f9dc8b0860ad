import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchWebConfig } from "../../src/server/web-config-watch.js";
import { loadWebConfig } from "../../src/web-config.js";
import type { WebConfig } from "../../src/web-config.js";

const CHECK_MS = 1000;
let dir: string;
let path: string;
let logs: Array<{ level: string; message: string; fields: Record<string, unknown> }>;
const logger = {
  info: ((fields: Record<string, unknown>, message: string) => void logs.push({ level: "info", message, fields })) as never,
  error: ((fields: Record<string, unknown>, message: string) => void logs.push({ level: "error", message, fields })) as never,
};

function users(...names: string[]): string {
  return `basic_auth_users:\n${names.map((name) => `  ${name}: ${bcrypt.hashSync(`${name}-pw`, 4)}\n`).join("")}`;
}

beforeEach(() => {
  vi.useFakeTimers();
  dir = mkdtempSync(join(tmpdir(), "pse-watch-"));
  path = join(dir, "web.yml");
  writeFileSync(path, users("alice"));
  logs = [];
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe("watchWebConfig", () => {
  it("applies a changed file at the next check and logs the trigger", () => {
    const applied: WebConfig[] = [];
    const watch = watchWebConfig({ initial: loadWebConfig(path), apply: (next) => void applied.push(next), logger, checkEveryMs: CHECK_MS });
    vi.advanceTimersByTime(3 * CHECK_MS);
    expect(applied).toEqual([]);
    writeFileSync(path, users("bob"));
    vi.advanceTimersByTime(CHECK_MS);
    expect(applied.map((config) => [...config.basicAuthUsers.keys()])).toEqual([["bob"]]);
    expect(logs).toEqual([{ level: "info", message: "web config reloaded", fields: { path, trigger: "file change", tls: false, basicAuthUsers: 1 } }]);
    watch.stop();
  });

  it("keeps the running config when the file breaks, and reports it once however many checks see it", () => {
    const applied: WebConfig[] = [];
    const watch = watchWebConfig({ initial: loadWebConfig(path), apply: (next) => void applied.push(next), logger, checkEveryMs: CHECK_MS });
    writeFileSync(path, "basic_auth_users:\n  bob: not-a-hash\n");
    vi.advanceTimersByTime(10 * CHECK_MS);
    expect(applied).toEqual([]);
    expect(logs.map((log) => log.message)).toEqual(["web config reload failed; keeping the running one"]);
    expect(String((logs[0]?.fields.error as { message: string }).message)).toContain("basic_auth_users.bob: is not a bcrypt hash");
    watch.stop();
  });

  it("returns and logs the error when applying is refused, e.g. turning TLS on", () => {
    const watch = watchWebConfig({
      initial: loadWebConfig(path),
      apply: () => {
        throw new Error("turning TLS on needs a restart");
      },
      logger,
      checkEveryMs: CHECK_MS,
    });
    expect(watch.reload("SIGHUP")?.message).toBe("turning TLS on needs a restart");
    expect(logs.map((log) => [log.message, log.fields.trigger])).toEqual([["web config reload failed; keeping the running one", "SIGHUP"]]);
    watch.stop();
  });

  it("applies no change once stopped, as at shutdown", () => {
    const applied: WebConfig[] = [];
    const watch = watchWebConfig({ initial: loadWebConfig(path), apply: (next) => void applied.push(next), logger, checkEveryMs: CHECK_MS });
    watch.stop();
    writeFileSync(path, users("bob"));
    vi.advanceTimersByTime(3 * CHECK_MS);
    expect(applied).toEqual([]);
    expect(logs).toEqual([]);
  });

  it("has nothing to reload or watch when no file was given", () => {
    const watch = watchWebConfig({ initial: undefined, apply: () => undefined, logger, checkEveryMs: CHECK_MS });
    expect(watch.reload("SIGHUP")?.message).toContain("PSE_WEB_CONFIG_FILE");
    expect(vi.getTimerCount()).toBe(0);
    watch.stop();
  });
});

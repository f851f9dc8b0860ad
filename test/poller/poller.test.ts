import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPoller } from "../../src/poller/poller.js";
import type { PollerOptions, RefreshOutcome } from "../../src/poller/poller.js";

const INTERVAL = 60_000;

function setup(overrides: Partial<PollerOptions> = {}) {
  const outcomes: RefreshOutcome[] = [];
  const events = { skipped: 0, stale: 0 };
  const poller = createPoller({
    refresh: () => Promise.resolve(),
    intervalMs: INTERVAL,
    deadlineMs: INTERVAL / 2,
    maxStalenessMs: 0,
    onOutcome: (outcome) => outcomes.push(outcome),
    onSkipped: () => events.skipped++,
    onStale: () => events.stale++,
    ...overrides,
  });
  return { poller, outcomes, events };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createPoller", () => {
  it("refreshes at start and then once per interval", async () => {
    const refresh = vi.fn(() => Promise.resolve());
    const { poller, outcomes } = setup({ refresh });
    poller.start();
    await poller.firstRefresh;
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(5);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    await poller.stop();
  });

  it("delays the second refresh by the jitter, then keeps the cadence", async () => {
    const refresh = vi.fn(() => Promise.resolve());
    const { poller } = setup({ refresh, jitter: () => 5000 });
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(refresh).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(3);
    await poller.stop();
  });

  it("skips a tick while a refresh still runs, and counts it", async () => {
    let finish: () => void = () => undefined;
    const refresh = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const { poller, events } = setup({ refresh, deadlineMs: 10 * INTERVAL });
    poller.start();
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(events.skipped).toBe(2);
    finish();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(2);
    finish();
    await poller.stop();
  });

  it("aborts a refresh at the deadline and reports the failure", async () => {
    const refresh = (signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"))));
    const { poller, outcomes } = setup({ refresh, deadlineMs: 20_000 });
    poller.start();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(outcomes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.ok).toBe(false);
    expect(String(outcomes[0]?.error)).toContain("refresh deadline of 20s reached");
    // The name AbortSignal.timeout() uses, so the failure reads as a timeout.
    expect(outcomes[0]?.error).toMatchObject({ name: "TimeoutError" });
    await poller.stop();
  });

  it("reports a failure and goes on refreshing", async () => {
    let calls = 0;
    const refresh = () => (++calls === 1 ? Promise.reject(new Error("graph down")) : Promise.resolve());
    const { poller, outcomes } = setup({ refresh });
    poller.start();
    await poller.firstRefresh;
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([false, true]);
    await poller.stop();
  });

  it("goes stale only after max staleness without a success", async () => {
    let healthy = true;
    const refresh = () => (healthy ? Promise.resolve() : Promise.reject(new Error("down")));
    const { poller, events } = setup({ refresh, maxStalenessMs: 3 * INTERVAL });
    poller.start();
    await poller.firstRefresh;
    healthy = false;
    await vi.advanceTimersByTimeAsync(3 * INTERVAL - 1);
    expect(events.stale).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.stale).toBe(1);
    await poller.stop();
  });

  it("restarts the staleness clock on every success", async () => {
    const { poller, events } = setup({ maxStalenessMs: 2 * INTERVAL });
    poller.start();
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(events.stale).toBe(0);
    await poller.stop();
  });

  it("never goes stale with max staleness 0, however long the failures after a success last", async () => {
    // Staleness is armed by a success: one first, then only failures.
    let calls = 0;
    const refresh = () => (++calls === 1 ? Promise.resolve() : Promise.reject(new Error("down")));
    const { poller, events, outcomes } = setup({ refresh, maxStalenessMs: 0 });
    poller.start();
    await vi.advanceTimersByTimeAsync(100 * INTERVAL);
    expect(outcomes[0]?.ok).toBe(true);
    expect(outcomes.filter((outcome) => !outcome.ok).length).toBeGreaterThan(90);
    expect(events.stale).toBe(0);
    await poller.stop();
  });

  it("stop() aborts the running refresh, waits for it and stops ticking", async () => {
    let aborted = false;
    const refresh = vi.fn(
      (signal: AbortSignal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    const { poller } = setup({ refresh });
    poller.start();
    await poller.stop();
    expect(aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it("after stop(), refreshes no more, even when asked, and never goes stale", async () => {
    const refresh = vi.fn(() => Promise.resolve());
    const { poller, events } = setup({ refresh, maxStalenessMs: 2 * INTERVAL });
    poller.start();
    await poller.firstRefresh;
    await poller.stop();
    await poller.refreshNow();
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(events.stale).toBe(0);
  });

  it("stops cleanly before it ever started", async () => {
    const { poller } = setup();
    await expect(poller.stop()).resolves.toBeUndefined();
  });

  it("leaves no timer of a finished refresh behind (its deadline is cleared), so nothing keeps the process alive", async () => {
    const { poller } = setup();
    await poller.refreshNow();
    expect(vi.getTimerCount()).toBe(0);
    await poller.stop();
  });

  it("does not report a refresh that stop() ended as a failed one", async () => {
    const refresh = (signal: AbortSignal) => new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
    const { poller, outcomes } = setup({ refresh });
    poller.start();
    await poller.stop();
    await poller.firstRefresh;
    expect(outcomes).toEqual([]);
  });

  it("still reports a refresh that the deadline ended", async () => {
    const refresh = (signal: AbortSignal) => new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
    const { poller, outcomes } = setup({ refresh });
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL / 2);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([false]);
    await poller.stop();
  });

  it("keeps its schedule and resolves firstRefresh when a callback throws", async () => {
    const callbackErrors: unknown[] = [];
    const refresh = vi.fn(() => Promise.resolve());
    const { poller } = setup({
      refresh,
      onOutcome: () => {
        throw new Error("outcome handler broke");
      },
      onCallbackError: (error) => callbackErrors.push(error),
    });
    poller.start();
    await poller.firstRefresh;
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(refresh).toHaveBeenCalledTimes(3);
    expect(callbackErrors.map((error) => (error as Error).message)).toEqual(["outcome handler broke", "outcome handler broke", "outcome handler broke"]);
    await poller.stop();
  });

  it("refreshNow() runs a refresh and resolves when it is done", async () => {
    const refresh = vi.fn(() => Promise.resolve());
    const { poller, outcomes } = setup({ refresh });
    poller.start();
    await poller.firstRefresh;
    await poller.refreshNow();
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(outcomes).toHaveLength(2);
    await poller.stop();
  });
});

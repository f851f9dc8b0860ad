/** What the poller reports after each tick; the composition root turns it into metrics and logs. */
export interface RefreshOutcome {
  readonly ok: boolean;
  readonly error?: unknown;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface PollerOptions {
  /** One refresh; it must give up when the signal aborts (the refresh deadline or stop()). */
  refresh(signal: AbortSignal): Promise<void>;
  readonly intervalMs: number;
  /** A refresh running longer than this is aborted, so it never runs into the next tick. */
  readonly deadlineMs: number;
  /** After this long without a success `onStale` is called; 0 never. */
  readonly maxStalenessMs: number;
  /** Not called for a refresh that stop() ended: shutting down is not a failed refresh. */
  onOutcome(outcome: RefreshOutcome): void;
  onSkipped(): void;
  onStale(): void;
  /** A callback above threw; the poller keeps its schedule and hands the error here instead. */
  onCallbackError?(error: unknown): void;
  /** Spreads the ticks of several exporters; returns a delay in ms before the first tick. */
  readonly jitter?: () => number;
  readonly now?: () => number;
}

export interface Poller {
  /** Runs the first refresh now and then one per interval. */
  start(): void;
  /** Stops ticking, aborts a running refresh and waits for it to end. */
  stop(): Promise<void>;
  /** Ticks now, as the timer would (skipped if a refresh runs), and waits for the running refresh. */
  refreshNow(): Promise<void>;
  /** Resolves once the first refresh has finished, successfully or not. */
  readonly firstRefresh: Promise<void>;
}

/** The abort reason of stop(), told apart from the deadline's by identity. */
const STOPPING = new Error("exporter stopping");

/** Runs a callback so that its throwing can neither stop the schedule nor escape as an unhandled rejection. */
function guard(onCallbackError: ((error: unknown) => void) | undefined): (callback: () => void) => void {
  return (callback) => {
    try {
      callback();
    } catch (error) {
      try {
        onCallbackError?.(error);
      } catch {
        // Nothing is left to report to; the schedule matters more than the report.
      }
    }
  };
}

/** One refresh under the deadline: its outcome, never a rejection. */
async function refreshUnderDeadline(options: PollerOptions, controller: AbortController, now: () => number): Promise<RefreshOutcome> {
  // A TimeoutError, as AbortSignal.timeout() aborts with: the refresh's failure reason is then "timeout".
  const deadline = setTimeout(() => controller.abort(new DOMException(`refresh deadline of ${options.deadlineMs / 1000}s reached`, "TimeoutError")), options.deadlineMs);
  const startedAt = now();
  try {
    await options.refresh(controller.signal);
    return { ok: true, startedAt, finishedAt: now() };
  } catch (error) {
    return { ok: false, error, startedAt, finishedAt: now() };
  } finally {
    clearTimeout(deadline);
  }
}

/** Calls `onStale` when `maxStalenessMs` pass without a successful refresh after one; never with 0. */
function stalenessWatch(maxStalenessMs: number, onStale: () => void): { arm(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    arm() {
      if (maxStalenessMs <= 0) return;
      clearTimeout(timer);
      timer = setTimeout(onStale, maxStalenessMs);
      timer.unref();
    },
    stop: () => clearTimeout(timer),
  };
}

/** Schedules refreshes on a fixed cadence, never two at once, each under a deadline. */
export function createPoller(options: PollerOptions): Poller {
  const now = options.now ?? Date.now;
  let running: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let interval: NodeJS.Timeout | undefined;
  let firstDelay: NodeJS.Timeout | undefined;
  let stopped = false;
  let markFirst: () => void = () => undefined;
  const firstRefresh = new Promise<void>((resolve) => {
    markFirst = resolve;
  });

  const guarded = guard((error) => options.onCallbackError?.(error));
  const staleness = stalenessWatch(options.maxStalenessMs, () => guarded(() => options.onStale()));

  async function runOnce(): Promise<void> {
    controller = new AbortController();
    const { signal } = controller;
    const outcome = await refreshUnderDeadline(options, controller, now);
    if (outcome.ok) staleness.arm();
    // Cleared before anyone hears of the outcome, so a refresh asked for in reaction to it runs.
    running = undefined;
    const abandoned = !outcome.ok && signal.reason === STOPPING;
    if (!abandoned) guarded(() => options.onOutcome(outcome));
    markFirst();
  }

  function tick(): void {
    if (stopped) return;
    if (running) {
      guarded(() => options.onSkipped());
      return;
    }
    running = runOnce();
  }

  return {
    firstRefresh,
    refreshNow() {
      tick();
      return running ?? Promise.resolve();
    },
    start() {
      tick();
      firstDelay = setTimeout(() => {
        tick();
        interval = setInterval(tick, options.intervalMs);
      }, options.intervalMs + (options.jitter?.() ?? 0));
    },
    async stop() {
      stopped = true;
      clearTimeout(firstDelay);
      clearInterval(interval);
      staleness.stop();
      controller?.abort(STOPPING);
      await running;
    },
  };
}

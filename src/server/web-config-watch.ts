import type { Logger } from "pino";
import { fingerprintFiles, loadWebConfig } from "../web-config.js";
import type { WebConfig } from "../web-config.js";

export type ReloadTrigger = "SIGHUP" | "file change";

export interface WebConfigWatchOptions {
  /** The web config read at start; undefined when none was given (nothing to watch or reload). */
  readonly initial: WebConfig | undefined;
  /** Puts a newly read config into effect; throws to refuse it (e.g. turning TLS on needs a restart). */
  apply(next: WebConfig): void;
  readonly logger: Pick<Logger, "info" | "error">;
  /** How often the file and the files it names are checked for changes. */
  readonly checkEveryMs: number;
}

export interface WebConfigWatch {
  /** Re-reads the file now; on any error the running config stays, and the error is logged and returned. */
  reload(trigger: ReloadTrigger): Error | undefined;
  stop(): void;
}

/**
 * Kubernetes updates a mounted Secret in place and cert-manager rotates certificates without
 * signalling anyone: the file and those it names are fingerprinted every `checkEveryMs` and reloaded
 * on a change. A file that stays broken is reported once, not on every check.
 */
export function watchWebConfig(options: WebConfigWatchOptions): WebConfigWatch {
  const { logger } = options;
  let running = options.initial;
  let seenFingerprint = running?.fingerprint;

  function reload(trigger: ReloadTrigger): Error | undefined {
    const path = running?.path;
    if (!path) return new Error("no web config file was given at start (PSE_WEB_CONFIG_FILE)");
    try {
      const next = loadWebConfig(path);
      options.apply(next);
      running = next;
      seenFingerprint = next.fingerprint;
      logger.info({ path, trigger, tls: next.tls?.clientAuth ?? false, basicAuthUsers: next.basicAuthUsers.size }, "web config reloaded");
      return undefined;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ trigger, error: { message: failure.message } }, "web config reload failed; keeping the running one");
      return failure;
    }
  }

  const check = running
    ? setInterval(function checkForChanges() {
        if (!running) return;
        const fingerprint = fingerprintFiles(running.files);
        if (fingerprint === seenFingerprint) return;
        seenFingerprint = fingerprint;
        reload("file change");
      }, options.checkEveryMs)
    : undefined;
  check?.unref();

  return {
    reload,
    stop: () => clearInterval(check),
  };
}

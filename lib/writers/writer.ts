/**
 * What the two writers (`ingest`, `rebuild`) share: the options they take (calibration, chaos,
 * progress hooks) and the one error they throw. Nothing has been written when a
 * {@linkcode WriterError} is thrown, unless its `written` is `true` (a failure after the rename:
 * the new file may be in place).
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import type { ChaosMode } from "../io/file_read.ts";

/** Options every writer takes. */
export interface WriterOptions {
  /** Thresholds: `lock_wait_ms`, `lock_poll_ms`, `retry_count`, `retry_backoff_ms`, I/O timeouts. */
  readonly calibration: Calibration;
  /** Chaos fault injected into every file read (G3). Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Called once per lock when it is found held by someone else, with the lock file's path. */
  readonly onWait?: (lockPath: string) => void;
  /** Called before each retry of a transient fault (read or rename), with a message. */
  readonly onRetry?: (message: string) => void;
}

/** Input a writer refuses (the file unchanged), or a failure after its rename (`written`). */
export class WriterError extends Error {
  /** Stable UPPER_SNAKE reason code, e.g. `ENTRY_ID_DUPLICATE`, `KB_JSON_INVALID`. */
  readonly code: string;
  /** The file the problem is in, when there is one. */
  readonly file: string | null;
  /** 1-based line in `file`, when known. */
  readonly line: number | null;
  /** `true` when the failure came after the rename: the new file may already be in place. */
  readonly written: boolean;

  /**
   * Creates the error.
   *
   * @param code Reason code.
   * @param message Human-readable message.
   * @param where The file and line the problem is in, when known, and whether the file was
   * already replaced.
   */
  constructor(
    code: string,
    message: string,
    where: {
      readonly file?: string | null;
      readonly line?: number | null;
      readonly written?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "WriterError";
    this.code = code;
    this.file = where.file ?? null;
    this.line = where.line ?? null;
    this.written = where.written ?? false;
  }
}

/**
 * What the two writers (`ingest`, `rebuild`) share: the options they take (calibration, chaos,
 * test hooks) and the one error they throw for input they refuse. Nothing has been written when
 * a {@linkcode WriterError} is thrown.
 *
 * @module
 */

import type { AtomicWriteStep } from "../io/atomic_write.ts";
import type { Calibration } from "../core/calibration.ts";
import type { ChaosMode } from "../io/file_read.ts";

/**
 * A step of a writer, in order: `waiting` (the lock is held by someone else), `locked`, `read`
 * (the file to change has been read and checked), `mid-write` (half of the temporary file
 * written), `before-rename` (temporary file complete and flushed), `renamed` (the new file is in
 * place, the lock still held).
 */
export type WriterStep = "waiting" | "locked" | "read" | AtomicWriteStep | "renamed";

/** Options every writer takes. */
export interface WriterOptions {
  /** Thresholds: `lock_wait_ms`, `lock_poll_ms`, `retry_count`, `retry_backoff_ms`, I/O timeouts. */
  readonly calibration: Calibration;
  /** Chaos fault injected into every file read (G3). Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Progress and fault-injection hook; the writer waits for it at each step. Default none. */
  readonly onStep?: (step: WriterStep, file: string) => void | Promise<void>;
  /** Called before each retry of a transient fault (read or rename), with a message. */
  readonly onRetry?: (message: string) => void;
  /** Rename used by the atomic replace. Default `Deno.rename`. A seam for fault-injection tests. */
  readonly rename?: (from: string, to: string) => Promise<void>;
  /**
   * Take the inter-process lock. Default `true`. `false` exists only for the control experiment
   * of the concurrency tests (it shows the updates the lock prevents from being lost).
   */
  readonly lock?: boolean;
}

/** Input a writer refuses; the file it would have written is unchanged. */
export class WriterError extends Error {
  /** Stable UPPER_SNAKE reason code, e.g. `ENTRY_ID_DUPLICATE`, `KB_JSON_INVALID`. */
  readonly code: string;
  /** The file the problem is in, when there is one. */
  readonly file: string | null;
  /** 1-based line in `file`, when known. */
  readonly line: number | null;

  /**
   * Creates the error.
   *
   * @param code Reason code.
   * @param message Human-readable message.
   * @param where The file and line the problem is in, when known.
   */
  constructor(
    code: string,
    message: string,
    where: { readonly file?: string | null; readonly line?: number | null } = {},
  ) {
    super(message);
    this.name = "WriterError";
    this.code = code;
    this.file = where.file ?? null;
    this.line = where.line ?? null;
  }
}

/**
 * The writers' test seams, kept out of their public options ({@link import("./writer.ts").WriterOptions}):
 * the tests and the G1 control experiment pass an options object typed with
 * {@linkcode WriterSeamOptions}; the writers read the seams from there.
 *
 * @module
 */

import type { AtomicWriteStep } from "../io/atomic_write.ts";
import type { WriterOptions } from "./writer.ts";

/**
 * A step of a writer, in order: `waiting` (the lock is held by someone else), `locked`, `read`
 * (the file to change has been read and checked), `mid-write` (half of the temporary file
 * written), `before-rename` (temporary file complete and flushed), `renamed` (the new file is in
 * place, the lock still held).
 */
export type WriterStep = "waiting" | "locked" | "read" | AtomicWriteStep | "renamed";

/** Writer options plus the fault-injection seams. */
export interface WriterSeamOptions extends WriterOptions {
  /** Progress and fault-injection hook; the writer waits for it at each step. Default none. */
  readonly onStep?: (step: WriterStep, file: string) => void | Promise<void>;
  /** Rename used by the atomic replace. Default `Deno.rename`. */
  readonly rename?: (from: string, to: string) => Promise<void>;
  /**
   * Take the inter-process lock. Default `true`. `false` exists only for the control experiment
   * of the concurrency tests (it shows the updates the lock prevents from being lost).
   */
  readonly lock?: boolean;
}

/**
 * Reads the seams of a writer's options (absent in every public call).
 *
 * @param options What the writer was given.
 * @returns The same object, typed with its seams.
 */
export function seamsOf(options: WriterOptions): WriterSeamOptions {
  return options as WriterSeamOptions;
}

/**
 * Internal I/O steps shared by the writers: take the lock, read through the I/O seam, replace
 * atomically, each wired to the writer's options.
 *
 * @module
 */

import { atomicReplace, removeOrphanTempFiles } from "../io/atomic_write.ts";
import { acquireFileLock, type FileLock } from "../io/file_lock.ts";
import { readFileBytes } from "../io/file_read.ts";
import { WriterError, type WriterOptions } from "./writer.ts";
import { messageOf } from "../core/error.ts";
import { decodeUtf8 } from "../core/utf8.ts";

const NO_LOCK = (target: string): FileLock => ({
  target,
  lockPath: "",
  staleRetries: 0,
  release: () => Promise.resolve(),
  [Symbol.asyncDispose]: () => Promise.resolve(),
});

/**
 * The file a writer really changes: the target of a symbolic link (so that the link survives
 * and the lock and temporary files sit beside the real file), else the path as given.
 */
export async function resolveTarget(path: string): Promise<string> {
  try {
    if (!(await Deno.lstat(path)).isSymlink) return path;
    return await Deno.realPath(path);
  } catch (error) {
    // Missing: the read that follows reports it, with retries.
    if (error instanceof Deno.errors.NotFound) return path;
    throw error;
  }
}

/** Takes the lock of `target`, then removes the orphaned temporary files of killed writers. */
export async function lockForWrite(target: string, options: WriterOptions): Promise<FileLock> {
  if (options.lock === false) return NO_LOCK(target);
  let lock: FileLock;
  try {
    lock = await acquireFileLock(target, {
      waitMs: options.calibration.lock_wait_ms,
      pollMs: options.calibration.lock_poll_ms,
      onWait: () => options.onStep?.("waiting", target),
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new WriterError("NOT_FOUND", `Cannot lock "${target}": its folder does not exist`, {
        file: target,
      });
    }
    throw error;
  }
  try {
    await options.onStep?.("locked", target);
    await removeOrphanTempFiles(target);
    return lock;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Reads a whole file through the I/O seam (retries, chaos). */
export function readForWrite(path: string, options: WriterOptions): Promise<Uint8Array> {
  return readFileBytes(path, {
    calibration: options.calibration,
    chaos: options.chaos,
    onRetry: (attempt, error) => options.onRetry?.(`retry ${attempt}: ${error.message}`),
  });
}

/** Decodes strict UTF-8, or refuses the file. */
export function decodeForWrite(bytes: Uint8Array, path: string, code: string): string {
  const text = decodeUtf8(bytes);
  if (text === null) {
    throw new WriterError(code, `Cannot use "${path}": not valid UTF-8`, { file: path });
  }
  return text;
}

/** Replaces `path` with `bytes` atomically, with the writer's retry bound and hooks. */
export async function replaceForWrite(
  path: string,
  bytes: Uint8Array,
  options: WriterOptions,
): Promise<void> {
  await atomicReplace(path, bytes, {
    retries: options.calibration.retry_count,
    backoffMs: options.calibration.retry_backoff_ms,
    onStep: (step) => options.onStep?.(step, path),
    onRetry: (attempt, error) =>
      options.onRetry?.(
        `retry ${attempt}: rename onto "${path}" refused: ${messageOf(error)}`,
      ),
    ...(options.rename ? { rename: options.rename } : {}),
  });
  await options.onStep?.("renamed", path);
}

/**
 * Internal I/O steps shared by the writers: take the lock, check the target, read through the I/O
 * seam, replace atomically, each wired to the writer's options and seams.
 *
 * @module
 */

import { atomicReplace, removeOrphanTempFiles } from "../io/atomic_write.ts";
import type { AtomicWriteSeams } from "../io/atomic_write_seams.ts";
import { acquireFileLock, type FileLock } from "../io/file_lock.ts";
import { FileReadError, readFileBytes } from "../io/file_read.ts";
import { WriterError, type WriterOptions } from "./writer.ts";
import { seamsOf } from "./_options.ts";
import { codeOf, messageOf } from "../core/error.ts";
import { decodeUtf8 } from "../core/utf8.ts";

const NO_LOCK = (target: string): FileLock => ({
  target,
  lockPath: "",
  staleRetries: 0,
  release: () => Promise.resolve(),
  [Symbol.asyncDispose]: () => Promise.resolve(),
});

/** Whether a writer's file has been replaced yet (set right after the rename). */
export interface WriteState {
  written: boolean;
}

/**
 * The file a writer really changes: the target of a symbolic link (so that the link survives,
 * and the lock and temporary files sit beside the real file: every name of it through symlinks
 * takes the same lock), else the path as given.
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
  const seams = seamsOf(options);
  if (seams.lock === false) return NO_LOCK(target);
  let lock: FileLock;
  try {
    lock = await acquireFileLock(target, {
      waitMs: options.calibration.lock_wait_ms,
      pollMs: options.calibration.lock_poll_ms,
      onWait: async () => {
        options.onWait?.(`${target}.lock`);
        await seams.onStep?.("waiting", target);
      },
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
    await seams.onStep?.("locked", target);
    await removeOrphanTempFiles(target);
    return lock;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * Releases a writer's lock; a failure after the file was replaced says so (`written`).
 */
export async function releaseForWrite(
  lock: FileLock,
  state: WriteState,
  file: string,
): Promise<void> {
  try {
    await lock.release();
  } catch (error) {
    throw state.written ? pastRename(error, file) : error;
  }
}

/**
 * Refuses to replace a file the user may not write (`<prefix>READ_ONLY`: no write permission for
 * the user, or no write bit at all, which also stops root) or one with several hard links
 * (`<prefix>HARDLINKED`: the atomic rename would give this name a new file and leave the other
 * names on the old one, so an update through another name would be lost). A missing file passes
 * (the read reports it).
 */
export async function checkReplaceable(
  target: string,
  shown: string,
  prefix: string,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(target);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  refuseIrregular(info, shown);
  if (info.nlink !== null && info.nlink > 1) {
    throw new WriterError(
      `${prefix}HARDLINKED`,
      `Cannot replace "${shown}": it has ${info.nlink} hard links, and replacing one name would ` +
        "leave the others on the old file; keep one name (use a symbolic link for the others)",
      { file: shown },
    );
  }
  const readOnly = (): WriterError =>
    new WriterError(
      `${prefix}READ_ONLY`,
      `Cannot replace "${shown}": it is read-only for this user; make it writable first`,
      { file: shown },
    );
  if (info.mode !== null && (info.mode & 0o222) === 0) throw readOnly();
  let probe: Deno.FsFile;
  try {
    probe = await Deno.open(target, { write: true });
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) throw readOnly();
    throw error;
  }
  probe.close();
}

/**
 * Refuses a file a writer only reads (the KB of a rebuild) when it is not a regular file: a FIFO
 * would hold the read until its timeouts ran out. A missing file passes (the read reports it).
 */
export async function checkReadable(target: string, shown: string): Promise<void> {
  try {
    refuseIrregular(await Deno.stat(target), shown);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function refuseIrregular(info: Deno.FileInfo, shown: string): void {
  if (info.isFile) return;
  const what = info.isDirectory ? "a folder" : info.isFifo ? "a FIFO" : "a device or socket";
  throw new WriterError("NOT_A_FILE", `Cannot use "${shown}": it is ${what}, not a regular file`, {
    file: shown,
  });
}

/**
 * Reads a whole file through the I/O seam (retries, chaos). A file over `max_input_bytes` is
 * `<prefix>TOO_LARGE` (SPEC §3: `KB_TOO_LARGE`, `BOOTPACK_TOO_LARGE`), never half-read.
 */
export async function readForWrite(
  path: string,
  options: WriterOptions,
  prefix: "KB_" | "BOOTPACK_",
): Promise<Uint8Array> {
  try {
    return await readFileBytes(path, {
      calibration: options.calibration,
      chaos: options.chaos,
      onRetry: (attempt, error) => options.onRetry?.(`retry ${attempt}: ${error.message}`),
    });
  } catch (error) {
    if (error instanceof FileReadError && error.code === "TOO_LARGE") {
      throw new WriterError(`${prefix}TOO_LARGE`, error.message, { file: path });
    }
    throw error;
  }
}

/** Decodes strict UTF-8, or refuses the file. */
export function decodeForWrite(bytes: Uint8Array, path: string, code: string): string {
  const text = decodeUtf8(bytes);
  if (text === null) {
    throw new WriterError(code, `Cannot use "${path}": not valid UTF-8`, { file: path });
  }
  return text;
}

/**
 * Replaces `path` with `bytes` atomically, with the writer's retry bound and hooks; sets
 * `state.written` right after the rename, and turns any later failure into a `written` error.
 */
export async function replaceForWrite(
  path: string,
  bytes: Uint8Array,
  options: WriterOptions,
  state: WriteState,
): Promise<void> {
  const seams = seamsOf(options);
  const atomic: Parameters<typeof atomicReplace>[2] & AtomicWriteSeams = {
    retries: options.calibration.retry_count,
    backoffMs: options.calibration.retry_backoff_ms,
    onStep: (step) => seams.onStep?.(step, path),
    onRetry: (attempt, error) =>
      options.onRetry?.(
        `retry ${attempt}: rename onto "${path}" refused: ${messageOf(error)}`,
      ),
    ...(seams.rename ? { rename: seams.rename } : {}),
  };
  await atomicReplace(path, bytes, atomic);
  state.written = true;
  try {
    await seams.onStep?.("renamed", path);
  } catch (error) {
    throw pastRename(error, path);
  }
}

/** A failure after the rename: the new file is (most likely) in place. */
function pastRename(error: unknown, file: string): WriterError {
  if (error instanceof WriterError && error.written) return error;
  return new WriterError(
    codeOf(error, "IO_ERROR"),
    `"${file}" was replaced, then the writer failed: ${messageOf(error)}`,
    { file, written: true },
  );
}

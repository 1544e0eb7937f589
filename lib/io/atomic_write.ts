/**
 * Atomic replacement of a file: readers see the old bytes or the new bytes, never a mix, and a
 * crash at any point leaves the old file in place.
 *
 * The new bytes go to a temporary file in the target's own directory (same file system, so the
 * rename is atomic), created exclusively (`<name>.tmp-<16 hex>`), written, flushed with `sync()`,
 * then renamed over the target; the directory is then flushed where the platform supports it
 * (POSIX), so that the rename itself survives a power cut. On every failure path the temporary
 * file is removed. A writer killed outright cannot remove it: the next holder of the target's
 * lock does ({@linkcode removeOrphanTempFiles}), which is safe because only a lock holder creates
 * temporary files for a target.
 *
 * Only the target changes, and it keeps its identity. The temporary file is created with
 * `O_CREAT | O_EXCL | O_NOFOLLOW` (never through a planted link) and mode 0600; its owner, group
 * and mode are then set through the open handle (`fchown`, then `fchmod`: a chown clears set-id
 * bits), never by path, to those of the file it replaces (a new file gets 0644): Deno's own
 * `FsFile` has no `chmod`/`chown`, so the handle is a `node:fs/promises` `FileHandle`. The owner
 * and group are kept where the process may set them (root; a user who belongs to the group keeps
 * the group), and silently left as the process's own otherwise, as npm `write-file-atomic` does.
 * Right before the rename, the temporary name must still be the file the handle wrote (same
 * `dev`/`ino` by `lstat`), else nothing is renamed ({@linkcode AtomicWriteError},
 * `TEMP_SWAPPED`) and the planted name is left alone. (A swap in the instant between that check
 * and the rename needs the right to rename the writer's own file: in a sticky folder only its
 * owner has it, and elsewhere whoever has it can replace the target itself anyway.)
 *
 * A rename that fails with access denied or busy (Windows refuses to replace a file that antivirus
 * or a reader holds open for a moment) is retried `retries` times with doubling backoff; nothing
 * else is retried.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";
import { retry } from "../core/retry.ts";
import { basename, dirname } from "../core/path.ts";
import type { AtomicWriteSeams } from "./atomic_write_seams.ts";

/** A step of {@linkcode atomicReplace}, for progress and fault-injection hooks. */
export type AtomicWriteStep = "mid-write" | "before-rename";

/** Options of {@linkcode atomicReplace}. */
export interface AtomicWriteOptions {
  /** Retries of a transiently refused rename (calibration `retry_count`). Required. */
  readonly retries: number;
  /** Backoff before the first retry in ms, doubled each retry (calibration `retry_backoff_ms`). */
  readonly backoffMs: number;
  /** Called before each rename retry, with the failed attempt's number and error. */
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

/** The temporary file's name no longer names the file written (`code` `TEMP_SWAPPED`). */
export class AtomicWriteError extends Error {
  /** Stable reason code. */
  readonly code = "TEMP_SWAPPED";

  /**
   * Creates the error.
   *
   * @param temp The temporary file's name.
   */
  constructor(temp: string) {
    super(`Cannot replace with "${temp}": the name was swapped for another file; nothing renamed`);
    this.name = "AtomicWriteError";
  }
}

const TEMP_SUFFIX = /\.tmp-[0-9a-f]{16}$/;

/**
 * Tells whether a directory entry's name is a temporary file of `target` made by
 * {@linkcode atomicReplace}.
 *
 * @param target The target's path (or name).
 * @param name A file name (no directory).
 * @returns `true` for `<target's name>.tmp-<16 hex digits>`.
 * @example
 * ```ts
 * import { isTempFileOf } from "./atomic_write.ts";
 * if (!isTempFileOf("kb/a.txt", "a.txt.tmp-0123456789abcdef")) throw new Error();
 * if (isTempFileOf("kb/a.txt", "a.txt.lock")) throw new Error();
 * ```
 */
export function isTempFileOf(target: string, name: string): boolean {
  const base = basename(target);
  return name.length === base.length + 21 && name.startsWith(base) &&
    TEMP_SUFFIX.test(name.slice(base.length));
}

/**
 * Tells whether a file name is a temporary file of any target (`*.tmp-<16 hex digits>`).
 *
 * @param name A file name.
 * @returns `true` when it has the temporary files' suffix.
 * @example
 * ```ts
 * import { isTempFileName } from "./atomic_write.ts";
 * if (!isTempFileName("kb.json.tmp-0123456789abcdef") || isTempFileName("kb.json")) throw new Error();
 * ```
 */
export function isTempFileName(name: string): boolean {
  return TEMP_SUFFIX.test(name);
}

/**
 * Replaces `target` with `data` atomically (see the module doc).
 *
 * @param target The file to replace (created if missing).
 * @param data Its new bytes.
 * @param options Retry bound and retry hook.
 * @throws {import("../core/retry.ts").RetryExhaustedError} When every rename attempt was refused.
 * @throws {AtomicWriteError} When the temporary name was swapped before the rename.
 * @throws {Deno.errors.PermissionDenied} Or any other I/O error; the target is then unchanged
 * and the temporary file removed.
 * @example
 * ```ts
 * import { atomicReplace } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicReplace(`${dir}/a.txt`, new TextEncoder().encode("new\n"), {
 *   retries: 3,
 *   backoffMs: 10,
 * });
 * if (await Deno.readTextFile(`${dir}/a.txt`) !== "new\n") throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function atomicReplace(
  target: string,
  data: Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const seams = options as AtomicWriteOptions & AtomicWriteSeams;
  const windows = Deno.build.os === "windows";
  let old: Deno.FileInfo | null = null;
  try {
    old = await Deno.stat(target);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const temp = `${target}.tmp-${randomHex(8)}`;
  // node:fs loads here, on first use: importing the writer costs the gates nothing.
  const { constants, open: openNode } = await import("node:fs/promises");
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL |
    (constants.O_NOFOLLOW ?? 0);
  const file = await openNode(temp, flags, 0o600);
  let open = true;
  let renamed = false;
  let swapped = false;
  try {
    const half = Math.floor(data.length / 2);
    await writeAll(file, data.subarray(0, half));
    await seams.onStep?.("mid-write");
    await writeAll(file, data.subarray(half));
    if (!windows) await keepIdentity(file, old);
    await file.sync();
    await seams.onStep?.("before-rename");
    swapped = !(await namesHandle(temp, file));
    if (swapped) throw new AtomicWriteError(temp);
    await file.close();
    open = false;
    const rename = seams.rename ?? Deno.rename;
    await retry(() => rename(temp, target), {
      retries: options.retries,
      backoffMs: options.backoffMs,
      isTransient: isTransientRenameError,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    renamed = true;
  } finally {
    if (open) await file.close().catch(() => {});
    if (!renamed && !swapped) {
      await Deno.remove(temp).catch(() => {
        // Already gone, or the file system refuses: the next lock holder removes it.
      });
    }
  }
  if (!windows) await syncDirectory(dirname(target));
}

/** Gives the handle the owner, group (where allowed) and mode of the file it replaces. */
async function keepIdentity(file: FileHandle, old: Deno.FileInfo | null): Promise<void> {
  if (old === null) {
    await file.chmod(0o644);
    return;
  }
  const mine = await file.stat();
  if (old.uid !== null && old.gid !== null && (old.uid !== mine.uid || old.gid !== mine.gid)) {
    try {
      await file.chown(old.uid, old.gid);
    } catch {
      // Not root: keep at least the group when the user belongs to it, else the user's own.
      await file.chown(mine.uid, old.gid).catch(() => {});
    }
  }
  await file.chmod((old.mode ?? 0o644) & 0o7777);
}

/** Whether `path` (not followed) is the file the handle holds. */
async function namesHandle(path: string, file: FileHandle): Promise<boolean> {
  const held = await file.stat();
  try {
    const named = await Deno.lstat(path);
    return named.isFile && named.ino === held.ino && named.dev === held.dev;
  } catch {
    return false;
  }
}

/**
 * Removes the temporary files of `target` left by a writer that was killed. Call it only while
 * holding the target's lock: then every such file is an orphan.
 *
 * @param target The file whose orphans to remove.
 * @returns The names removed.
 * @example
 * ```ts
 * import { removeOrphanTempFiles } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt.tmp-0123456789abcdef`, "half");
 * const removed = await removeOrphanTempFiles(`${dir}/a.txt`);
 * if (removed.length !== 1) throw new Error();
 * await Deno.remove(dir);
 * ```
 */
export async function removeOrphanTempFiles(target: string): Promise<string[]> {
  const dir = dirname(target);
  const removed: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !isTempFileOf(target, entry.name)) continue;
    try {
      await Deno.remove(`${dir}/${entry.name}`);
      removed.push(entry.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}

/**
 * Tells whether a rename error may pass if tried again: access denied or busy (Windows, while
 * antivirus, the indexer or a reader holds the file), but never a refusal by Deno's own
 * permissions.
 *
 * @param error The rename's error.
 * @returns `true` for `PermissionDenied` and `Busy`.
 * @example
 * ```ts
 * import { isTransientRenameError } from "./atomic_write.ts";
 * if (!isTransientRenameError(new Deno.errors.PermissionDenied("EPERM"))) throw new Error();
 * if (isTransientRenameError(new Deno.errors.NotFound("gone"))) throw new Error();
 * ```
 */
export function isTransientRenameError(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.Busy;
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  let rest = data;
  while (rest.length > 0) rest = rest.subarray((await file.write(rest)).bytesWritten);
}

/** Flushes a directory's entries (POSIX). Some file systems refuse; the rename is done anyway. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // EINVAL on file systems without directory fsync (some network file systems).
  } finally {
    handle.close();
  }
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

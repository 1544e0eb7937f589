/**
 * An exclusive inter-process lock on a file, for the writers (`ingest`, `rebuild`).
 *
 * The lock is the operating system's own (`Deno.FsFile.tryLock`: `flock` on Linux and macOS,
 * `LockFileEx` on Windows), taken on a sidecar file `<target>.lock` beside the target, never on the
 * target itself: Windows locks are mandatory and would block readers of the data file. The OS
 * drops the lock when its process dies, so a crash never leaves a lock that blocks anybody; a lock
 * file left by a crash is simply locked and reused by the next writer, and removed by it.
 *
 * Waiting is bounded (`waitMs`, calibration `lock_wait_ms`): the lock is polled with `tryLock`
 * (a blocking `lock()` could not be abandoned when the wait times out), with an interval that
 * starts at `pollMs` (calibration `lock_poll_ms`) and doubles up to `16 × pollMs`, with jitter so
 * that waiters do not poll in step. A {@linkcode LockTimeoutError} names the lock file and, when
 * the platform lets a waiter read it (not on Windows, where the holder's lock is mandatory), the
 * holder's pid and host.
 *
 * ## Why removing the lock file is safe (lock-then-verify)
 *
 * Removing a lock file is where the classic race lives: waiter W opens `X.lock` (inode 1), holder
 * H removes it and releases; newcomer N creates a new `X.lock` (inode 2) and locks it; W's pending
 * `tryLock` on inode 1 now succeeds too, and two processes hold "the" lock. The protocol:
 *
 * 1. open (create if missing) `X.lock`, take the OS lock on that handle;
 * 2. verify: `fstat` of the handle and `stat` of the path must give the same `(dev, ino)`; if not
 *    (or the path is gone), the handle holds an orphan: close it and start again at 1;
 * 3. work;
 * 4. release: remove `X.lock` while still holding the lock, then close (which unlocks).
 *
 * Argument. Only a verified holder removes the lock file, and only just before it releases; nobody
 * renames it. Let A and B be verified holders, A verified at `tA` with the path naming inode `a`,
 * B at `tB >= tA` with the path naming inode `b`. If `a = b`, the OS lock excludes them (locks are
 * per open handle, even within one process), so B verified after A released. If `a != b`, the path
 * stopped naming `a` between `tA` and `tB`: only a holder of `a`'s lock can remove `a`, and A holds
 * it from `tA` until its release, so the removal was A's own step 4, after A's work. Either way
 * B's work starts after A's work ended. Inode numbers cannot be reused in between: W's open handle
 * keeps its (possibly unlinked) inode alive while W compares. `tests/io/file_lock_test.ts` races
 * holders, waiters and removal across processes and checks that hold intervals never overlap.
 *
 * ## Only the lock file is ever touched
 *
 * Whoever can write in the target's folder can plant something at `X.lock` before a writer runs,
 * or swap it while the writer runs. The lock file is created exclusively (`createNew`: `O_EXCL`,
 * which never follows a link); an existing one is `lstat`ed first and refused with
 * {@linkcode LockFileError} (`LOCK_NOT_REGULAR`) when it is a symlink, FIFO, folder, device or
 * socket, or a regular file with several hard links (it could be another file's second name); it
 * is then opened without create or truncate, and the handle's identity (`fstat`) must be the name's
 * (`lstat`), else the handle is closed untouched (a swap between the `lstat` and the open made it
 * open something else, which it neither wrote nor truncated). Nothing is written to the lock file
 * (the holder's pid and host) before that check passes again under the lock. Reading a holder's
 * name for a timeout message opens the file with `O_NOFOLLOW | O_NONBLOCK` and reads it only when
 * the handle is a regular file.
 *
 * Windows: deleting a file that is still open leaves it "delete pending" on file systems without
 * POSIX delete semantics (SMB shares): opening it fails with access denied until the holder closes
 * it, so a waiter treats that error as "busy" and polls again. Windows reports file IDs
 * (`FileInfo.ino`, the volume's file index) so the same verification applies. Where a platform
 * reports no file identity (`ino` null or 0) verification is impossible, so the lock file is never
 * removed there: a residual lock file, never two holders.
 *
 * @module
 */

/** Who holds a lock, as its holder wrote it into the lock file (fields unknown are `null`). */
export interface LockOwner {
  /** Process id. */
  readonly pid: number | null;
  /** Host name, when the holder could learn it. */
  readonly host: string | null;
  /** When the lock was taken (ISO 8601). */
  readonly since: string | null;
}

/** Waiting for a lock took longer than allowed (`code` `LOCK_TIMEOUT`). */
export class LockTimeoutError extends Error {
  /** Stable reason code. */
  readonly code = "LOCK_TIMEOUT";
  /** The lock file. */
  readonly lockPath: string;
  /** The holder, when the lock file could be read. */
  readonly owner: LockOwner | null;
  /** How long the caller waited, in ms. */
  readonly waitedMs: number;

  /**
   * Creates the error.
   *
   * @param lockPath The lock file.
   * @param owner The holder, or `null`.
   * @param waitedMs How long the caller waited.
   */
  constructor(lockPath: string, owner: LockOwner | null, waitedMs: number) {
    const who = owner === null || owner.pid === null
      ? "by another process (holder unknown)"
      : `by pid ${owner.pid}${owner.host ? ` on host ${owner.host}` : ""}${
        owner.since ? ` since ${owner.since}` : ""
      }`;
    super(`Cannot lock "${lockPath}": held ${who}; gave up after ${Math.round(waitedMs)} ms`);
    this.name = "LockTimeoutError";
    this.lockPath = lockPath;
    this.owner = owner;
    this.waitedMs = waitedMs;
  }
}

/** The lock file is not a plain file of its own (`code` `LOCK_NOT_REGULAR`): it is refused. */
export class LockFileError extends Error {
  /** Stable reason code. */
  readonly code = "LOCK_NOT_REGULAR";
  /** The lock file. */
  readonly lockPath: string;

  /**
   * Creates the error.
   *
   * @param lockPath The lock file.
   * @param what What it is, e.g. `a symbolic link`.
   */
  constructor(lockPath: string, what: string) {
    super(
      `Cannot lock "${lockPath}": it is ${what}, not a plain lock file; remove it if it is not yours`,
    );
    this.name = "LockFileError";
    this.lockPath = lockPath;
  }
}

/** Options of {@linkcode acquireFileLock}. */
export interface FileLockOptions {
  /** Longest wait for the lock, in ms (calibration `lock_wait_ms`). Required. */
  readonly waitMs: number;
  /** First poll interval, in ms (calibration `lock_poll_ms`); doubles up to 16 times this. */
  readonly pollMs: number;
  /** Called once, when the lock is found held by someone else and waiting begins. */
  readonly onWait?: () => void | Promise<void>;
}

/** A held lock. Release it exactly once (also `await using`). */
export interface FileLock {
  /** The file the lock protects. */
  readonly target: string;
  /** The sidecar lock file, `<target>.lock`. */
  readonly lockPath: string;
  /** Times the protocol found it held an orphaned lock file and started again. */
  readonly staleRetries: number;
  /** Removes the lock file (while still holding the lock), then unlocks. Idempotent. */
  release(): Promise<void>;
  /** Same as {@linkcode FileLock.release}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Gives the lock file of a target: `<target>.lock`, in the target's own directory.
 *
 * @param target The protected file.
 * @returns Its lock file's path.
 * @example
 * ```ts
 * import { lockPathOf } from "./file_lock.ts";
 * if (lockPathOf("kb/BUG_KB.json.txt") !== "kb/BUG_KB.json.txt.lock") throw new Error();
 * ```
 */
export function lockPathOf(target: string): string {
  return `${target}.lock`;
}

/**
 * Takes the exclusive inter-process lock of `target` (see the module doc for the protocol),
 * waiting at most `waitMs`.
 *
 * @param target The file to protect (it need not exist).
 * @param options Wait bound and poll interval.
 * @returns The held lock.
 * @throws {LockTimeoutError} When the lock stays held by others for longer than `waitMs`.
 * @throws {LockFileError} When the lock file is a symlink, FIFO, folder or other non-regular file,
 * or has several hard links.
 * @throws {Deno.errors.NotFound} When the target's directory does not exist.
 * @example
 * ```ts
 * import { acquireFileLock } from "./file_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireFileLock(`${dir}/kb.json`, { waitMs: 1000, pollMs: 5 });
 * await lock.release();
 * await Deno.remove(dir);
 * ```
 */
export async function acquireFileLock(target: string, options: FileLockOptions): Promise<FileLock> {
  const lockPath = lockPathOf(target);
  const started = performance.now();
  const windows = Deno.build.os === "windows";
  let interval = Math.max(1, options.pollMs);
  const maxInterval = Math.max(1, options.pollMs) * 16;
  let waiting = false;
  let staleRetries = 0;

  const waitOrGiveUp = async (): Promise<void> => {
    const waited = performance.now() - started;
    if (waited >= options.waitMs) {
      throw new LockTimeoutError(lockPath, await readOwner(lockPath), waited);
    }
    if (!waiting) {
      waiting = true;
      await options.onWait?.();
    }
    const pause = Math.min(interval * (0.5 + Math.random()), options.waitMs - waited);
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, pause)));
    interval = Math.min(interval * 2, maxInterval);
  };

  for (;;) {
    let file: Deno.FsFile | null;
    try {
      file = await openLockFile(lockPath);
    } catch (error) {
      // Windows: a lock file removed by its holder stays "delete pending" (access denied) until
      // the holder closes it. Anywhere else, access denied is real and not worth waiting for.
      if (windows && error instanceof Deno.errors.PermissionDenied) {
        await waitOrGiveUp();
        continue;
      }
      throw error;
    }
    if (file === null) {
      // Removed or swapped between the look and the open: look again, within the same bound.
      staleRetries++;
      if (performance.now() - started >= options.waitMs) await waitOrGiveUp();
      continue;
    }
    let verified: boolean | "unknown" = false;
    try {
      while (!(await file.tryLock(true))) await waitOrGiveUp();
      verified = await sameFile(file, lockPath);
      if (verified !== false) {
        await writeOwner(file);
        return makeLock(target, lockPath, file, verified === true, staleRetries);
      }
    } catch (error) {
      file.close();
      throw error;
    }
    // The handle holds an orphan (removed by its last holder): start again at once, within
    // the same bound.
    file.close();
    staleRetries++;
    const waited = performance.now() - started;
    if (waited >= options.waitMs) {
      throw new LockTimeoutError(lockPath, await readOwner(lockPath), waited);
    }
  }
}

/**
 * Opens the lock file without following a link: created exclusively, or an existing regular file
 * of one link whose handle is the file its name shows. `null`: it vanished or was swapped meanwhile.
 */
async function openLockFile(lockPath: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(lockPath, { read: true, write: true, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  let seen: Deno.FileInfo;
  try {
    seen = await Deno.lstat(lockPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  refuseIrregular(lockPath, seen);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    const held = await file.stat();
    if (held.ino !== null && held.ino !== 0 && (held.ino !== seen.ino || held.dev !== seen.dev)) {
      file.close();
      return null;
    }
    refuseIrregular(lockPath, held);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

function refuseIrregular(lockPath: string, info: Deno.FileInfo): void {
  if (info.isSymlink) throw new LockFileError(lockPath, "a symbolic link");
  if (info.isDirectory) throw new LockFileError(lockPath, "a folder");
  if (info.isFifo) throw new LockFileError(lockPath, "a FIFO");
  if (!info.isFile) throw new LockFileError(lockPath, "a device, socket or other special file");
  if (info.nlink !== null && info.nlink > 1) {
    throw new LockFileError(lockPath, `a file with ${info.nlink} hard links`);
  }
}

/**
 * Runs `fn` while holding the lock of `target`, and releases it whatever happens.
 *
 * @param target The file to protect.
 * @param fn The work.
 * @param options Wait bound and poll interval.
 * @returns What `fn` returned.
 * @throws {LockTimeoutError} When the lock cannot be taken in time; anything `fn` throws.
 * @example
 * ```ts
 * import { withFileLock } from "./file_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const n = await withFileLock(`${dir}/kb.json`, () => Promise.resolve(42), {
 *   waitMs: 1000,
 *   pollMs: 5,
 * });
 * if (n !== 42) throw new Error();
 * await Deno.remove(dir);
 * ```
 */
export async function withFileLock<T>(
  target: string,
  fn: (lock: FileLock) => Promise<T>,
  options: FileLockOptions,
): Promise<T> {
  const lock = await acquireFileLock(target, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

function makeLock(
  target: string,
  lockPath: string,
  file: Deno.FsFile,
  removable: boolean,
  staleRetries: number,
): FileLock {
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    try {
      // Remove only our own file: if something outside the protocol replaced it, leave it be.
      if (removable && (await sameFile(file, lockPath)) === true) {
        await Deno.remove(lockPath).catch((e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
      }
    } finally {
      file.close();
    }
  };
  return { target, lockPath, staleRetries, release, [Symbol.asyncDispose]: release };
}

/** Whether the open handle is the file the path names now; `"unknown"` without file identity. */
async function sameFile(file: Deno.FsFile, path: string): Promise<boolean | "unknown"> {
  const held = await file.stat();
  if (held.ino === null || held.ino === 0) return "unknown";
  let named: Deno.FileInfo;
  try {
    named = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // Windows: the name of a removed file that someone still holds open is "delete pending".
    if (Deno.build.os === "windows" && error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  }
  return named.dev === held.dev && named.ino === held.ino && named.isFile;
}

async function writeOwner(file: Deno.FsFile): Promise<void> {
  const owner: LockOwner = { pid: Deno.pid, host: hostName(), since: new Date().toISOString() };
  const bytes = new TextEncoder().encode(JSON.stringify(owner) + "\n");
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  let rest = bytes;
  while (rest.length > 0) rest = rest.subarray(await file.write(rest));
}

async function readOwner(lockPath: string): Promise<LockOwner | null> {
  try {
    // Never follow a link, never block on a FIFO: read only a regular file.
    // node:fs loads here, on first use: importing the lock costs the gates nothing.
    const { constants, open: openNode } = await import("node:fs/promises");
    const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
    const handle = await openNode(lockPath, flags);
    let text: string;
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > 4096) return null;
      text = new TextDecoder().decode(await handle.readFile());
    } finally {
      await handle.close();
    }
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return null;
    const v = value as Record<string, unknown>;
    return {
      pid: typeof v["pid"] === "number" ? v["pid"] : null,
      host: typeof v["host"] === "string" ? v["host"] : null,
      since: typeof v["since"] === "string" ? v["since"] : null,
    };
  } catch {
    // Unreadable (Windows mandatory lock, half-written, removed meanwhile): holder unknown.
    return null;
  }
}

let cachedHost: string | null | undefined;

/** The host name when it can be learnt without asking for a permission the task lacks. */
function hostName(): string | null {
  if (cachedHost !== undefined) return cachedHost;
  cachedHost = null;
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
      cachedHost = Deno.hostname();
    } else if (Deno.build.os === "linux") {
      cachedHost = Deno.readTextFileSync("/etc/hostname").trim() || null;
    }
  } catch {
    cachedHost = null;
  }
  return cachedHost;
}

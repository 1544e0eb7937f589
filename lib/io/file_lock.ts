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

/** Waiting for a lock took longer than allowed. */
export class LockTimeoutError extends Error {
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
    let file: Deno.FsFile;
    try {
      file = await Deno.open(lockPath, { read: true, write: true, create: true });
    } catch (error) {
      // Windows: a lock file removed by its holder stays "delete pending" (access denied) until
      // the holder closes it. Anywhere else, access denied is real and not worth waiting for.
      if (windows && error instanceof Deno.errors.PermissionDenied) {
        await waitOrGiveUp();
        continue;
      }
      throw error;
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
    named = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // Windows: the name of a removed file that someone still holds open is "delete pending".
    if (Deno.build.os === "windows" && error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  }
  return named.dev === held.dev && named.ino === held.ino;
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
    const value: unknown = JSON.parse(await Deno.readTextFile(lockPath));
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

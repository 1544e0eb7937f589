/**
 * Folders a command creates and may therefore remove: the one mechanism by which `export` and
 * `certify` never destroy what is not theirs (SPEC §6).
 *
 * - The output name is reserved with `mkdir` (which fails if anything is there: nothing existing
 *   is ever touched), and the work is done in a sibling `<out>.bootpack-partial-<pid>-<random>`,
 *   a name that says whose it is (the pid, and the inode of the reserved folder).
 * - {@linkcode OwnedDir.publish} checks that the reserved folder is still the empty one this run
 *   made (same device and inode) and renames the work over it; anything that appeared there
 *   meanwhile makes it fail and stay.
 * - Every live owned folder is registered, so a SIGINT or SIGTERM handler can remove them
 *   ({@linkcode removeAllOwnedDirs}); after a SIGKILL, the next run removes the partial folders of
 *   dead runs. A run is alive while it holds the OS lock (`flock`, `LockFileEx`) on its sidecar
 *   `<partial>.lock`, which the OS drops when the process dies, whatever kills it; the sidecar is
 *   created and locked before the partial folder and removed after it. (A pid cannot tell: Deno
 *   needs `--allow-all` to read `/proc`, and pids are reused.)
 *
 * @module
 */

import { basename, dirname } from "../core/path.ts";

const PARTIAL = ".bootpack-partial-";
const live = new Set<string>();

/** An output folder reserved by this run, and the partial folder the work is done in. */
export class OwnedDir {
  /** The reserved output folder. */
  readonly out: string;
  /** The folder to write in until {@linkcode OwnedDir.publish}. */
  readonly work: string;
  readonly #identity: Deno.FileInfo;
  readonly #lock: Deno.FsFile;
  #done = false;

  private constructor(out: string, work: string, identity: Deno.FileInfo, lock: Deno.FsFile) {
    this.out = out;
    this.work = work;
    this.#identity = identity;
    this.#lock = lock;
  }

  /**
   * Reserves `out` (which must not exist) and creates its partial sibling, after removing the
   * partial siblings of dead runs.
   *
   * @param out The output folder.
   * @returns The owned folders.
   * @throws {Deno.errors.AlreadyExists} When `out` exists.
   * @example
   * ```ts
   * import { OwnedDir } from "./owned_dir.ts";
   * const dir = await Deno.makeTempDir();
   * const owned = await OwnedDir.create(`${dir}/out`);
   * await Deno.writeTextFile(`${owned.work}/a.txt`, "a");
   * await owned.publish();
   * if (await Deno.readTextFile(`${dir}/out/a.txt`) !== "a") throw new Error();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async create(out: string): Promise<OwnedDir> {
    await removeDeadPartials(out);
    await Deno.mkdir(out);
    live.add(out);
    const identity = await Deno.lstat(out);
    // The name says whose it is: this process, and the inode of the folder it reserved.
    const work = `${out}${PARTIAL}${Deno.pid}-${identity.ino ?? 0}-${
      crypto.randomUUID().slice(0, 8)
    }`;
    let lock: Deno.FsFile | null = null;
    try {
      lock = await Deno.open(`${work}.lock`, { write: true, createNew: true, mode: 0o600 });
      live.add(`${work}.lock`);
      if (!(await lock.tryLock(true))) throw new Error(`Cannot lock "${work}.lock"`);
      await Deno.mkdir(work);
      live.add(work);
    } catch (error) {
      lock?.close();
      await Deno.remove(`${work}.lock`).catch(() => {});
      live.delete(`${work}.lock`);
      await removeReserved(out, identity);
      live.delete(out);
      throw error;
    }
    return new OwnedDir(out, work, identity, lock);
  }

  /**
   * Moves the work into place, if the reserved folder is still this run's and empty.
   *
   * @throws {Deno.errors.AlreadyExists} When something appeared at `out`; it is left as it is.
   */
  async publish(): Promise<void> {
    const now = await Deno.lstat(this.out).catch(() => null);
    if (now === null || !sameFile(now, this.#identity)) {
      live.delete(this.out);
      throw new Deno.errors.AlreadyExists(`"${this.out}" was replaced while this run wrote`);
    }
    try {
      await Deno.rename(this.work, this.out); // over an empty folder only: ENOTEMPTY otherwise
    } catch (error) {
      live.delete(this.out);
      throw new Deno.errors.AlreadyExists(`"${this.out}" changed while this run wrote: ${error}`);
    }
    live.delete(this.work);
    live.delete(this.out);
    await this.#unlock();
  }

  async #unlock(): Promise<void> {
    this.#done = true;
    await Deno.remove(`${this.work}.lock`).catch(() => {});
    live.delete(`${this.work}.lock`);
    this.#lock.close();
  }

  /** Removes the work and the reserved folder (only if still this run's and empty); after a
   * {@linkcode OwnedDir.publish}, does nothing. */
  async discard(): Promise<void> {
    if (this.#done) return;
    await Deno.remove(this.work, { recursive: true }).catch(() => {});
    live.delete(this.work);
    if (live.has(this.out)) await removeReserved(this.out, this.#identity);
    live.delete(this.out);
    await this.#unlock();
  }
}

/**
 * Removes every folder this process owns and has not published, synchronously (for a signal
 * handler): partial folders recursively, reserved output folders only when empty.
 *
 * @example
 * ```ts
 * import { removeAllOwnedDirs } from "./owned_dir.ts";
 * removeAllOwnedDirs();
 * ```
 */
export function removeAllOwnedDirs(): void {
  for (const path of live) {
    const recursive = path.includes(PARTIAL) && !path.endsWith(".lock");
    // A write still in flight on another thread can add an entry to a partial tree while it is
    // removed (ENOTEMPTY): try again, a few times. The reserved --out folder is removed only
    // while empty: anything in it is not ours, and every attempt leaves it.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        Deno.removeSync(path, { recursive });
        break;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) break; // gone already
      }
    }
  }
  live.clear();
}

async function removeReserved(out: string, identity: Deno.FileInfo): Promise<void> {
  const now = await Deno.lstat(out).catch(() => null);
  if (now !== null && sameFile(now, identity)) await Deno.remove(out).catch(() => {});
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  // An inode number is reused at once by a folder made after ours was removed: the birth (or
  // change) time tells them apart, to the millisecond.
  const born = (i: Deno.FileInfo): number | undefined =>
    (i.birthtime ?? i.ctime ?? null)?.getTime();
  return a.isDirectory && a.dev === b.dev && a.ino === b.ino && born(a) === born(b);
}

async function removeDeadPartials(out: string): Promise<void> {
  const parent = dirname(out);
  const prefix = `${basename(out)}${PARTIAL}`;
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir(parent)) {
      if (e.isDirectory && e.name.startsWith(prefix)) found.push(e.name);
    }
  } catch {
    return; // the parent cannot be listed: mkdir will say why
  }
  for (const name of found) {
    const m = /^(\d+)-(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length));
    if (m === null) continue; // not a name this module makes
    await removeIfDead(`${parent}/${name}`, out, Number(m[2]));
  }
}

/** Removes a partial folder (and its run's reserved folder) if its run no longer holds its lock. */
async function removeIfDead(partial: string, out: string, ino: number): Promise<void> {
  let lock: Deno.FsFile | null = null;
  try {
    lock = await Deno.open(`${partial}.lock`, { write: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return; // cannot tell: leave it
  }
  try {
    if (lock !== null && !(await lock.tryLock(true))) return; // its run is alive
    await Deno.remove(partial, { recursive: true });
    // The dead run's reserved output folder: removed only if it is still that empty folder.
    const reserved = await Deno.lstat(out).catch(() => null);
    if (reserved?.isDirectory && reserved.ino === ino) await Deno.remove(out).catch(() => {});
    if (lock !== null) await Deno.remove(`${partial}.lock`).catch(() => {});
  } catch {
    // could not remove it all: the next run tries again
  } finally {
    lock?.close();
  }
}

/**
 * Folders a command creates and may therefore remove: the one mechanism by which `export` and
 * `certify` never destroy what is not theirs (SPEC §6).
 *
 * - The output name is reserved with `mkdir` (which fails if anything is there: nothing existing
 *   is ever touched), and the work is done in a sibling `<out>.bootpack-partial-<pid>-<random>`,
 *   a name that says whose it is.
 * - {@linkcode OwnedDir.publish} checks that the reserved folder is still the empty one this run
 *   made (same device and inode) and renames the work over it; anything that appeared there
 *   meanwhile makes it fail and stay.
 * - Every live owned folder is registered, so a SIGINT or SIGTERM handler can remove them
 *   ({@linkcode removeAllOwnedDirs}); after a SIGKILL, the next run removes the partial folders of
 *   dead runs (the pid in the name is checked dead through `/proc`; where there is no `/proc`,
 *   nothing is removed).
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

  private constructor(out: string, work: string, identity: Deno.FileInfo) {
    this.out = out;
    this.work = work;
    this.#identity = identity;
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
    const work = `${out}${PARTIAL}${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.mkdir(work);
    } catch (error) {
      await removeReserved(out, identity);
      throw error;
    }
    live.add(work);
    return new OwnedDir(out, work, identity);
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
  }

  /** Removes the work and the reserved folder (only if still this run's and empty). */
  async discard(): Promise<void> {
    await Deno.remove(this.work, { recursive: true }).catch(() => {});
    live.delete(this.work);
    if (live.has(this.out)) await removeReserved(this.out, this.#identity);
    live.delete(this.out);
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
    try {
      Deno.removeSync(path, { recursive: path.includes(PARTIAL) });
    } catch {
      // gone already, or no longer empty (then it is not ours to remove)
    }
  }
  live.clear();
}

async function removeReserved(out: string, identity: Deno.FileInfo): Promise<void> {
  const now = await Deno.lstat(out).catch(() => null);
  if (now !== null && sameFile(now, identity)) await Deno.remove(out).catch(() => {});
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.isDirectory && a.dev === b.dev && a.ino === b.ino;
}

async function removeDeadPartials(out: string): Promise<void> {
  const parent = dirname(out);
  const prefix = `${basename(out)}${PARTIAL}`;
  try {
    await Deno.lstat("/proc/self");
  } catch {
    return; // no /proc: cannot tell a dead run from a live one
  }
  try {
    for await (const e of Deno.readDir(parent)) {
      if (!e.isDirectory || !e.name.startsWith(prefix)) continue;
      const pid = /^(\d+)-[0-9a-f]{8}$/.exec(e.name.slice(prefix.length))?.[1];
      if (pid === undefined || Number(pid) === Deno.pid) continue;
      const alive = await Deno.lstat(`/proc/${pid}`).then(() => true, () => false);
      if (!alive) await Deno.remove(`${parent}/${e.name}`, { recursive: true }).catch(() => {});
    }
  } catch {
    // the parent cannot be listed: mkdir will say why
  }
}

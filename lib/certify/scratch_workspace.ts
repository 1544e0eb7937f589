/**
 * Scratch workspaces for the certification gates: fresh copies of the BootPack and its
 * KB under a temporary root, with the `--map` value that points the BootPack's POINTER at the
 * copy, and digests of a folder's files to prove what a command did or did not write.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { readFileBytes } from "../io/file_read.ts";
import { sha256Hex } from "../core/sha256.ts";

/** What every workspace is a copy of. */
export interface ScratchSource {
  /** The BootPack's file name. */
  readonly bootpackName: string;
  /** Its bytes. */
  readonly bootpackBytes: Uint8Array;
  /** The KB's file name. */
  readonly kbName: string;
  /** Its bytes. */
  readonly kbBytes: Uint8Array;
  /** The POINTER's Path as written (dequoted), mapped to the copy of the KB. */
  readonly pointerPath: string;
}

/** A fresh copy of the BootPack and its KB. */
export interface Workspace {
  /** The workspace's folder (absolute). */
  readonly dir: string;
  /** The BootPack copy: `<dir>/<name>`. */
  readonly bootpack: string;
  /** The KB copy: `<dir>/kb/<name>`. */
  readonly kb: string;
  /** `--map` value: the POINTER's Path to the KB copy. */
  readonly map: string;
}

/**
 * The CLI arguments that export a workspace's BootPack and KB as a proofpack.
 *
 * @param ws The workspace.
 * @param out The pack's folder.
 * @returns Arguments for the CLI, the command first.
 * @example
 * ```ts
 * import { proofpackExportArgs } from "./scratch_workspace.ts";
 * const args = proofpackExportArgs({ dir: "/s", bootpack: "/s/b.txt", kb: "/s/kb/k.json", map: "" }, "/s/p");
 * if (args.join(" ") !== "proofpack export --out /s/p --bootpack /s/b.txt --kb /s/kb/k.json") throw new Error();
 * ```
 */
export function proofpackExportArgs(ws: Workspace, out: string): string[] {
  return ["proofpack", "export", "--out", out, "--bootpack", ws.bootpack, "--kb", ws.kb];
}

/**
 * Creates `<root>/<name>/` holding a copy of the BootPack and, under `kb/`, of its KB.
 *
 * @param root The scratch root.
 * @param name The workspace's folder name (must not exist).
 * @param source What to copy.
 * @returns The workspace.
 * @example
 * ```ts ignore
 * import { makeWorkspace } from "./scratch_workspace.ts";
 * const ws = await makeWorkspace(await Deno.makeTempDir(), "g0", {
 *   bootpackName: "bootpack.txt", bootpackBytes: await Deno.readFile("examples/bootpack.txt"),
 *   kbName: "BUG_KB.json.txt", kbBytes: await Deno.readFile("examples/BUG_KB.json.txt"),
 *   pointerPath: "\\\\DS-918\\kb\\BUG_KB.json.txt",
 * });
 * // ws.map is the --map value that points the POINTER at ws.kb
 * ```
 */
export async function makeWorkspace(
  root: string,
  name: string,
  source: ScratchSource,
): Promise<Workspace> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(`${dir}/kb`, { recursive: true });
  const bootpack = `${dir}/${source.bootpackName}`;
  const kb = `${dir}/kb/${source.kbName}`;
  await Deno.writeFile(bootpack, source.bootpackBytes, { createNew: true });
  await Deno.writeFile(kb, source.kbBytes, { createNew: true });
  return { dir, bootpack, kb, map: `${source.pointerPath}=${kb}` };
}

/**
 * Digests every regular file under `dir` (recursively): relative path (with `/`) to SHA256, sorted
 * by path. Other entries (folders excepted) are listed with the digest `"<symlink>"` or `"<other>"`
 * so that nothing left behind goes unnoticed.
 *
 * @param dir The folder.
 * @param calibration Thresholds for the reads.
 * @returns Path to digest.
 * @example
 * ```ts
 * import { treeDigest } from "./scratch_workspace.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const files = await treeDigest("examples", DEFAULT_CALIBRATION);
 * if (!("bootpack.txt" in files)) throw new Error();
 * ```
 */
export async function treeDigest(
  dir: string,
  calibration: Calibration,
): Promise<Record<string, string>> {
  const out: [string, string][] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) entries.push(e);
    for (const e of entries) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        out.push([path, await sha256Hex(await readFileBytes(`${dir}/${path}`, { calibration }))]);
      } else out.push([path, e.isSymlink ? "<symlink>" : "<other>"]);
    }
  };
  await walk("");
  out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(out);
}

/**
 * Lists the differences between two digests: added, removed and changed paths.
 *
 * @param before Digest before.
 * @param after Digest after.
 * @returns One line per difference, e.g. `+ kb/BUG_KB.json.txt.lock`; empty when identical.
 * @example
 * ```ts
 * import { treeDiff } from "./scratch_workspace.ts";
 * const d = treeDiff({ a: "1", b: "2" }, { a: "1", b: "3", c: "4" });
 * if (d.join(",") !== "+ c,~ b") throw new Error(d.join(","));
 * ```
 */
export function treeDiff(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const lines: string[] = [];
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[path];
    const b = after[path];
    if (a === undefined) lines.push(`+ ${path}`);
    else if (b === undefined) lines.push(`- ${path}`);
    else if (a !== b) lines.push(`~ ${path}`);
  }
  return lines.sort();
}

/**
 * Replaces every occurrence of a workspace's folder in a command's output by `{scratch}`, so that
 * runs in different workspaces compare equal when they print the same thing.
 *
 * @param text The output.
 * @param dir The workspace's folder.
 * @returns The normalized output.
 * @example
 * ```ts
 * import { normalizeOutput } from "./scratch_workspace.ts";
 * if (normalizeOutput("KB /tmp/x/kb.json", "/tmp/x") !== "KB {scratch}/kb.json") throw new Error();
 * ```
 */
export function normalizeOutput(text: string, dir: string): string {
  return text.split(dir).join("{scratch}");
}

/**
 * Copies a folder's regular files and sub-folders (not symlinks) to a new folder, every file read
 * through the I/O seam.
 *
 * @param from The folder to copy.
 * @param to The copy (created; must not exist as a file).
 * @param calibration Thresholds for the reads.
 * @example
 * ```ts ignore
 * import { copyTree } from "./scratch_workspace.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * await copyTree("proofpack", "/tmp/proofpack_copy", DEFAULT_CALIBRATION);
 * ```
 */
export async function copyTree(from: string, to: string, calibration: Calibration): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`, calibration);
    else if (e.isFile) {
      const bytes = await readFileBytes(`${from}/${e.name}`, { calibration });
      await Deno.writeFile(`${to}/${e.name}`, bytes, { createNew: true });
    }
  }
}

/**
 * Internal: lists a pack's tree without following links and without opening any file (every entry
 * `lstat`ed), and streams the lines of its `SHA256SUMS.txt` through one checked handle.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { messageOf } from "../core/error.ts";
import { type ChaosMode, readFileStream } from "../io/file_read.ts";
import { comparePackPaths, packPathProblem } from "./pack_path.ts";

/** What a walk found: regular files and folders by pack path, and what it refused. */
export interface PackTree {
  /** Regular files, with their `lstat`. */
  readonly files: Map<string, Deno.FileInfo>;
  /** Folders (not the pack's own), with their `lstat`. */
  readonly dirs: Map<string, Deno.FileInfo>;
  /** Refused entries: unsafe names, symlinks, FIFOs, devices, sockets. */
  readonly unsafe: { path: string; reason: string }[];
  /** Entries that could not be listed or `lstat`ed. */
  readonly unreadable: { path: string; message: string }[];
}

/**
 * Walks the pack's folder: `lstat` on every entry, never a `stat` or an open.
 *
 * @param root The pack's folder.
 * @returns The tree.
 */
export async function walkPack(root: string): Promise<PackTree> {
  const tree: PackTree = { files: new Map(), dirs: new Map(), unsafe: [], unreadable: [] };
  const pending = [""];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) names.push(e.name);
    } catch (error) {
      tree.unreadable.push({ path: rel === "" ? "." : rel, message: messageOf(error) });
      continue;
    }
    names.sort(comparePackPaths);
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(`${root}/${path}`);
      } catch (error) {
        tree.unreadable.push({ path, message: messageOf(error) });
        continue;
      }
      const problem = packPathProblem(path);
      if (problem !== null) tree.unsafe.push({ path, reason: `the name ${problem}` });
      else if (info.isSymlink) tree.unsafe.push({ path, reason: "symlink" });
      else if (info.isDirectory) {
        tree.dirs.set(path, info);
        pending.push(path);
      } else if (info.isFile) tree.files.set(path, info);
      else tree.unsafe.push({ path, reason: `not a regular file (${kindOf(info)})` });
    }
  }
  return tree;
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isFifo) return "FIFO";
  if (info.isCharDevice || info.isBlockDevice) return "device";
  if (info.isSocket) return "socket";
  return "special file";
}

/** Options of {@linkcode streamSumsLines}. */
export interface StreamLinesOptions {
  /** Thresholds. */
  readonly calibration: Calibration;
  /** Chaos fault. */
  readonly chaos?: ChaosMode | undefined;
  /** The file's `lstat`: the handle must be this file. */
  readonly expect: Deno.FileInfo;
}

/** What {@linkcode streamSumsLines} saw as a whole. */
export interface StreamedLines {
  /** SHA256 of the bytes, uppercase. */
  readonly sha256: string;
  /** Bytes read. */
  readonly size: number;
  /** The last line had no LF (truncated file); that text is passed on as a line too. */
  readonly unterminated: boolean;
  /** The bytes are not strict UTF-8. */
  readonly notUtf8: boolean;
}

/**
 * Reads a text file once, as a stream: hashes its bytes and hands each line (without LF) to
 * `onLine` as it is decoded, so memory stays at one chunk whatever the file's size. A BOM is kept
 * as text (a line that starts with it does not parse). A retried read starts over: `onStart` is
 * called before each attempt.
 *
 * @param path The file.
 * @param options Calibration, chaos, expected identity.
 * @param onStart Called before each attempt (reset what `onLine` collected).
 * @param onLine Called for each line, numbered from 1.
 * @returns Digest, size, and whether the file ends without LF or is not UTF-8.
 */
export async function streamSumsLines(
  path: string,
  options: StreamLinesOptions,
  onStart: () => void,
  onLine: (line: string, n: number) => void,
): Promise<StreamedLines> {
  return await readFileStream(path, options, async (chunks) => {
    onStart();
    const hash = (await import("node:crypto")).createHash("sha256");
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    let size = 0;
    let carry = "";
    let n = 0;
    let notUtf8 = false;
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      if (notUtf8) continue;
      try {
        carry += decoder.decode(chunk, { stream: true });
      } catch {
        notUtf8 = true;
        continue;
      }
      let start = 0;
      for (let cut = carry.indexOf("\n"); cut !== -1; cut = carry.indexOf("\n", start)) {
        onLine(carry.slice(start, cut), ++n);
        start = cut + 1;
      }
      carry = carry.slice(start);
    }
    if (!notUtf8) {
      try {
        carry += decoder.decode();
      } catch {
        notUtf8 = true;
      }
    }
    if (!notUtf8 && carry !== "") onLine(carry, ++n);
    return {
      sha256: hash.digest("hex").toUpperCase(),
      size,
      unterminated: carry !== "",
      notUtf8,
    };
  });
}

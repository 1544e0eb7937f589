/**
 * Pure naming rules for the files of a proofpack: a name must be read the same way by every
 * verifier (GNU `sha256sum` on Linux, PowerShell 5.1 on Windows, `bootpack proofpack verify`), so
 * anything that one of them could read differently, or that could reach outside the pack, is
 * refused. No I/O.
 *
 * A pack path is relative, uses `/` as its only separator, and each component is a portable file
 * name: no `.` or `..`, no drive letter or `:`, no backslash, no control character (CR, LF, NUL…),
 * none of `<>"|?*`, no Windows reserved device name (`CON`, `NUL`, `COM1`…, with or without an
 * extension), no trailing dot or space, no leading space, no 8.3 short-name look-alike (`~1`), and
 * Unicode in NFC form. Two paths of one pack must also differ by more than case or Unicode
 * normalization.
 *
 * @module
 */

import { codeUnitHex } from "../core/escape.ts";

/** Longest pack path accepted, in UTF-16 code units (a Windows verifier adds its own folder). */
export const MAX_PACK_PATH_LENGTH = 200;

/** Longest component accepted, in UTF-16 code units. */
export const MAX_PACK_COMPONENT_LENGTH = 100;

// Bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9), zero-width characters, line and
// paragraph separators and the BOM: each makes a name read differently from what it is.
const INVISIBLE = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i;

/**
 * Tells why a path is not a safe pack path, or `null` when it is.
 *
 * @param path A path as it would appear in `SHA256SUMS.txt` or `MANIFEST.json`.
 * @returns The reason, a sentence fragment such as `has a ".." component`, or `null`.
 * @example
 * ```ts
 * import { packPathProblem } from "./pack_path.ts";
 * if (packPathProblem("evidence/bootpack.txt") !== null) throw new Error();
 * if (packPathProblem("../etc/passwd") === null) throw new Error();
 * if (packPathProblem("evidence/NUL.txt") === null) throw new Error();
 * ```
 */
export function packPathProblem(path: string): string | null {
  if (path === "") return "is empty";
  if (path.length > MAX_PACK_PATH_LENGTH) {
    return `is longer than ${MAX_PACK_PATH_LENGTH} characters`;
  }
  if (!path.isWellFormed()) return "is not valid Unicode (lone surrogate)";
  // deno-lint-ignore no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(path);
  if (control) {
    return `contains the control character U+${codeUnitHex(control[0])} (CR, LF and NUL included)`;
  }
  const invisible = INVISIBLE.exec(path);
  if (invisible) {
    return `contains the invisible or bidirectional control U+${
      codeUnitHex(invisible[0])
    }, which shows a name other than the one on disk`;
  }
  if (path.includes("\\")) return "contains a backslash (the separator is /)";
  if (/^[A-Za-z]:/.test(path)) return "starts with a drive letter";
  if (path.startsWith("/")) return "is absolute";
  if (path.includes(":")) return 'contains ":" (drive letter or alternate data stream)';
  const bad = /[<>"|?*]/.exec(path);
  if (bad) return `contains "${bad[0]}", which Windows does not allow in a name`;
  if (path.normalize("NFC") !== path) return "is not in Unicode NFC form";
  for (const part of path.split("/")) {
    if (part === "") return "has an empty component (// or a trailing /)";
    if (part === "." || part === "..") return `has a "${part}" component`;
    if (part.length > MAX_PACK_COMPONENT_LENGTH) {
      return `has a component longer than ${MAX_PACK_COMPONENT_LENGTH} characters`;
    }
    if (part.endsWith(".") || part.endsWith(" ")) {
      return `has a component ending with a dot or space ("${part}"), which Windows strips`;
    }
    if (part.startsWith(" ")) return `has a component starting with a space ("${part}")`;
    const stem = part.split(".")[0]!.trimEnd();
    if (RESERVED.test(stem)) return `uses the Windows reserved name "${stem}"`;
    if (/~[0-9]/.test(part)) return `looks like a Windows 8.3 short name ("${part}")`;
  }
  return null;
}

/**
 * Tells whether a path is a safe pack path (see {@linkcode packPathProblem}).
 *
 * @param path Any path.
 * @returns `true` when safe.
 * @example
 * ```ts
 * import { isSafePackPath } from "./pack_path.ts";
 * if (!isSafePackPath("gates/acceptance.txt") || isSafePackPath("/etc/passwd")) throw new Error();
 * ```
 */
export function isSafePackPath(path: string): boolean {
  return packPathProblem(path) === null;
}

/**
 * Throws when a path is not a safe pack path.
 *
 * @param path Any path.
 * @throws {TypeError} `Cannot use pack path "<path>": <reason>`.
 * @example
 * ```ts
 * import { assertSafePackPath } from "./pack_path.ts";
 * assertSafePackPath("evidence/BUG_KB.json.txt");
 * ```
 */
export function assertSafePackPath(path: string): void {
  const problem = packPathProblem(path);
  if (problem !== null) {
    throw new TypeError(`Cannot use pack path ${JSON.stringify(path)}: it ${problem}`);
  }
}

/**
 * The key two paths share when a case-insensitive or normalizing file system, or .NET's
 * `OrdinalIgnoreCase`, would treat them as the same file: NFC, upper case, lower case, NFC. It
 * folds more than any one of them does (`ß` meets `ss`), which only refuses more names.
 *
 * @param path A pack path.
 * @returns Its collision key.
 * @example
 * ```ts
 * import { packPathKey } from "./pack_path.ts";
 * if (packPathKey("A/\u00C9.txt") !== packPathKey("a/e\u0301.TXT")) throw new Error();
 * ```
 */
export function packPathKey(path: string): string {
  // Upper case first, as .NET's OrdinalIgnoreCase does (so "\u017F" meets "s" and "\u0131"
  // meets "i"), then lower case (so the Kelvin sign, already K after NFC, meets "k").
  return path.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
}

/**
 * Finds the first pair of distinct paths that differ only by case or Unicode normalization (or
 * the first exact duplicate).
 *
 * @param paths Pack paths.
 * @returns The two clashing paths, or `null`.
 * @example
 * ```ts
 * import { findPackPathClash } from "./pack_path.ts";
 * if (findPackPathClash(["a.txt", "b.txt"]) !== null) throw new Error();
 * const clash = findPackPathClash(["Readme.md", "README.md"]);
 * if (clash?.[1] !== "README.md") throw new Error();
 * ```
 */
export function findPackPathClash(paths: Iterable<string>): [string, string] | null {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const key = packPathKey(path);
    const before = seen.get(key);
    if (before !== undefined) return [before, path];
    seen.set(key, path);
  }
  return null;
}

/**
 * Compares pack paths by their UTF-8 bytes (the order `LC_ALL=C sort` gives), so every tool
 * lists a pack in the same order.
 *
 * @param a One path.
 * @param b Another.
 * @returns Negative, zero or positive.
 * @example
 * ```ts
 * import { comparePackPaths } from "./pack_path.ts";
 * const sorted = ["b", "B", "a/z", "\u00e9"].sort(comparePackPaths);
 * if (sorted.join(",") !== "B,a/z,b,\u00e9") throw new Error(sorted.join(","));
 * ```
 */
export function comparePackPaths(a: string, b: string): number {
  // UTF-16 order equals UTF-8 byte order except for astral vs U+E000..U+FFFF; compare code points.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

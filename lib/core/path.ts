/**
 * The host's own path handling (`/`, and `\` on Windows): a file's folder or name, whether a path
 * is absolute, joining, and the path of a `file:` URL. The one place that splits paths.
 *
 * @module
 */

function lastSep(path: string): number {
  const windows = globalThis.Deno?.build.os === "windows";
  return Math.max(path.lastIndexOf("/"), windows ? path.lastIndexOf("\\") : -1);
}

/**
 * Whether an executable path names Deno itself (`deno`, `deno.exe`, any case), not a compiled
 * program: the one test of "running from source or bundle" against "running as a binary".
 *
 * @param execPath An executable's path, e.g. `Deno.execPath()`.
 * @returns `true` for Deno.
 * @example
 * ```ts
 * import { isDenoExecutable } from "./path.ts";
 * if (!isDenoExecutable("/usr/bin/deno") || isDenoExecutable("C:\\bin\\bootpack.exe")) {
 *   throw new Error();
 * }
 * ```
 */
export function isDenoExecutable(execPath: string): boolean {
  const name = execPath.split(/[\\/]/).at(-1) ?? "";
  return ["deno", "deno.exe"].includes(name.toLowerCase());
}

/**
 * The folder part of a path (`.` when there is none).
 *
 * @param path A path.
 * @returns Its folder.
 * @example
 * ```ts
 * import { dirname } from "./path.ts";
 * if (dirname("/kb/BUG_KB.json.txt") !== "/kb" || dirname("b.txt") !== ".") throw new Error();
 * ```
 */
export function dirname(path: string): string {
  const i = lastSep(path);
  if (i === -1) return ".";
  return i === 0 ? path.slice(0, 1) : path.slice(0, i);
}

/**
 * The last component of a path.
 *
 * @param path A path.
 * @returns Its file name.
 * @example
 * ```ts
 * import { basename } from "./path.ts";
 * if (basename("/kb/BUG_KB.json.txt") !== "BUG_KB.json.txt") throw new Error();
 * ```
 */
export function basename(path: string): string {
  return path.slice(lastSep(path) + 1);
}

/**
 * Whether a path is absolute on this host: `/…`, and on Windows also `C:\…`, `C:/…` and `\\server\…`.
 *
 * @param path A path.
 * @returns `true` when it does not depend on the current folder.
 * @example
 * ```ts
 * import { isAbsolute } from "./path.ts";
 * if (!isAbsolute("/tmp/x") || isAbsolute("tmp/x")) throw new Error();
 * ```
 */
export function isAbsolute(path: string): boolean {
  if (path.startsWith("/")) return true;
  if (globalThis.Deno?.build.os !== "windows") return false;
  return /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\");
}

/**
 * Joins a folder and a relative path with one separator (`/`, which every host accepts); an
 * absolute `path` is returned as it is.
 *
 * @param dir A folder.
 * @param path A path inside it.
 * @returns The joined path.
 * @example
 * ```ts
 * import { join } from "./path.ts";
 * if (join("/kb", "a.json") !== "/kb/a.json" || join("/kb/", "a.json") !== "/kb/a.json") {
 *   throw new Error();
 * }
 * ```
 */
export function join(dir: string, path: string): string {
  if (isAbsolute(path)) return path;
  return lastSep(dir) === dir.length - 1 && dir !== "" ? dir + path : `${dir}/${path}`;
}

/**
 * The absolute form of a path: itself when absolute, else under `cwd` (pure: the caller says
 * which folder is current, e.g. `Deno.cwd()`).
 *
 * @param path A path.
 * @param cwd The absolute folder a relative `path` is taken from.
 * @returns An absolute path.
 * @example
 * ```ts
 * import { resolve } from "./path.ts";
 * if (resolve("budgets/calibration.json", "/repo") !== "/repo/budgets/calibration.json") {
 *   throw new Error();
 * }
 * if (resolve("/etc/kb.json", "/repo") !== "/etc/kb.json") throw new Error();
 * ```
 */
export function resolve(path: string, cwd: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}

/**
 * The local path of a `file:` URL, decoded, in the host's form (on Windows `C:\…` or
 * `\\server\share\…`, not `/C:/…`).
 *
 * @param url A `file:` URL.
 * @returns The path.
 * @throws {TypeError} When the URL is not a `file:` URL.
 * @example
 * ```ts
 * import { fromFileUrl } from "./path.ts";
 * if (Deno.build.os !== "windows" && fromFileUrl("file:///tmp/a%20b.ts") !== "/tmp/a b.ts") {
 *   throw new Error();
 * }
 * ```
 */
export function fromFileUrl(url: string | URL): string {
  const u = url instanceof URL ? url : new URL(url);
  if (u.protocol !== "file:") {
    throw new TypeError(`Cannot use "${u.href}" as a path: not a file URL`);
  }
  const path = decodeURIComponent(u.pathname);
  if (globalThis.Deno?.build.os !== "windows") return path;
  const local = path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\");
  return u.hostname === "" ? local : `\\\\${u.hostname}${local}`;
}

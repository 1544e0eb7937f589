/**
 * The host's own path splitting (`/`, and `\` on Windows), for the few places that need a file's
 * folder or name. Internal.
 *
 * @module
 */

function lastSep(path: string): number {
  const windows = globalThis.Deno?.build.os === "windows";
  return Math.max(path.lastIndexOf("/"), windows ? path.lastIndexOf("\\") : -1);
}

/**
 * The folder part of a path (`.` when there is none).
 *
 * @param path A path.
 * @returns Its folder.
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
 */
export function basename(path: string): string {
  return path.slice(lastSep(path) + 1);
}

/**
 * Pure path logic for the POINTER's `Path`: Windows forms (UNC `\\server\share\…`, drive `Z:\…`,
 * long `\\?\UNC\…` and `\\?\Z:\…`), `--map FROM=TO` rewriting so that a Windows pointer can be
 * followed on another host, and resolution of relative paths. No I/O.
 *
 * @module
 */

/** One `--map FROM=TO` rule. */
export interface PathMapping {
  /** A path prefix as written in pointers, e.g. `\\DS-918\kb` or `Z:\`. */
  readonly from: string;
  /** What replaces it on this host, e.g. `/mnt/kb`. */
  readonly to: string;
}

/** Options of {@linkcode resolvePointerPath}. */
export interface ResolvePointerPathOptions {
  /** Mapping rules, tried in order; the longest matching `from` wins. Default none. */
  readonly maps?: readonly PathMapping[];
  /** Directory that a relative Path is relative to (the BootPack's directory). Default `"."`. */
  readonly baseDir?: string;
  /** The host's path flavour. Default: from `Deno.build.os`. */
  readonly platform?: "windows" | "posix";
}

/** Result of {@linkcode resolvePointerPath}. */
export type ResolvedPointerPath =
  | {
    readonly ok: true;
    /** Path to open on this host. */
    readonly path: string;
    /** The mapping that applied, if any. */
    readonly mapping: PathMapping | null;
  }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses a `--map FROM=TO` value (split at the first `=`).
 *
 * @param spec The option's value.
 * @returns The mapping.
 * @throws {TypeError} When either side is empty or there is no `=`.
 * @example
 * ```ts
 * import { parsePathMapping } from "./pointer_path.ts";
 * const m = parsePathMapping("\\\\DS-918\\kb=/mnt/kb");
 * if (m.from !== "\\\\DS-918\\kb" || m.to !== "/mnt/kb") throw new Error();
 * ```
 */
export function parsePathMapping(spec: string): PathMapping {
  const eq = spec.indexOf("=");
  const from = eq === -1 ? "" : spec.slice(0, eq).trim();
  const to = eq === -1 ? "" : spec.slice(eq + 1).trim();
  if (from === "" || to === "") {
    throw new TypeError(`Cannot parse mapping "${spec}": expected FROM=TO, both non-empty`);
  }
  return { from, to };
}

/**
 * Tells whether a path is an absolute Windows path: UNC, drive letter, or long form.
 *
 * @param path Any path.
 * @returns `true` for `\\server\share…`, `C:\…`, `C:/…`, `\\?\…`.
 * @example
 * ```ts
 * import { isWindowsAbsolute } from "./pointer_path.ts";
 * if (!isWindowsAbsolute("\\\\DS-918\\kb\\x") || isWindowsAbsolute("/mnt/kb")) throw new Error();
 * ```
 */
export function isWindowsAbsolute(path: string): boolean {
  return /^[\\/]{2}[^\\/]/.test(path) || /^[A-Za-z]:[\\/]/.test(path);
}

/**
 * Converts a long Windows path (`\\?\UNC\server\share\x`, `\\?\Z:\x`) to its ordinary form; other
 * paths are returned unchanged.
 *
 * @param path Any path.
 * @returns The path without the `\\?\` prefix.
 * @example
 * ```ts
 * import { fromLongPath } from "./pointer_path.ts";
 * if (fromLongPath("\\\\?\\UNC\\DS-918\\kb\\x") !== "\\\\DS-918\\kb\\x") throw new Error();
 * ```
 */
export function fromLongPath(path: string): string {
  const unc = /^[\\/]{2}[?.][\\/]UNC[\\/]/i.exec(path);
  if (unc) return "\\\\" + path.slice(unc[0].length);
  const drive = /^[\\/]{2}[?.][\\/](?=[A-Za-z]:)/.exec(path);
  if (drive) return path.slice(drive[0].length);
  return path;
}

/**
 * Gives the long form of an absolute Windows path (`\\?\UNC\…`, `\\?\Z:\…`), the form that
 * Windows APIs accept beyond 260 characters, or `null` for a path that has none.
 *
 * @param path Any path.
 * @returns The long form, or `null`.
 * @example
 * ```ts
 * import { toLongPath } from "./pointer_path.ts";
 * if (toLongPath("\\\\DS-918\\kb\\x") !== "\\\\?\\UNC\\DS-918\\kb\\x") throw new Error();
 * if (toLongPath("Z:/kb") !== "\\\\?\\Z:\\kb") throw new Error();
 * ```
 */
export function toLongPath(path: string): string | null {
  const plain = fromLongPath(path);
  if (!isWindowsAbsolute(plain)) return null;
  const back = plain.replaceAll("/", "\\");
  if (/^[A-Za-z]:\\/.test(back)) return "\\\\?\\" + back;
  return "\\\\?\\UNC\\" + back.slice(2);
}

/**
 * Resolves the POINTER's (dequoted) `Path` to a path this host can open: long forms are
 * shortened, the longest matching `--map` prefix is replaced (case-insensitively, `\` and `/`
 * alike, on whole components), a relative path is joined to `baseDir`. An absolute Windows path
 * that no mapping covers cannot be opened on a POSIX host and is reported as such.
 *
 * @param path The POINTER's Path, dequoted.
 * @param options Mappings, base directory, platform.
 * @returns The host path, or the reason there is none.
 * @example
 * ```ts
 * import { resolvePointerPath } from "./pointer_path.ts";
 * const r = resolvePointerPath("\\\\DS-918\\kb\\BUG_KB.json.txt", {
 *   maps: [{ from: "\\\\ds-918\\KB", to: "/mnt/kb" }],
 *   platform: "posix",
 * });
 * if (!r.ok || r.path !== "/mnt/kb/BUG_KB.json.txt") throw new Error();
 * ```
 */
export function resolvePointerPath(
  path: string,
  options: ResolvePointerPathOptions = {},
): ResolvedPointerPath {
  const platform = options.platform ??
    (globalThis.Deno?.build.os === "windows" ? "windows" : "posix");
  const plain = fromLongPath(path);
  let best: { mapping: PathMapping; rest: string; len: number } | null = null;
  for (const mapping of options.maps ?? []) {
    const rest = stripPrefix(plain, fromLongPath(mapping.from));
    if (rest !== null && (best === null || mapping.from.length > best.len)) {
      best = { mapping, rest, len: mapping.from.length };
    }
  }
  if (best) {
    const to = best.mapping.to;
    const sep = platform === "windows" || isWindowsAbsolute(to) ? "\\" : "/";
    const parts = best.rest.split(/[\\/]+/).filter((p) => p !== "" && p !== ".");
    const joined = parts.length === 0 ? to : trimTrailingSep(to) + sep + parts.join(sep);
    // A mapping's target is the user's own command-line path: relative to the working directory.
    return { ok: true, path: joined, mapping: best.mapping };
  }
  if (isWindowsAbsolute(plain)) {
    if (platform === "windows") return { ok: true, path: plain, mapping: null };
    return {
      ok: false,
      reason: `"${path}" is a Windows path and no --map FROM=TO covers it on this host`,
    };
  }
  return { ok: true, path: joinBase(plain, options.baseDir, platform), mapping: null };
}

/** Removes `prefix` from `path` when it matches whole components, Windows-style; else `null`. */
function stripPrefix(path: string, prefix: string): string | null {
  const norm = (s: string): string => s.replaceAll("\\", "/").toLowerCase();
  const p = norm(path);
  const f = trimTrailingSep(norm(prefix));
  if (f === "" || !p.startsWith(f)) return null;
  const next = p[f.length];
  if (next !== undefined && next !== "/") return null;
  return path.slice(f.length);
}

function trimTrailingSep(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  return trimmed === "" ? path.slice(0, 1) : trimmed;
}

function joinBase(path: string, baseDir: string | undefined, platform: string): string {
  const absolute = path.startsWith("/") || isWindowsAbsolute(path);
  if (absolute || baseDir === undefined || baseDir === "" || baseDir === ".") {
    return withoutDotSegments(path);
  }
  const sep = platform === "windows" ? "\\" : "/";
  return withoutDotSegments(trimTrailingSep(baseDir) + sep + path);
}

/** Drops `.` components (`a/./b` is `a/b`, `./b` is `b`), so messages show plain paths. */
function withoutDotSegments(path: string): string {
  let out = path;
  for (let before = ""; before !== out;) {
    before = out;
    out = out.replace(/(^|[\\/])\.(?:[\\/]+|$)/, "$1");
  }
  return out === "" ? "." : out;
}

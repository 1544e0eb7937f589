/**
 * The tool a pack carries (SPEC §6, §8): `tool/bootpack.js`, the single-file bundle of the exact
 * bootpack that exported the pack, with its SHA256, version and source commit.
 *
 * Where the bundle comes from, by how the program runs:
 * - as the bundle (`deno run … bootpack.js`): the running file itself, read once;
 * - from source (`deno run … cli.ts`) or as the tasks run it (`deno run … dist/tasks/cli.js`, the
 *   tasks' build of the source tree): `deno bundle` of the source tree, cached under
 *   `dist/cache/` by the digest of the source files, the Deno version and the commit, so that only
 *   the first export after a change pays for the build;
 * - as a compiled binary: the bundle built into it with `deno compile --include dist/bootpack.js`,
 *   else a `TOOL_UNAVAILABLE` error.
 *
 * The bundle's first line records the version and the source commit (`git rev-parse HEAD` when the
 * source is a clean git checkout and git may run; else `unknown` and why), so that the bundle knows
 * them with no source tree and no git.
 *
 * @module
 */

import { isDenoExecutable } from "../core/path.ts";
import { type ProgramForm, programForm } from "../core/program.ts";
import { sha256Hex } from "../core/sha256.ts";

/** Where the tool goes in a pack. */
export const TOOL_PATH = "tool/bootpack.js";

/** The bundle's entry point, relative to the source tree. */
export const BUNDLE_ENTRY = "cli.ts";

const BANNER = /^\/\/ bootpack (\S+) source (git:[0-9a-f]{40}|unknown)(?: \(([^)\n]*)\))?\n/;

/** A bundle ready to go into a pack. */
export interface PackTool {
  /** The bundle's bytes. */
  readonly bytes: Uint8Array;
  /** Its SHA256, lowercase hex. */
  readonly sha256: string;
  /** bootpack's version. */
  readonly version: string;
  /** The source commit (40 hex digits), or `null` when unknown. */
  readonly commit: string | null;
  /** Why the commit is unknown (`dirty: …`, `not a git checkout…`), or `null` when it is known. */
  readonly commitNote: string | null;
  /** Where it came from: the running bundle, the build cache, a fresh build, the binary. */
  readonly origin: "running bundle" | "cache" | "built" | "binary";
}

/** A tool that cannot be found or built. */
export class ToolError extends Error {
  /** `TOOL_UNAVAILABLE`. */
  readonly code = "TOOL_UNAVAILABLE";
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   * @param options The cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ToolError";
  }
}

/**
 * The first line of a bundle: version and source commit.
 *
 * @param version bootpack's version.
 * @param commit The commit, or `null`.
 * @param note Why the commit is unknown.
 * @returns The line, ending with LF.
 * @example
 * ```ts
 * import { bundleBanner, parseBundleBanner } from "./tool.ts";
 * const b = bundleBanner("1.0", null, "dirty");
 * if (parseBundleBanner(new TextEncoder().encode(b))?.note !== "dirty") throw new Error(b);
 * ```
 */
export function bundleBanner(version: string, commit: string | null, note: string | null): string {
  const source = commit === null ? "unknown" : `git:${commit}`;
  return `// bootpack ${version} source ${source}${note === null ? "" : ` (${note})`}\n`;
}

/**
 * Reads the first line of a bundle written by {@linkcode buildBundle}.
 *
 * @param bytes The bundle.
 * @returns Version, commit and note, or `null` when the line is not there.
 * @example
 * ```ts
 * import { parseBundleBanner } from "./tool.ts";
 * if (parseBundleBanner(new TextEncoder().encode("x")) !== null) throw new Error();
 * ```
 */
export function parseBundleBanner(
  bytes: Uint8Array,
): { version: string; commit: string | null; note: string | null } | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 300));
  const m = BANNER.exec(head);
  if (!m) return null;
  return {
    version: m[1]!,
    commit: m[2]!.startsWith("git:") ? m[2]!.slice(4) : null,
    note: m[3] ?? null,
  };
}

/**
 * The `deno` arguments that bundle `entry` into `out`: one ES module for Deno, every dependency
 * inlined, every command included (the CLI's lazy imports are inlined too).
 *
 * @param entry The entry module (`cli.ts`).
 * @param out The output file.
 * @returns Arguments after `deno`.
 * @example
 * ```ts
 * import { bundleArgs } from "./tool.ts";
 * if (bundleArgs("cli.ts", "dist/bootpack.js").at(-1) !== "cli.ts") throw new Error();
 * ```
 */
export function bundleArgs(entry: string, out: string): string[] {
  return ["bundle", "--quiet", "--platform", "deno", "--output", out, entry];
}

/** Options of {@linkcode buildBundle}. */
export interface BuildBundleOptions {
  /** The source tree. Default: the one this module belongs to. */
  readonly sourceDir?: string;
  /** bootpack's version, for the first line. Default `"unknown"`. */
  readonly version?: string;
  /** The `deno` executable. Default `"deno"`, found on PATH (what `--allow-run=deno` allows). */
  readonly deno?: string;
}

/**
 * Bundles the source tree's `cli.ts` into `out` (replaced atomically), its first line giving the
 * version and the source commit.
 *
 * @param out The bundle's path.
 * @param options Source tree, version, deno.
 * @returns The bundle's bytes and its commit.
 * @throws {ToolError} When `deno bundle` fails.
 * @example
 * ```ts ignore
 * import { buildBundle } from "./tool.ts";
 * await buildBundle("dist/bootpack.js", { version: "0.1.0" });
 * ```
 */
export async function buildBundle(
  out: string,
  options: BuildBundleOptions = {},
): Promise<{ bytes: Uint8Array; commit: string | null; commitNote: string | null }> {
  const src = options.sourceDir ?? sourceDir();
  const { commit, note } = await sourceCommit(src);
  const tmp = `${out}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const r = await new Deno.Command(options.deno ?? "deno", {
      args: bundleArgs(`${src}/${BUNDLE_ENTRY}`, tmp),
      cwd: src,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new ToolError(
        `Cannot bundle "${src}/${BUNDLE_ENTRY}": deno bundle exited ${r.code}: ${
          new TextDecoder().decode(r.stderr).trim().slice(0, 500)
        }`,
      );
    }
    const body = await Deno.readFile(tmp);
    const banner = new TextEncoder().encode(
      bundleBanner(options.version ?? "unknown", commit, note),
    );
    const bytes = new Uint8Array(banner.length + body.length);
    bytes.set(banner);
    bytes.set(body, banner.length);
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, out);
    return { bytes, commit, commitNote: note };
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    if (error instanceof ToolError) throw error;
    throw new ToolError(`Cannot bundle "${src}/${BUNDLE_ENTRY}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Options of {@linkcode packTool}. */
export interface PackToolOptions {
  /** bootpack's version. Default `"unknown"`. */
  readonly version?: string;
  /** The build cache. Default `<source tree>/dist/cache`. */
  readonly cacheDir?: string;
}

/**
 * Finds or builds the bundle a pack carries (see the module doc for where it comes from).
 *
 * @param options Version and cache folder.
 * @returns The bundle, its digest, version and commit.
 * @throws {ToolError} When there is no bundle to carry and none can be built.
 * @example
 * ```ts ignore
 * import { packTool } from "./tool.ts";
 * const tool = await packTool({ version: "0.1.0" });
 * ```
 */
export async function packTool(options: PackToolOptions = {}): Promise<PackTool> {
  const version = options.version ?? "unknown";
  const running = runningBundle();
  if (running !== null) return await fromFile(running, "running bundle", version);
  if (isCompiled()) {
    return await fromFile(new URL("../../dist/bootpack.js", import.meta.url), "binary", version);
  }
  const src = sourceDir();
  const cacheDir = options.cacheDir ?? `${src}/dist/cache`;
  const { commit, note } = await sourceCommit(src);
  let digest: string;
  try {
    digest = await sourceDigest(src);
  } catch (error) {
    throw new ToolError(
      `Cannot bundle the source tree "${src}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const key = await sha256Hex(
    utf8(`${digest}\0${Deno.version.deno}\0${version}\0${commit}\0${note}`),
  );
  const cached = `${cacheDir}/bootpack-${key.slice(0, 24).toLowerCase()}.js`;
  try {
    return await fromFile(cached, "cache", version);
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
  }
  try {
    await Deno.mkdir(cacheDir, { recursive: true });
  } catch (error) {
    throw new ToolError(
      `Cannot build the tool into "${cacheDir}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const built = await buildBundle(cached, { sourceDir: src, version });
  return {
    bytes: built.bytes,
    sha256: (await sha256Hex(built.bytes)).toLowerCase(),
    version,
    commit: built.commit,
    commitNote: built.commitNote,
    origin: "built",
  };
}

async function fromFile(
  path: string | URL,
  origin: PackTool["origin"],
  version: string,
): Promise<PackTool> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new ToolError(
      `Cannot read the bundle "${path instanceof URL ? path.href : path}": ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const banner = parseBundleBanner(bytes);
  return {
    bytes,
    sha256: (await sha256Hex(bytes)).toLowerCase(),
    version: banner?.version ?? version,
    commit: banner?.commit ?? null,
    commitNote: banner === null ? "the bundle does not record it" : banner.note,
    origin,
  };
}

/**
 * The file the program runs from when it runs as the one-file bundle, else `null` (from source or
 * from the tasks' build, whose source tree is then bundled).
 */
function runningBundle(): string | null {
  const form = thisForm();
  return form.kind === "bundle" ? form.file : null;
}

function thisForm(): ProgramForm {
  return programForm(import.meta.url, "lib/proofpack/tool.ts");
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function isCompiled(): boolean {
  return !isDenoExecutable(Deno.execPath());
}

/** The source tree of the program: the one it runs from, or the one its tasks' build was built from. */
function sourceDir(): string {
  const form = thisForm();
  if (form.kind === "bundle") throw new ToolError(`The bundle "${form.file}" has no source tree`);
  return form.root;
}

/** The source files the bundle is built from, hashed by path and content. */
async function sourceDigest(src: string): Promise<string> {
  const files: string[] = ["cli.ts", "deno.json", "deno.lock"];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(`${src}/${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(rel);
      else if (e.isFile && /\.(ts|json)$/.test(e.name)) files.push(rel);
    }
  };
  for (const dir of ["lib", "cli", "budgets"]) await walk(dir);
  files.sort();
  const parts: string[] = [];
  for (const f of files) {
    let digest = "absent";
    try {
      digest = await sha256Hex(await Deno.readFile(`${src}/${f}`));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    parts.push(`${f}\0${digest}`);
  }
  return await sha256Hex(utf8(parts.join("\n")));
}

/**
 * The commit of a clean git checkout, found only when git is there and may run; the program
 * never needs it.
 */
async function sourceCommit(src: string): Promise<{ commit: string | null; note: string | null }> {
  const git = async (...args: string[]): Promise<string | null> => {
    try {
      const r = await new Deno.Command("git", {
        args: ["-C", src, ...args],
        stdout: "piped",
        stderr: "null",
        env: { GIT_OPTIONAL_LOCKS: "0" },
      }).output();
      return r.success ? new TextDecoder().decode(r.stdout).trim() : null;
    } catch {
      return null; // no git, or no permission to run it
    }
  };
  const head = await git("rev-parse", "HEAD");
  if (head === null || !/^[0-9a-f]{40}$/.test(head)) {
    return { commit: null, note: "not a git checkout, or git cannot run" };
  }
  const status = await git("status", "--porcelain", "--untracked-files=no", "--", ".");
  if (status === null) return { commit: null, note: "git status failed" };
  if (status !== "") return { commit: null, note: `dirty: uncommitted changes on ${head}` };
  return { commit: head, note: null };
}

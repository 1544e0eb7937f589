/**
 * Test helpers: run the CLI as a real subprocess, and give each test its own temporary folder.
 *
 * @module
 */

import { fromFileUrl } from "../lib/core/path.ts";

/** What a subprocess did. */
export interface CliResult {
  /** Exit code. */
  readonly code: number;
  /** Everything on stdout, decoded. */
  readonly stdout: string;
  /** Everything on stderr, decoded. */
  readonly stderr: string;
}

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Deno permission flags. Default `["--allow-read"]` (what the read-only gates get). */
  readonly permissions?: readonly string[];
  /** Working directory. Default: the repository root. */
  readonly cwd?: string;
  /** Bytes for stdin. Default: none (stdin closed). */
  readonly stdin?: Uint8Array | string;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/** Absolute path of the repository root. */
export const ROOT: string = fromFileUrl(new URL("..", import.meta.url)).replace(/[\\/]$/, "");

/** Absolute path of `cli.ts`. */
export const CLI: string = `${ROOT}/cli.ts`;

/** The flag the tasks run `cli.ts` with (deno.json), so that a command reads only its modules. */
const LAZY = "--unstable-lazy-dynamic-imports";

/**
 * Runs `deno run <permissions> cli.ts <args>` as a subprocess, as a user's `deno task` would
 * (with the tasks' `--unstable-lazy-dynamic-imports`: only the command's own modules are read).
 *
 * @param args CLI arguments.
 * @param options Permissions, cwd, stdin, environment.
 * @returns Exit code, stdout and stderr.
 */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  const permissions = options.permissions ?? ["--allow-read"];
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", ...permissions, LAZY, CLI, ...args],
    cwd: options.cwd ?? ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Copies into `to` what the tasks' build reads (the `files` of the `build` task in deno.json, so
 * `cli.ts`, `cli/`, `lib/`, `budgets/`, the config, the lock and `scripts/build.ts`), and the
 * repository paths in `extra`: a source tree of its own to build, change or break.
 *
 * @param to The new tree's folder (created).
 * @param extra More repository paths to copy (e.g. `scripts`, `examples`).
 */
export async function copyBuildTree(to: string, extra: readonly string[] = []): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const files: string[] = config.tasks.build.files.map((f: string) => f.replace(/\/\*\*\/\*$/, ""));
  for (const f of [...files, ...extra]) {
    // A folder's content into the folder (which may be there already: scripts/ for build.ts).
    const folder = (await Deno.stat(`${ROOT}/${f}`)).isDirectory;
    const parent = folder ? f : f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "";
    await Deno.mkdir(`${to}/${parent}`, { recursive: true });
    const args = folder ? ["-R", `${ROOT}/${f}/.`, `${to}/${f}`] : [`${ROOT}/${f}`, `${to}/${f}`];
    const cp = await new Deno.Command("cp", { args }).output();
    if (!cp.success) throw new Error(`Cannot copy ${f}: ${new TextDecoder().decode(cp.stderr)}`);
  }
}

/**
 * Runs `fn` with a fresh temporary folder, removed afterwards whatever happens.
 *
 * @param fn The test body; receives the folder's path.
 * @returns What `fn` returns.
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "bootpack_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Copies the bundled example (`examples/bootpack.txt`, `examples/BUG_KB.json.txt`) into `dir`.
 *
 * @param dir Target folder.
 * @returns Paths of the two copies.
 */
export async function copyExample(dir: string): Promise<{ bootpack: string; kb: string }> {
  const bootpack = `${dir}/bootpack.txt`;
  const kb = `${dir}/BUG_KB.json.txt`;
  await Deno.copyFile(`${ROOT}/examples/bootpack.txt`, bootpack);
  await Deno.copyFile(`${ROOT}/examples/BUG_KB.json.txt`, kb);
  return { bootpack, kb };
}

/** The `--map` value that points the example's `\\DS-918\kb` at `dir`. */
export function exampleMap(dir: string): string {
  return `\\\\DS-918\\kb=${dir}`;
}

/**
 * Finds PowerShell 7 (`pwsh`) as `scripts/setup.sh` installs it: on `PATH`, else at
 * `~/.dotnet/tools/pwsh`. Tests that run `verify.ps1` call it and fail (never skip) without it.
 *
 * @returns The path of the `pwsh` executable.
 * @throws {Error} When neither place has it, with the command that installs it.
 */
export function findPwsh(): string {
  const candidates = [
    ...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "").map((d) => `${d}/pwsh`),
    `${Deno.env.get("HOME") ?? ""}/.dotnet/tools/pwsh`,
  ];
  for (const candidate of candidates) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // Not there: try the next place.
    }
  }
  throw new Error(
    "Cannot find pwsh on PATH or in ~/.dotnet/tools: run `bash scripts/setup.sh` (or " +
      "`dotnet tool install --global PowerShell --version 7.6.9`)",
  );
}

/**
 * A digest of a folder's whole tree: every entry's relative path, kind and (for files) mode and
 * SHA-256 of its bytes, sorted. Two equal digests mean the tree is byte for byte the same.
 *
 * @param dir The folder.
 * @returns One line per entry, `path kind mode sha256`.
 */
export async function treeDigest(dir: string): Promise<string[]> {
  const lines: string[] = [];
  async function walk(rel: string): Promise<void> {
    for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      const info = await Deno.lstat(`${dir}/${path}`);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (info.isFile) {
        const bytes = await Deno.readFile(`${dir}/${path}`);
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        const hex = [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
        lines.push(`${path} file ${mode} ${hex}`);
      } else if (info.isDirectory) {
        lines.push(`${path} dir ${mode}`);
        await walk(path);
      } else {
        lines.push(`${path} ${info.isSymlink ? "symlink" : "other"} ${mode}`);
      }
    }
  }
  await walk("");
  return lines.sort();
}

/**
 * Runs this program's own CLI as a separate process, the one place that knows how: as the tasks
 * run it, `deno run --no-prompt <the task's flags> <repo>/dist/tasks/cli.js …` (the tasks' build,
 * `deno task build`) or, from source, the same with `<repo>/cli.ts` (the repository found from the
 * main module); as the bundle (`deno run … bootpack.js`), `deno run --no-prompt <exact
 * permissions> bootpack.js …`; from a compiled binary (`bootpack`, whose permissions are built
 * in), the binary itself. Used by the stress and certification gates, which must measure and judge
 * commands as a user runs them.
 *
 * A compiled binary cannot narrow a permission for its child: it carries the union of the
 * commands' permissions, and Deno can revoke a grant but not narrow it (revoking one path of a
 * wider grant changes nothing). Each command still revokes the kinds it does not use at dispatch,
 * but write confinement to a folder (`--allow-write=DIR`) is impossible there, so asking for it
 * fails closed (`CONFINEMENT_UNAVAILABLE`) instead of running unconfined: run certify with the
 * bundle (`deno run … bootpack.js certify`) where write confinement is wanted.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { fromFileUrl, isDenoExecutable } from "../core/path.ts";
import { programForm, TASK_BUILD_ENTRY } from "../core/program.ts";

/**
 * The permissions each command's `deno task` grants, read from `deno.json` (built into the
 * program, like the calibration), so that a command run as a process gets exactly what its task
 * gets: the one definition of "exact permissions".
 */
export const COMMAND_PERMISSIONS: Readonly<Record<string, readonly string[]>> = taskFlags(
  /^--(allow|deny)-/,
);

/**
 * The other flags each command's task runs the program with, read from `deno.json` like the
 * permissions: `--unstable-lazy-dynamic-imports` (without it Deno reads and analyses every
 * command's modules, which `cli.ts` names in dynamic imports, before running the one asked for)
 * and `--v8-flags=--no-lazy` (every function compiled with its module, so that V8's code cache
 * holds them all and a run compiles none). The one-file bundle runs without them.
 */
const COMMAND_RUN_FLAGS: Readonly<Record<string, readonly string[]>> = taskFlags(
  /^--unstable-|^--v8-flags=/,
);

/** The flags matching `pattern` of every `deno task` that runs the CLI's COMMAND, by task name. */
function taskFlags(pattern: RegExp): Record<string, readonly string[]> {
  return Object.fromEntries(
    Object.entries(denoJson.tasks as Record<string, { command: string }>)
      .filter(([, task]) => task.command.includes(` ${TASK_BUILD_ENTRY} `))
      .map(([name, task]) => [name, task.command.split(/\s+/).filter((w) => pattern.test(w))]),
  );
}

/**
 * Narrows write permission to the given folders: `--allow-write` becomes
 * `--allow-write=DIR,...`; other flags are kept.
 *
 * @param permissions Permission flags, e.g. from {@linkcode COMMAND_PERMISSIONS}.
 * @param writable Folders the process may write.
 * @returns The narrowed flags.
 * @example
 * ```ts
 * import { narrowWrite } from "./cli_process.ts";
 * const p = narrowWrite(["--allow-read", "--allow-write"], ["/tmp/s"]);
 * if (p[1] !== "--allow-write=/tmp/s") throw new Error(p.join(" "));
 * ```
 */
export function narrowWrite(
  permissions: readonly string[],
  writable: readonly string[],
): string[] {
  return permissions.map((
    p,
  ) => (p === "--allow-write" ? `--allow-write=${writable.join(",")}` : p));
}

/** A program and its arguments. */
export interface CliInvocation {
  /** The executable. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /**
   * `build` when run as the tasks run it (`deno run dist/tasks/cli.js`), `source` with `deno run
   * cli.ts`, `bundle` with `deno run bootpack.js`, `binary` when the compiled program runs itself.
   */
  readonly mode: "build" | "source" | "bundle" | "binary";
}

/** Options of {@linkcode cliInvocation}. */
export interface CliInvocationOptions {
  /** Deno permission flags when run from source. Default: the command's {@linkcode COMMAND_PERMISSIONS}. */
  readonly permissions?: readonly string[];
  /** The running executable. Default `Deno.execPath()`. */
  readonly execPath?: string;
  /**
   * The program `deno run` runs: a `cli.ts`, the tasks' `dist/tasks/cli.js` or a one-file bundle.
   * Default: the running program (the main module when it is `cli.ts` or the tasks' build, the
   * bundle this module is part of), else this source tree's `cli.ts` (a script, a test).
   */
  readonly cliPath?: string;
}

/**
 * Tells how to run the CLI with `args` as a separate process.
 *
 * @param args CLI arguments, the command first (e.g. `["acceptance", "b.txt"]`).
 * @param options Permissions and executable.
 * @returns The program and its arguments.
 * @throws {TypeError} When `args` is empty or names a command with no known permissions and none
 * are given.
 * @throws {ConfinementError} `CONFINEMENT_UNAVAILABLE` when the program is a compiled binary and
 * `permissions` are given: the binary cannot narrow them for its child.
 * @example
 * ```ts
 * import { cliInvocation } from "./cli_process.ts";
 * const inv = cliInvocation(["acceptance", "b.txt"], { execPath: "/usr/bin/deno" });
 * if (inv.mode !== "source" || inv.args[3] !== "--allow-read") throw new Error();
 * const bin = cliInvocation(["acceptance", "b.txt"], { execPath: "/opt/bootpack" });
 * if (bin.command !== "/opt/bootpack" || bin.args[0] !== "acceptance") throw new Error();
 * ```
 */
export function cliInvocation(
  args: readonly string[],
  options: CliInvocationOptions = {},
): CliInvocation {
  const name = args[0];
  if (name === undefined) throw new TypeError('Cannot run the CLI "": no command given');
  const exec = options.execPath ?? Deno.execPath();
  if (!isDenoExecutable(exec)) {
    if (options.permissions !== undefined) {
      throw new ConfinementError(
        `Cannot run "${name}" with ${options.permissions.join(" ")} from the compiled binary ` +
          `"${exec}": a binary carries its permissions and cannot narrow them for a child; run ` +
          `it with Deno and the bundle instead (deno run ... bootpack.js ${name})`,
      );
    }
    return { command: exec, args: [...args], mode: "binary" };
  }
  const permissions = options.permissions ?? COMMAND_PERMISSIONS[name];
  if (permissions === undefined) {
    throw new TypeError(`Cannot run the CLI "${name}": no permissions known for this command`);
  }
  const program = options.cliPath ?? runningCliPath();
  const mode = programMode(program);
  // From source, the V8 flags are left out: the source modules' code cache is shared with every
  // other run of them (tests, scripts), and a cache made under other flags is thrown away.
  const flags = mode === "bundle"
    ? []
    : (COMMAND_RUN_FLAGS[name] ?? []).filter((f) =>
      mode === "build" || f.startsWith("--unstable-")
    );
  return {
    command: exec,
    args: ["run", "--no-prompt", "--quiet", ...permissions, ...flags, program, ...args],
    mode,
  };
}

/** The form a program path names: the tasks' build, a one-file bundle, else a source `cli.ts`. */
function programMode(program: string): "build" | "source" | "bundle" {
  const slashed = program.replaceAll("\\", "/");
  if (slashed.endsWith(`/${TASK_BUILD_ENTRY}`) || slashed === TASK_BUILD_ENTRY) return "build";
  return /\.[cm]?js$/.test(program) ? "bundle" : "source";
}

/** A child process that cannot be confined as asked (a compiled binary cannot narrow). */
export class ConfinementError extends Error {
  /** `CONFINEMENT_UNAVAILABLE`. */
  readonly code = "CONFINEMENT_UNAVAILABLE";
  /**
   * Creates the error.
   *
   * @param message What cannot be done.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfinementError";
  }
}

/**
 * What to run with `deno run`: the main module itself when it is `cli.ts`; else as this module
 * was loaded (`programForm`): the tasks' build it is part of, the bundle it is part of (in the
 * bundle every module is one file: it reads nothing of a source tree), or the `cli.ts` of the
 * source tree it belongs to (a script under `scripts/`, a test under `tests/`). A compiled binary
 * never gets here: it runs itself.
 */
function runningCliPath(): string {
  const main = Deno.mainModule;
  if (main.startsWith("file:") && main.endsWith("/cli.ts")) return fromFileUrl(main);
  const form = programForm(import.meta.url, "lib/certify/cli_process.ts");
  return form.kind === "bundle" ? form.file : form.cli;
}

/**
 * Tells how to run the floor process of gate G4: the least this runtime does to start a program,
 * against which the CLI's timings are normalised. From source, `deno run` of an empty module (a
 * `data:` URL: no file, no permission); from a compiled binary, the binary's `--version`.
 *
 * @param options The running executable.
 * @returns The program and its arguments.
 * @example
 * ```ts
 * import { floorInvocation } from "./cli_process.ts";
 * const inv = floorInvocation({ execPath: "/usr/bin/deno" });
 * if (inv.mode !== "source" || inv.args[0] !== "run") throw new Error();
 * ```
 */
export function floorInvocation(
  options: Pick<CliInvocationOptions, "execPath"> = {},
): CliInvocation {
  const exec = options.execPath ?? Deno.execPath();
  if (!isDenoExecutable(exec)) return { command: exec, args: ["--version"], mode: "binary" };
  return {
    command: exec,
    args: ["run", "--no-prompt", "--quiet", "data:application/javascript,"],
    mode: "source",
  };
}

/** Whether an executable is the Deno runtime, whatever host wrote its path (`/` or `\\`). */

/** What a CLI process did. */
export interface CliProcessResult {
  /** Exit code (`-1` when it was killed for exceeding `timeoutMs` or on `signal`). */
  readonly code: number;
  /** stdout, decoded. */
  readonly stdout: string;
  /** stderr, decoded. */
  readonly stderr: string;
  /** Wall-clock time from spawn to exit, in ms. */
  readonly ms: number;
  /** It ran past `timeoutMs`, or `signal` aborted, and it was killed. */
  readonly timedOut: boolean;
}

/** Options of {@linkcode runCliProcess}. */
export interface RunCliProcessOptions extends CliInvocationOptions {
  /** Working directory. Default: the current one. */
  readonly cwd?: string;
  /** Bytes on stdin. Default: none (stdin closed). */
  readonly stdin?: Uint8Array;
  /** Kill the process after this many ms. Default: no limit. */
  readonly timeoutMs?: number;
  /** Kill the process when this signal aborts (it then counts as killed, code `-1`). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs the CLI as a separate process (with `NO_COLOR=1`, so that output is plain) and waits for
 * it, measuring its wall-clock time.
 *
 * @param args CLI arguments, the command first.
 * @param options Permissions, working directory, stdin, time limit.
 * @returns Exit code, output and time.
 * @throws {TypeError} As {@linkcode cliInvocation}.
 * @throws {Deno.errors.NotCapable} When running processes is not permitted.
 * @example
 * ```ts ignore
 * import { runCliProcess } from "./cli_process.ts";
 * const r = await runCliProcess(["acceptance", "examples/bootpack.txt"]);
 * if (r.code !== 0) throw new Error(r.stdout);
 * ```
 */
export async function runCliProcess(
  args: readonly string[],
  options: RunCliProcessOptions = {},
): Promise<CliProcessResult> {
  return await runInvocation(cliInvocation(args, options), options);
}

/**
 * Runs the floor process of {@linkcode floorInvocation} and measures it like a CLI process.
 *
 * @param options Executable, time limit, abort signal.
 * @returns Exit code, output and time.
 * @example
 * ```ts ignore
 * import { runFloorProcess } from "./cli_process.ts";
 * const floor = await runFloorProcess();
 * if (floor.code !== 0) throw new Error(floor.stderr);
 * ```
 */
export async function runFloorProcess(
  options: Pick<RunCliProcessOptions, "execPath" | "timeoutMs" | "signal"> = {},
): Promise<CliProcessResult> {
  return await runInvocation(floorInvocation(options), options);
}

async function runInvocation(
  inv: CliInvocation,
  options: RunCliProcessOptions,
): Promise<CliProcessResult> {
  const command = new Deno.Command(inv.command, {
    args: [...inv.args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const start = performance.now();
  const child = command.spawn();
  let timedOut = false;
  const kill = (): void => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(kill, options.timeoutMs);
  if (options.signal?.aborted) kill();
  options.signal?.addEventListener("abort", kill);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(options.stdin);
        await writer.close();
      } catch {
        // The process exited without reading its input; its exit code tells the rest.
      }
    }
    const out = await child.output();
    const ms = performance.now() - start;
    const dec = new TextDecoder();
    return {
      code: timedOut ? -1 : out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      ms,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", kill);
  }
}

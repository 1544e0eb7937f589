/**
 * `bootpack`: the command-line shell over the library. Each command's module is loaded only when
 * that command runs, so a gate pays for nothing it does not use.
 *
 * @module
 */

import { closest } from "./cli/_args.ts";
import { codeOf, messageOf } from "./lib/core/error.ts";
import { printError, writeStderr, writeStdout } from "./cli/_output.ts";
import { probePermissions, revokeUnneeded } from "./cli/_permissions.ts";

type CommandMain = (args: string[]) => Promise<number>;

interface Command {
  readonly summary: string;
  readonly load: () => Promise<CommandMain>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  acceptance: {
    summary: "Read-only gate on the BootPack's SNAPSHOT",
    load: async () => (await import("./cli/acceptance.ts")).main,
  },
  selftest: {
    summary: "Read-only probe of the external KB the POINTER names, with diagnostics",
    load: async () => (await import("./cli/selftest.ts")).main,
  },
  ingest: {
    summary: "Add one entry to the KB (locked, atomic)",
    load: async () => (await import("./cli/ingest.ts")).main,
  },
  rebuild: {
    summary: "Rewrite the SNAPSHOT and POINTER from the KB (locked, atomic)",
    load: async () => (await import("./cli/rebuild.ts")).main,
  },
  proofpack: {
    summary: "Export, verify or replay a proofpack (export | verify | replay)",
    load: async () => (await import("./cli/proofpack.ts")).main,
  },
  certify: {
    summary: "Run gates G0-G5 on scratch copies and write a certification report",
    load: async () => (await import("./cli/certify.ts")).main,
  },
  demo: {
    summary: "Run the pipeline on the bundled example (examples/)",
    load: async () => (await import("./cli/demo.ts")).main,
  },
  keygen: {
    summary: "Write an ECDSA P-256 key pair to sign proofpacks (keygen --out DIR)",
    load: async () => (await import("./cli/keygen.ts")).main,
  },
};

/** Version of the CLI, printed by `--version`. */
export const VERSION = "0.1.0";

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `bootpack ${VERSION}: check, rebuild and certify BootPacks and their bug KB

Usage: bootpack <COMMAND> [ARGS...]
       bootpack <COMMAND> --help   (or: bootpack help <COMMAND>)

Commands:
${list}

Exit codes: 0 pass, 1 gate blocked or check failed, 2 usage error.
`;
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0 pass, 1 blocked or failed, 2 usage error.
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (error) {
    // Only output errors get here (stdout full while printing the help): say so, fail closed.
    printError(`${codeOf(error, "UNEXPECTED_ERROR")}: ${messageOf(error)}`);
    return 1;
  }
}

async function dispatch(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    writeStderr(usage());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    // `help COMMAND` is `COMMAND --help`.
    const topic = name === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      writeStdout(usage());
      return 0;
    }
    return await run(topic, ["--help"]);
  }
  if (name === "--version" || name === "-V") {
    writeStdout(`bootpack ${VERSION}\n`);
    return 0;
  }
  return await run(name, rest);
}

function unknownCommand(name: string): number {
  const hint = closest(name, Object.keys(COMMANDS));
  printError(`Unknown command ${JSON.stringify(name)}${hint ? `; did you mean ${hint}?` : ""}`);
  writeStderr("Run bootpack --help for the list of commands.\n");
  return 2;
}

/**
 * Runs one command. What escapes it still fails closed with a code and no stack trace: a coded
 * error (a calibration that cannot be used, even the built-in one; stdout full) with its own,
 * anything else as `UNEXPECTED_ERROR`.
 */
async function run(name: string, args: string[]): Promise<number> {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return unknownCommand(name);
  try {
    return await (await command.load())(args);
  } catch (error) {
    const code = codeOf(error, "UNEXPECTED_ERROR");
    const bug = code === "UNEXPECTED_ERROR" ? " (a bug in bootpack: please report it)" : "";
    printError(`${name}: ${code}: ${messageOf(error)}${bug}`);
    return 1;
  }
}

/** The hidden first argument of the permission test hook (see `cli/_permissions.ts`). */
const PROBE_FLAG = "--permission-probe";

/**
 * Runs the CLI as the program: first revokes every permission the command does not need (SPEC
 * §8), whatever the process was granted, then runs it. With the hidden test hook
 * `--permission-probe FILE COMMAND...` it revokes for COMMAND, then reports as JSON what it can
 * still do instead of running COMMAND.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 * @example
 * ```ts ignore
 * import { runProgram } from "./cli.ts";
 * Deno.exit(await runProgram(["acceptance", "bootpack.txt"]));
 * ```
 */
export async function runProgram(args: string[]): Promise<number> {
  if (args[0] === PROBE_FLAG) {
    const [, file, ...command] = args;
    if (file === undefined || command.length === 0) {
      printError(`${PROBE_FLAG} needs FILE COMMAND...`);
      return 2;
    }
    revokeUnneeded(command);
    writeStdout(JSON.stringify(await probePermissions(file)) + "\n");
    return 0;
  }
  await preload(args);
  revokeUnneeded(args);
  return await main(args);
}

/**
 * Loads the module of the command `args` will run, before the permissions go: the tasks run with
 * `--unstable-lazy-dynamic-imports`, so a command's modules are read only when it is imported, and
 * reading them needs read permission, which `help` and `--version` do not keep. A module that
 * cannot load is left for `main` to report.
 */
async function preload(args: readonly string[]): Promise<void> {
  const name = args[0] === "help" ? args[1] : args[0];
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) return;
  await COMMANDS[name]!.load().catch(() => {});
}

if (import.meta.main) {
  // Exit as soon as main has returned (every finally has run): a read that never answered, on a
  // share that went away, must not keep the process alive after the verdict.
  Deno.exit(await runProgram(Deno.args));
}

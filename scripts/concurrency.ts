/**
 * Gate G1 (concurrency): N `ingest` processes at once on a scratch KB, then the checks of SPEC §7:
 * every entry present exactly once, the KB valid, 0 residual lock files, 0 residual temporary
 * files. Prints one JSON report on stdout; progress on stderr. Exit 0 pass, 1 fail, 2 usage.
 *
 *   deno task concurrency [-- --writers N] [--kb SEED_KB] [--dir DIR] [--calibration FILE]
 *
 * `--writers` defaults to calibration `concurrency_writers`. The scratch KB starts as a copy of
 * `--kb` (never written) or a one-entry seed; it lives in `--dir` (kept) or a temporary folder
 * (removed). The writers are real `ingest` processes run as the `ingest` task runs them (the
 * tasks' build, the task's permissions and flags), built by `lib/certify/cli_process.ts`; the gate
 * itself is `lib/certify/concurrency.ts`, the same function `certify` runs as its G1.
 *
 * @module
 */

import { type Calibration, DEFAULT_CALIBRATION, loadCalibration } from "../lib/core/calibration.ts";
import { codeOf, messageOf } from "../lib/core/error.ts";
import { join } from "../lib/core/path.ts";
import { runConcurrencyGate } from "../lib/certify/concurrency.ts";
import { runCliProcess } from "../lib/certify/cli_process.ts";
import { taskBuildEntry } from "./build.ts";
import {
  parseCommand,
  printError,
  printInfo,
  UsageError,
  writeJson,
  writeStdout,
} from "../cli/shell.ts";

const HELP =
  `Usage: deno task concurrency [-- --writers N] [--kb SEED_KB] [--dir DIR] [--calibration FILE]

Gate G1: runs N ingest processes at once on a scratch KB, then checks that every entry is
present exactly once, the KB is valid, and no lock or temporary file is left. Prints a JSON
report on stdout. Exit 0 pass, 1 fail, 2 usage error.

Options:
  --writers N          Parallel writer processes (default: calibration concurrency_writers)
  --kb SEED_KB         Start from a copy of this KB (default: a one-entry seed)
  --dir DIR            Scratch folder to use and keep (default: a temporary folder, removed)
  --calibration FILE   Thresholds file, passed on to the writers too
  -h, --help           Show this help
`;

const SEED = '[\n  {\n    "id": "G1-SEED",\n    "title": "seed entry of gate G1"\n  }\n]\n';

/**
 * Runs gate G1.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = await parse(args);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`concurrency: ${error.message}`);
      return 2;
    }
    printError(
      `concurrency: ${codeOf(error, "CONCURRENCY_FAILED")}: ${messageOf(error)}`,
    );
    return 1;
  }
  if (parsed === "help") {
    writeStdout(HELP);
    return 0;
  }
  let program: string;
  try {
    program = await taskBuildEntry();
  } catch (error) {
    printError(`concurrency: ${codeOf(error, "BUILD_MISSING")}: ${messageOf(error)}`);
    return 1;
  }
  const dir = parsed.dir ?? await Deno.makeTempDir({ prefix: "bootpack_g1_" });
  try {
    if (parsed.dir !== undefined) await Deno.mkdir(dir, { recursive: true });
    const kb = join(dir, "BUG_KB.json.txt");
    await Deno.writeTextFile(
      kb,
      parsed.seedKb === undefined ? SEED : await Deno.readTextFile(parsed.seedKb),
    );
    printInfo(`G1: starting ${parsed.writers} ingest processes on ${kb}`);
    const every = Math.max(1, Math.ceil(parsed.writers / 10));
    const { report } = await runConcurrencyGate({
      dir,
      kb,
      writers: parsed.writers,
      calibration: parsed.calibration,
      extraArgs: parsed.calibrationFile === undefined
        ? []
        : ["--calibration", parsed.calibrationFile],
      // The task grants `--allow-run=deno`: run the `deno` on PATH, not `Deno.execPath()`; and
      // the writers as their task runs them, from the tasks' build.
      run: (a, o) => runCliProcess(a, { execPath: "deno", cliPath: program, ...o }),
      onProgress: (done, total) => {
        if (done % every === 0 || done === total) printInfo(`G1: ${done}/${total} writers done`);
      },
    });
    writeJson(report);
    printInfo(
      `G1 ${report.pass ? "PASS" : "FAIL"}: ${parsed.writers} writers in ${report.elapsed_ms} ms`,
    );
    return report.pass ? 0 : 1;
  } catch (error) {
    printError(
      `concurrency: ${codeOf(error, "CONCURRENCY_FAILED")}: ${messageOf(error)}`,
    );
    return 1;
  } finally {
    if (parsed.dir === undefined) await Deno.remove(dir, { recursive: true });
  }
}

type Parsed = "help" | {
  readonly writers: number;
  readonly calibration: Calibration;
  readonly calibrationFile: string | undefined;
  readonly seedKb: string | undefined;
  readonly dir: string | undefined;
};

async function parse(args: string[]): Promise<Parsed> {
  // `deno task concurrency -- --writers N` passes the `--` on: it only separates task args.
  const flags = parseCommand(args[0] === "--" ? args.slice(1) : args, {
    writers: { type: "string" },
    kb: { type: "string" },
    dir: { type: "string" },
  });
  if (flags.values["help"]) return "help";
  if (flags.positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
  }
  const calibrationFile = flags.values["calibration"] as string | undefined;
  const calibration = calibrationFile === undefined
    ? DEFAULT_CALIBRATION
    : await loadCalibration(calibrationFile);
  const w = flags.values["writers"];
  const writers = w === undefined ? calibration.concurrency_writers : Number(w);
  if (!Number.isSafeInteger(writers) || writers < 1) {
    throw new UsageError(`--writers must be an integer >= 1, found ${JSON.stringify(w)}`);
  }
  return {
    writers,
    calibration,
    calibrationFile,
    seedKb: flags.values["kb"] as string | undefined,
    dir: flags.values["dir"] as string | undefined,
  };
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);

/**
 * Gate G1 (concurrency): N `ingest` processes at once on a scratch KB, then the checks of SPEC §7:
 * every entry present exactly once, the KB valid, 0 residual lock files, 0 residual temporary
 * files. Prints one JSON report on stdout; progress on stderr. Exit 0 pass, 1 fail, 2 usage.
 *
 *   deno task concurrency [-- --writers N] [--kb SEED_KB] [--dir DIR] [--calibration FILE]
 *
 * `--writers` defaults to calibration `concurrency_writers`. The scratch KB starts as a copy of
 * `--kb` (never written) or a one-entry seed; it lives in `--dir` (kept) or a temporary folder
 * (removed). The writers are real `deno run cli.ts ingest` processes with the `ingest` task's
 * permissions.
 *
 * @module
 */

import { isTempFileName } from "../lib/io/atomic_write.ts";
import { type Calibration, DEFAULT_CALIBRATION, loadCalibration } from "../lib/core/calibration.ts";
import { parseKb } from "../lib/bootpack/kb_parse.ts";
import { parseCommand, printError, printInfo, UsageError, writeStdout } from "../cli/shell.ts";

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

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const SEED = '[\n  {\n    "id": "G1-SEED",\n    "title": "seed entry of gate G1"\n  }\n]\n';

/** The JSON report of gate G1. */
export interface ConcurrencyReport {
  /** `G1`. */
  readonly gate: "G1";
  /** Whether every check passed. */
  readonly pass: boolean;
  /** Writer processes started. */
  readonly writers: number;
  /** Writers that exited 0. */
  readonly writers_ok: number;
  /** Entries before and after. */
  readonly entries_before: number;
  /** Entries after the run (`null` when the KB is not valid). */
  readonly entries_after: number | null;
  /** Ids of writers missing from the KB. */
  readonly missing: readonly string[];
  /** Ids present more than once. */
  readonly duplicated: readonly string[];
  /** Whether the KB parses as a KB. */
  readonly kb_valid: boolean;
  /** Lock files left in the folder. */
  readonly residual_locks: number;
  /** Temporary files left in the folder. */
  readonly residual_temp_files: number;
  /** Wall time of the whole run of writers, in ms. */
  readonly elapsed_ms: number;
  /** First failures of writers, exit code and last stderr line. */
  readonly failures: readonly { writer: number; code: number; message: string }[];
}

/**
 * Runs gate G1.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let writers: number;
  let calibration: Calibration = DEFAULT_CALIBRATION;
  let seedKb: string | undefined;
  let keepDir: string | undefined;
  let calibrationFile: string | undefined;
  try {
    // `deno task concurrency -- --writers N` passes the `--` on: it only separates task args.
    const flags = parseCommand(args[0] === "--" ? args.slice(1) : args, {
      writers: { type: "string" },
      kb: { type: "string" },
      dir: { type: "string" },
    });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    calibrationFile = flags.values["calibration"] as string | undefined;
    if (calibrationFile !== undefined) calibration = await loadCalibration(calibrationFile);
    const w = flags.values["writers"];
    writers = w === undefined ? calibration.concurrency_writers : Number(w);
    if (!Number.isSafeInteger(writers) || writers < 1) {
      throw new UsageError(`--writers must be an integer >= 1, found ${JSON.stringify(w)}`);
    }
    seedKb = flags.values["kb"] as string | undefined;
    keepDir = flags.values["dir"] as string | undefined;
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`concurrency: ${error.message}`);
      return 2;
    }
    printError(`concurrency: ${(error as Error).message}`);
    return 1;
  }

  const dir = keepDir ?? await Deno.makeTempDir({ prefix: "bootpack_g1_" });
  try {
    if (keepDir !== undefined) await Deno.mkdir(dir, { recursive: true });
    const report = await runGate(dir, writers, seedKb, calibrationFile);
    writeStdout(JSON.stringify(report, null, 2) + "\n");
    printInfo(`G1 ${report.pass ? "PASS" : "FAIL"}: ${writers} writers in ${report.elapsed_ms} ms`);
    return report.pass ? 0 : 1;
  } finally {
    if (keepDir === undefined) await Deno.remove(dir, { recursive: true });
  }
}

async function runGate(
  dir: string,
  writers: number,
  seedKb: string | undefined,
  calibrationFile: string | undefined,
): Promise<ConcurrencyReport> {
  const kb = `${dir}/BUG_KB.json.txt`;
  await Deno.writeTextFile(kb, seedKb === undefined ? SEED : await Deno.readTextFile(seedKb));
  const before = parseKb(await Deno.readTextFile(kb));
  if (!before.ok) throw new Error(`Cannot use seed KB: ${before.diagnostic.message}`);
  const beforeIds = before.kb.entries.map((e) => e["id"]);
  const run = crypto.randomUUID().slice(0, 8);
  const ids = Array.from({ length: writers }, (_, i) => `G1-${run}-${i + 1}`);

  printInfo(`G1: starting ${writers} ingest processes on ${kb}`);
  const started = performance.now();
  let finished = 0;
  const results = await Promise.all(ids.map(async (id, i) => {
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--quiet",
        "--allow-read",
        "--allow-write",
        `${ROOT}/cli.ts`,
        "ingest",
        "--kb",
        kb,
        "--entry",
        "-",
        ...(calibrationFile === undefined ? [] : ["--calibration", calibrationFile]),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify({ id, title: `G1 writer ${i + 1}` })));
    await w.close();
    const out = await child.output();
    finished++;
    if (finished % Math.max(1, Math.ceil(writers / 10)) === 0 || finished === writers) {
      printInfo(`G1: ${finished}/${writers} writers done`);
    }
    const stderr = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
    return { writer: i + 1, code: out.code, message: stderr };
  }));
  const elapsed = Math.round(performance.now() - started);

  const after = parseKb(new TextDecoder("utf-8", { fatal: false }).decode(await Deno.readFile(kb)));
  const afterIds = after.ok ? after.kb.entries.map((e) => e["id"]) : [];
  const counts = new Map<unknown, number>();
  for (const id of afterIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = [...ids, ...beforeIds].filter((id) => !counts.has(id)).map(String);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => String(id));
  let locks = 0;
  let temps = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".lock")) locks++;
    if (isTempFileName(e.name)) temps++;
  }
  const failures = results.filter((r) => r.code !== 0);
  const pass = failures.length === 0 && after.ok && missing.length === 0 &&
    duplicated.length === 0 && afterIds.length === beforeIds.length + writers && locks === 0 &&
    temps === 0;
  return {
    gate: "G1",
    pass,
    writers,
    writers_ok: writers - failures.length,
    entries_before: beforeIds.length,
    entries_after: after.ok ? afterIds.length : null,
    missing,
    duplicated,
    kb_valid: after.ok,
    residual_locks: locks,
    residual_temp_files: temps,
    elapsed_ms: elapsed,
    failures: failures.slice(0, 10),
  };
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);

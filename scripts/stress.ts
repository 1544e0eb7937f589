/**
 * Gate G4 on its own: `deno task stress [BOOTPACK] [--map FROM=TO]... [--calibration FILE]
 * [--parallel N] [--json]`. Runs `STRESS_N` iterations of `acceptance` and `selftest` as separate
 * processes, as their tasks run them (the tasks' build; default input: the bundled example),
 * prints the judgement on stdout and progress on stderr.
 * Exit 0 when G4 passes, 1 when it fails, 2 on a usage error.
 *
 * @module
 */

import { CalibrationError } from "../lib/core/calibration.ts";
import { runStress, stressEvidence, type StressResult } from "../lib/certify/stress.ts";
import { runCliProcess } from "../lib/certify/cli_process.ts";
import { codeOf, messageOf } from "../lib/core/error.ts";
import { taskBuildEntry } from "./build.ts";
import {
  calibrationOf,
  parseFlags,
  printError,
  printInfo,
  UsageError,
  writeJson,
  writeStdout,
} from "../cli/shell.ts";

const HELP = `Usage: deno task stress [BOOTPACK] [--map FROM=TO]... [--calibration FILE]
                        [--parallel N] [--json]

Gate G4: runs acceptance and selftest STRESS_N times (calibration) as separate processes,
PARALLEL iterations at a time (default 2), each run right after a floor process (an empty
deno run). Hard pass: identical exit code and stdout to the first run; soft pass: within
budgets_ms; the runs' spread, over the floors' spread, inside the variance envelope, so that a
busy host does not fail it and a real slowdown does.
Default BOOTPACK: examples/bootpack.txt with --map '\\\\DS-918\\kb=examples'.
`;

/**
 * Runs the stress gate.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      map: { type: "string", multiple: true },
      calibration: { type: "string" },
      parallel: { type: "string" },
    });
    if (flags.positionals.length > 1) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[1])}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`stress: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (flags.values["help"]) {
    writeStdout(HELP);
    return 0;
  }
  const parallelText = (flags.values["parallel"] as string | undefined) ?? "2";
  const parallelism = Number(parallelText);
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) {
    printError(`stress: --parallel must be an integer >= 1, found ${JSON.stringify(parallelText)}`);
    return 2;
  }
  let calibration;
  try {
    calibration = await calibrationOf(flags);
  } catch (error) {
    if (error instanceof CalibrationError) {
      printError(`stress: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const bootpack = flags.positionals[0] ?? "examples/bootpack.txt";
  const maps = (flags.values["map"] as string[] | undefined) ??
    (flags.positionals[0] === undefined ? ["\\\\DS-918\\kb=examples"] : []);
  const common = [
    ...maps.flatMap((m) => ["--map", m]),
    ...(typeof flags.values["calibration"] === "string"
      ? ["--calibration", flags.values["calibration"]]
      : []),
  ];
  printInfo(
    `stress: ${calibration.STRESS_N} iterations of acceptance + selftest on ${bootpack}, ${parallelism} at a time`,
  );
  let program: string;
  try {
    program = await taskBuildEntry();
  } catch (error) {
    printError(`stress: ${codeOf(error, "BUILD_MISSING")}: ${messageOf(error)}`);
    return 1;
  }
  const step = Math.max(1, Math.round(calibration.STRESS_N / 10));
  const result = await runStress(
    [
      { name: "acceptance", args: ["acceptance", bootpack, ...common] },
      { name: "selftest", args: ["selftest", bootpack, ...common] },
    ],
    {
      calibration,
      parallelism,
      // As the tasks run them: the tasks' build, with each command's task flags.
      run: (a) => runCliProcess(a, { cliPath: program }),
      onProgress: ({ done, total, round }) => {
        const label = round === 1 ? "stress" : "stress, round 2 (the envelope failed)";
        if (done % step === 0 || done === total) printInfo(`${label}: ${done}/${total}`);
      },
    },
  );
  if (flags.values["json"]) writeJson(stressEvidence(result));
  else writeStdout(text(result));
  return result.pass ? 0 : 1;
}

function text(r: StressResult): string {
  const lines = r.criteria.map((c) =>
    `${c.pass ? "[PASS]" : "[FAIL]"} ${c.name}: ${c.measured} (required ${c.required})`
  );
  for (const s of r.steps) {
    const t = s.stats;
    const f = s.floorStats;
    const u = s.normalizedStats;
    lines.push(
      `${s.name}: raw mean ${t.mean.toFixed(1)} ± ${t.sd.toFixed(1)} ms, p50 ${
        t.p50.toFixed(1)
      }, p95 ${t.p95.toFixed(1)}, min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)} (n=${t.n})`,
      `${s.name}: floor mean ${f.mean.toFixed(1)} ± ${f.sd.toFixed(1)} ms, p50 ${
        f.p50.toFixed(1)
      }, p95 ${f.p95.toFixed(1)}; each run over its floor: mean ${u.mean.toFixed(2)}, p50 ${
        u.p50.toFixed(2)
      }, p95 ${u.p95.toFixed(2)}`,
    );
  }
  lines.push(r.pass ? "[PASS] G4 stress" : "[GATE-BLOCK] G4_STRESS: see the failed criteria above");
  return lines.join("\n") + "\n";
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);

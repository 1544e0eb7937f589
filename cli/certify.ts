/**
 * CLI of `certify`: gates G0–G5 on scratch copies of a BootPack and its KB, then the certification
 * report and its proofpack.
 *
 * @module
 */

import { CalibrationError } from "../lib/core/calibration.ts";
import { certify, CertifyError, type CertifyResult } from "../lib/certify/certify.ts";
import { certificationVerdict, INVARIANTS } from "../lib/certify/report.ts";
import type { PathMapping } from "../lib/bootpack/pointer_path.ts";
import denoJson from "../deno.json" with { type: "json" };
import { UsageError } from "./_args.ts";
import { calibrationOf, mapsOf, parseCommand } from "./_common.ts";
import { printError, printInfo, writeStderr, writeStdout } from "./_output.ts";

const USAGE =
  "Usage: bootpack certify --bootpack FILE [--kb FILE] [--map FROM=TO]... [--out DIR] [--json]";

const HELP = `${USAGE}

Runs the hardening gates on scratch copies of the BootPack and its KB (your files are only
read, and hashed before and after to prove it), every command as a separate process:
  G0 preflight    the toolchain runs and the BootPack passes acceptance and selftest
  G1 concurrency  concurrency_writers parallel ingest, then rebuild, processes: every entry
                  once, KB valid, 0 residual locks or temporary files
  G2 budget       every operation within budgets_ms
  G3 chaos        every command under TIMEOUT, ERROR, PARTIAL, EMPTY, CORRUPT, LATENCY fails
                  closed: a block with files unchanged, or the right answer; retries bounded
  G4 stress       STRESS_N runs of acceptance and selftest: identical output, within budget,
                  timings inside the variance envelope
  G5 proofpack    export then verify passes; modified, missing and extra files fail
Then writes DIR/CERTIFICATION.md, DIR/certification.json, DIR/stress_timings.svg and
DIR/evidence/, exports them as the proofpack DIR/proofpack and verifies it.
Exit 0 only when every gate passes and the inputs are unchanged.

Options:
  --bootpack FILE      The BootPack to certify (required)
  --kb FILE            Its KB (default: the file its POINTER names)
  --map FROM=TO        Follow a Windows POINTER on this host (repeatable), e.g.
                       --map '\\\\DS-918\\kb=examples'
  --out DIR            Report folder, which must not exist (default: certification-<UTC time>)
  --json               Print the result as one JSON object
  --calibration FILE   Thresholds file (JSON or JSONC), passed on to every command;
                       default: the built-in budgets/calibration.json
  -h, --help           Show this help

Example:
  deno task certify --bootpack examples/bootpack.txt --map '\\\\DS-918\\kb=examples'
`;

/**
 * Runs `bootpack certify`.
 *
 * @param args Arguments after the command name.
 * @returns 0 when certified, 1 when a gate failed or the input cannot be certified, 2 on a usage
 * error.
 * @example
 * ```ts
 * import { main } from "./certify.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // `deno task certify -- --bootpack F` passes the `--` through.
  const rest = args[0] === "--" ? args.slice(1) : args;
  let bootpack: string;
  let maps: PathMapping[];
  let flags;
  try {
    flags = parseCommand(rest, {
      bootpack: { type: "string" },
      kb: { type: "string" },
      map: { type: "string", multiple: true },
      out: { type: "string" },
      json: { type: "boolean" },
    });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    if (flags.values["chaos"] !== undefined) {
      throw new UsageError(
        "--chaos is not an option of certify: gate G3 injects every mode itself",
      );
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    const value = flags.values["bootpack"];
    if (typeof value !== "string") throw new UsageError("Missing --bootpack FILE");
    bootpack = value;
    maps = mapsOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`certify: ${error.message}`);
      writeStderr(`${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  let calibration;
  try {
    calibration = await calibrationOf(flags);
  } catch (error) {
    if (error instanceof CalibrationError) {
      printError(error.message);
      return 1;
    }
    throw error;
  }
  const out = (flags.values["out"] as string | undefined) ??
    `certification-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
  const calibrationFile = flags.values["calibration"] as string | undefined;
  let result: CertifyResult;
  // Ctrl-C: stop between steps and remove the scratch and staging folders (no half report).
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (!interrupt.signal.aborted) printInfo("certify: interrupted, cleaning up");
    interrupt.abort();
  };
  // SIGINT and SIGTERM alike: stop, kill the child processes, remove what this run created.
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    result = await certify(bootpack, {
      signal: interrupt.signal,
      out,
      calibration,
      calibrationFile,
      kb: flags.values["kb"] as string | undefined,
      maps,
      tool: `bootpack ${denoJson.version}`,
      commandLine: ["bootpack", "certify", ...rest].map(quote).join(" "),
      onProgress: (message) => printInfo(message),
    });
  } catch (error) {
    if (error instanceof CertifyError) {
      printError(error.message);
      return interrupt.signal.aborted ? 130 : 1;
    }
    throw error;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  const verdict = certificationVerdict(result.report);
  if (flags.values["json"]) {
    writeStdout(
      JSON.stringify(
        {
          verdict: result.pass ? "PASS" : "FAIL",
          out: result.out,
          root_digest: result.rootDigest,
          proofpack_verified: result.packVerified,
          inputs_unchanged: verdict.inputsUnchanged,
          gates: result.report.gates.map((g) => ({
            id: g.id,
            name: g.name,
            verdict: g.pass ? "PASS" : "FAIL",
            ms: Math.round(g.ms),
          })),
          total_ms: Math.round(result.report.totalMs),
          problems: result.problems,
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    const lines = result.report.gates.map((g) =>
      `${g.pass ? "[PASS]" : "[FAIL]"} ${g.id} ${g.name} (${(g.ms / 1000).toFixed(1)} s)` +
      (g.pass ? "" : `: ${g.criteria.filter((c) => !c.pass).map((c) => c.criterion).join("; ")}`)
    );
    lines.push(
      `${verdict.inputsUnchanged ? "[PASS]" : "[FAIL]"} inputs byte-for-byte unchanged`,
      `${result.packVerified ? "[PASS]" : "[FAIL]"} report exported as a proofpack and verified${
        result.problems.length ? ": " + result.problems.join("; ") : ""
      }`,
      `report: ${result.out}/CERTIFICATION.md`,
      `root digest: ${result.rootDigest ?? "none"}`,
      result.pass
        ? `[PASS] certified: ${verdict.gatesPassed}/6 gates, ${verdict.invariantsPassed}/${INVARIANTS.length} invariants, in ${
          (result.report.totalMs / 1000).toFixed(1)
        } s`
        : `[GATE-BLOCK] CERTIFY_FAILED: ${verdict.gatesPassed}/6 gates passed; see ${result.out}/CERTIFICATION.md`,
    );
    writeStdout(lines.join("\n") + "\n");
  }
  return result.pass ? 0 : 1;
}

function quote(arg: string): string {
  return /^[\w./=:@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

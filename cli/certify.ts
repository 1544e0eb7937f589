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
import { cliInvocation } from "../lib/certify/cli_process.ts";
import { importSigningKey, SignatureError } from "../lib/proofpack/dsse.ts";
import { ToolError } from "../lib/proofpack/tool.ts";
import { FileReadError, readFileBytes } from "../lib/io/file_read.ts";
import { codeOf, messageOf } from "../lib/core/error.ts";
import { resolve } from "../lib/core/path.ts";
import { UsageError } from "./_args.ts";
import { calibrationOf, mapsOf, parseCommand } from "./_common.ts";
import { printError, printInfo, writeJson, writeStderr, writeStdout } from "./_output.ts";

const USAGE =
  "Usage: bootpack certify --bootpack FILE [--kb FILE] [--map FROM=TO]... [--out DIR] [--sign KEY.pem] [--json]";

const HELP = `${USAGE}

Runs the hardening gates on scratch copies of the BootPack and its KB (your files are only
read, and hashed before and after to prove it), every command as a separate process:
  G0 preflight    the toolchain runs and the BootPack passes acceptance and selftest
  G1 concurrency  concurrency_writers parallel ingest, then rebuild, processes: every entry
                  once, KB valid, 0 residual locks or temporary files
  G2 budget       every operation within budgets_ms
  G3 chaos        every command under TIMEOUT, ERROR, PARTIAL, EMPTY, CORRUPT, LATENCY fails
                  closed: a block with files unchanged, or the right answer; retries bounded
  G4 stress       STRESS_N runs of acceptance and selftest, each after a floor process (an
                  empty deno run): identical output, within budget, load-normalised timings
                  (run / floor) inside the variance envelope
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
  --sign KEY.pem       Sign the report's proofpack (PKCS#8 key from bootpack keygen)
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
  const parsed = parse(rest);
  if (typeof parsed === "number") return parsed;
  let calibration;
  try {
    calibration = await calibrationOf(parsed.flags);
  } catch (error) {
    if (error instanceof CalibrationError) return calibrationFailed(error);
    throw error;
  }
  const out = (parsed.flags.values["out"] as string | undefined) ??
    `certification-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
  const sign = parsed.flags.values["sign"] as string | undefined;
  const prepared = await prepareExport(sign, calibration);
  if (prepared !== 0) return prepared;
  // Ctrl-C: stop between steps and remove the scratch and staging folders (no half report).
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (!interrupt.signal.aborted) printInfo("certify: interrupted, cleaning up");
    interrupt.abort();
  };
  // SIGINT and SIGTERM alike: stop, kill the child processes, remove what this run created.
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  let result: CertifyResult;
  try {
    result = await certify(parsed.bootpack, {
      signal: interrupt.signal,
      out,
      calibration,
      calibrationFile: parsed.flags.values["calibration"] as string | undefined,
      kb: parsed.flags.values["kb"] as string | undefined,
      maps: parsed.maps,
      ...(sign === undefined ? {} : { signKey: resolve(sign, Deno.cwd()) }),
      tool: `bootpack ${denoJson.version}`,
      commandLine: ["bootpack", "certify", ...rest].map(quote).join(" "),
      onProgress: (message) => printInfo(message),
    });
  } catch (error) {
    if (error instanceof CertifyError) {
      printError(error.message);
      return interrupt.signal.aborted ? 130 : 1;
    }
    if (error instanceof CalibrationError) return calibrationFailed(error);
    if (error instanceof ToolError) {
      printError(`certify: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  if (parsed.flags.values["json"]) writeJson(resultJson(result));
  else writeStdout(resultText(result));
  return result.pass ? 0 : 1;
}

interface Parsed {
  readonly flags: ReturnType<typeof parseCommand>;
  readonly bootpack: string;
  readonly maps: PathMapping[];
}

/** The arguments, or the exit code when they ask for help (0) or are wrong (2). */
function parse(rest: string[]): Parsed | number {
  try {
    const flags = parseCommand(rest, {
      bootpack: { type: "string" },
      kb: { type: "string" },
      map: { type: "string", multiple: true },
      out: { type: "string" },
      json: { type: "boolean" },
      sign: { type: "string" },
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
    const bootpack = flags.values["bootpack"];
    if (typeof bootpack !== "string") throw new UsageError("Missing --bootpack FILE");
    return { flags, bootpack, maps: mapsOf(flags) };
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`certify: ${error.message}`);
      writeStderr(`${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

function resultJson(result: CertifyResult): Record<string, unknown> {
  const verdict = certificationVerdict(result.report);
  return (
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
    }
  );
}

function resultText(result: CertifyResult): string {
  const verdict = certificationVerdict(result.report);
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
  return lines.join("\n") + "\n";
}

/**
 * Before any gate runs: the children must be confinable (not a compiled binary) and the signing
 * key usable (`certify()` itself builds the tool the report's pack carries). Returns 0, or 1
 * after printing the refusal.
 */
async function prepareExport(
  sign: string | undefined,
  calibration: Awaited<ReturnType<typeof calibrationOf>>,
): Promise<number> {
  try {
    cliInvocation(["acceptance"], { permissions: ["--allow-read"] });
    if (sign !== undefined) {
      await importSigningKey(new TextDecoder().decode(await readFileBytes(sign, { calibration })));
    }
    return 0;
  } catch (error) {
    if (
      error instanceof SignatureError || error instanceof FileReadError ||
      codeOf(error, "") === "CONFINEMENT_UNAVAILABLE"
    ) {
      printError(`certify: ${codeOf(error, "IO_ERROR")}: ${messageOf(error)}`);
      return 1;
    }
    throw error;
  }
}

function calibrationFailed(error: CalibrationError): number {
  printError(`certify: ${error.code}: ${error.message}`);
  return 1;
}

function quote(arg: string): string {
  return /^[\w./=:@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

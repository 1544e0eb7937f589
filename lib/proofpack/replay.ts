/**
 * `proofpack replay` (SPEC §6): the same replay as the pack's `replay.sh`, run from Deno. Verifies
 * the pack, then re-runs each recorded gate command with `deno run --allow-read=<pack>` (no other
 * permission) from the pack's root, and compares stdout and exit code with the recorded ones.
 *
 * @module
 */

import { type Calibration, DEFAULT_CALIBRATION } from "../core/calibration.ts";
import { type ChaosMode, readFileBytes } from "../io/file_read.ts";
import {
  COMMANDS_FILE,
  type GateRecord,
  type PackFileProblem,
  parseGateCommands,
} from "./manifest.ts";
import { verifyProofpack, type VerifyReport } from "./verify.ts";

/** One replayed gate. */
export interface ReplayedGate {
  /** `acceptance` or `selftest`. */
  readonly name: string;
  /** The recorded arguments. */
  readonly args: readonly string[];
  /** Recorded exit code. */
  readonly recordedExitCode: number;
  /** Exit code of the fresh run. */
  readonly exitCode: number;
  /** The fresh stdout equals the recorded output byte for byte. */
  readonly sameOutput: boolean;
  /** The fresh stdout. */
  readonly output: string;
  /** The fresh stderr (for the user when something differs). */
  readonly stderr: string;
  /** Same output and same exit code. */
  readonly ok: boolean;
}

/** What {@linkcode replayProofpack} found. */
export interface ReplayReport {
  /** The verify step's report. */
  readonly verify: VerifyReport;
  /** The replayed gates (empty when verify failed or none were recorded). */
  readonly gates: readonly ReplayedGate[];
  /** Problems reading the gate record. */
  readonly problems: readonly PackFileProblem[];
  /** Everything verified and every gate replayed identically. */
  readonly ok: boolean;
}

/** Options of {@linkcode replayProofpack}. */
export interface ReplayOptions {
  /** bootpack's `cli.ts` to re-run the gates with (path or `file:` URL). Required for gates. */
  readonly cli: string;
  /** The Deno executable. Default `deno` (from PATH). */
  readonly deno?: string;
  /** Root digest recorded elsewhere. Default: not checked. */
  readonly expectedRoot?: string | undefined;
  /** Thresholds (retries, timeouts). Default: the built-in calibration. */
  readonly calibration?: Calibration;
  /** Chaos fault to inject into every read of the verify step. Default none. */
  readonly chaos?: ChaosMode | undefined;
}

/**
 * Replays a proofpack: verify, then re-run the recorded gates in a read-only sandbox.
 *
 * @param dir The pack's folder.
 * @param options The CLI to replay with, Deno, expected root.
 * @returns The report.
 * @example
 * ```ts
 * import { exportProofpack } from "./export.ts";
 * import { replayProofpack } from "./replay.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await exportProofpack(`${dir}/pack`, { files: ["deno.json"], createdAt: new Date(0) });
 *   const r = await replayProofpack(`${dir}/pack`, { cli: "cli.ts" });
 *   if (!r.ok) throw new Error();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function replayProofpack(dir: string, options: ReplayOptions): Promise<ReplayReport> {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const verify = await verifyProofpack(dir, {
    calibration,
    chaos: options.chaos,
    expectedRoot: options.expectedRoot,
  });
  const problems: PackFileProblem[] = [];
  const fail = (): ReplayReport => ({ verify, gates: [], problems, ok: false });
  if (!verify.ok) return fail();
  let gates: readonly GateRecord[] = [];
  let commandsText: string | null = null;
  try {
    commandsText = new TextDecoder("utf-8", { fatal: true }).decode(
      await readFileBytes(`${dir}/${COMMANDS_FILE}`, { calibration }),
    );
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "NOT_FOUND")) {
      problems.push(problem((error as Error).message));
      return fail();
    }
  }
  if (commandsText !== null) {
    const parsed = parseGateCommands(commandsText);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      return fail();
    }
    gates = parsed.value.gates;
  }
  const pack = await Deno.realPath(dir);
  if (pack.includes(",")) {
    problems.push(
      problem(`Cannot sandbox "${pack}": Deno's --allow-read list cannot hold a comma`),
    );
    return fail();
  }
  // The gates run from the pack's folder: a relative CLI path is relative to ours.
  const given = options.cli.startsWith("file:") ? new URL(options.cli).pathname : options.cli;
  const cli = given.startsWith("/") || /^[A-Za-z]:[\\/]/.test(given)
    ? given
    : `${Deno.cwd()}/${given}`;
  const config = await configBeside(cli);
  const replayed: ReplayedGate[] = [];
  for (const gate of gates) {
    const recorded = await readFileBytes(`${pack}/${gate.output}`, { calibration });
    const out = await new Deno.Command(options.deno ?? "deno", {
      args: [
        "run",
        "--no-prompt",
        "--quiet",
        "--no-lock",
        ...(config === null ? [] : ["--config", config]),
        `--allow-read=${pack}`,
        cli,
        ...gate.args,
      ],
      cwd: pack,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const sameOutput = equalBytes(out.stdout, recorded);
    const dec = new TextDecoder();
    replayed.push({
      name: gate.name,
      args: gate.args,
      recordedExitCode: gate.exit_code,
      exitCode: out.code,
      sameOutput,
      output: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      ok: sameOutput && out.code === gate.exit_code,
    });
  }
  return { verify, gates: replayed, problems, ok: replayed.every((g) => g.ok) };
}

function problem(message: string): PackFileProblem {
  return { file: COMMANDS_FILE, line: null, path: COMMANDS_FILE, code: "INVALID", message };
}

async function configBeside(cli: string): Promise<string | null> {
  const cut = cli.lastIndexOf("/");
  const config = `${cut === -1 ? "." : cli.slice(0, cut)}/deno.json`;
  try {
    return (await Deno.stat(config)).isFile ? config : null;
  } catch {
    return null;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

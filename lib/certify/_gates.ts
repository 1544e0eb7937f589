/**
 * What the six hardening gates of `certify` share (internal): their names and evidence files, the
 * context they run in, the confined way they run the CLI, and the records and criteria they
 * build. Each gate is its own file (`gate_g0.ts` … `gate_g5.ts`): it runs the CLI as processes in
 * its own scratch workspace and returns its criteria, measured, and its evidence; `certify.ts`
 * runs them in order and writes the report.
 *
 * @module
 */

import { type Measurement } from "./budget.ts";
import { type Calibration, CalibrationError, validateCalibration } from "../core/calibration.ts";
import { codeOf, messageOf } from "../core/error.ts";

import {
  type CliProcessResult,
  COMMAND_PERMISSIONS,
  narrowWrite,
  runCliProcess,
  type RunCliProcessOptions,
} from "./cli_process.ts";
import type { GateCriterion, GateId, GateOutcome } from "./report.ts";

import { normalizeOutput, type ScratchSource, type Workspace } from "./scratch_workspace.ts";

/** A gate's outcome and the evidence written for it. */
export interface GateRun {
  /** Criteria, verdict, time. */
  readonly outcome: GateOutcome;
  /** The evidence file's content. */
  readonly evidence: unknown;
}

/** Name, purpose and evidence file of each gate. */
export const GATES: Readonly<Record<GateId, { name: string; proves: string; file: string }>> = {
  G0: {
    name: "Preflight",
    proves: "The toolchain is present and the BootPack passes acceptance",
    file: "evidence/G0_preflight.json",
  },
  G1: {
    name: "Concurrency",
    proves:
      "Parallel writer processes: every entry present once, KB valid, 0 residual locks, 0 residual temporary files",
    file: "evidence/G1_concurrency.json",
  },
  G2: {
    name: "Budget",
    proves:
      "Every operation within its budget from the calibration, the single source of thresholds",
    file: "evidence/G2_budget.json",
  },
  G3: {
    name: "Chaos",
    proves:
      "Under each fault mode every command fails closed: the right answer or a block, never a wrong PASS, never a partial write; retries bounded",
    file: "evidence/G3_chaos.json",
  },
  G4: {
    name: "Stress",
    proves:
      "STRESS_N runs: identical output (hard pass), within budget (soft pass), the timings' spread against the host's (floor processes, an empty deno run, between the runs) inside the variance envelope",
    file: "evidence/G4_stress.json",
  },
  G5: {
    name: "Proofpack",
    proves: "Export then verify succeeds, and tampered copies fail verification",
    file: "evidence/G5_proofpack.json",
  },
};

/**
 * Runs a command of the CLI as a process with its task's permissions, write permission narrowed
 * to `writable`: a command run by `certify` cannot write the user's files even if it tried.
 */
export function confined(
  args: readonly string[],
  writable: readonly string[],
  options: Omit<RunCliProcessOptions, "permissions"> = {},
): Promise<CliProcessResult> {
  const name = args[0] ?? "";
  const permissions = Object.hasOwn(COMMAND_PERMISSIONS, name)
    ? COMMAND_PERMISSIONS[name]!
    : undefined;
  if (permissions === undefined) {
    throw new TypeError(`Cannot run "${name}": no deno task gives its permissions`);
  }
  return runCliProcess(args, { ...options, permissions: narrowWrite(permissions, writable) });
}

// ---------------------------------------------------------------------------------------------
// Gates

/** What every gate works with. */
export interface Context {
  /** Thresholds. */
  readonly cal: Calibration;
  /** Where they come from, for messages (a file, or the built-in calibration). */
  readonly calibrationSource: string;
  /** Scratch root: every workspace is a folder under it. */
  readonly scratch: string;
  /** What every workspace copies. */
  readonly source: ScratchSource;
  /** Arguments added to every command (`--calibration FILE`). */
  readonly extra: readonly string[];
  /** Progress lines. */
  readonly progress: (message: string) => void;
  /** Sequential timed runs for G2. */
  readonly measurements: Measurement[];
  /** Aborts on interruption: running processes are killed. */
  readonly signal: AbortSignal | undefined;
  /** Runs the CLI with the calibration arguments appended. */
  readonly run: (
    args: readonly string[],
    options?: { readonly timeoutMs?: number; readonly cwd?: string },
  ) => Promise<CliProcessResult>;
}

/** A gate's outcome from its criteria: PASS when there is at least one and all pass. */
export function outcome(id: GateId, criteria: GateCriterion[], ms: number): GateOutcome {
  return {
    id,
    name: GATES[id].name,
    proves: GATES[id].proves,
    pass: criteria.length > 0 && criteria.every((c) => c.pass),
    ms,
    criteria,
    evidence: GATES[id].file,
  };
}

export interface ProcessRecord {
  readonly args: readonly string[];
  readonly code: number;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function record(
  args: readonly string[],
  r: CliProcessResult,
  ws: Workspace | null,
): ProcessRecord {
  const norm = (t: string): string => (ws ? normalizeOutput(t, ws.dir) : t);
  return {
    args: args.map(norm),
    code: r.code,
    ms: round(r.ms),
    stdout: norm(r.stdout),
    stderr: norm(r.stderr),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The calibration checked against its schema, as a criterion: a null value is `CALIBRATION_NULL`
 * naming the key, and fails.
 */
export function calibrationCriterion(
  ctx: Pick<Context, "cal" | "calibrationSource">,
): GateCriterion {
  let measured: string;
  let pass = false;
  try {
    validateCalibration(ctx.cal, ctx.calibrationSource);
    measured = `${Object.keys(flatten(ctx.cal)).length} keys, every one set`;
    pass = true;
  } catch (error) {
    if (!(error instanceof CalibrationError)) throw error;
    measured = `${codeOf(error, "CALIBRATION_INVALID")}: ${messageOf(error)}`;
  }
  return {
    criterion: `calibration (${ctx.calibrationSource})`,
    measured,
    required: "every key set: no null, missing, unknown or mistyped key (CALIBRATION_*)",
    pass,
  };
}

/** Flattens nested calibration keys to dotted keys. */
export function flatten(value: object, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "object" && v !== null) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[prefix + k] = v as number;
  }
  return out;
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * `certify`: runs the hardening gates G0–G5 (SPEC §7) on scratch copies of a BootPack and its KB,
 * every command as a separate process, and writes the certification report (`CERTIFICATION.md`,
 * `certification.json`, the stress chart, one evidence file per gate) exported as a proofpack.
 * The user's files are only read, and hashed before and after to prove it. The report folder is
 * assembled beside its destination and renamed into place at the end: a certification that stops
 * half-way leaves no half report.
 *
 * @module
 */

import { decodeBootPack, parseBootPack } from "../bootpack/parse.ts";
import { type Calibration, validateCalibration } from "../core/calibration.ts";
import { cliInvocation } from "./cli_process.ts";
import {
  type CertificationReport,
  certificationVerdict,
  type GateId,
  type Identification,
  type InputRecord,
  type RegistryEntry,
  renderCertificationJson,
  renderCertificationMarkdown,
} from "./report.ts";
import { readFileBytes } from "../io/file_read.ts";
import { type PathMapping, resolvePointerPath } from "../bootpack/pointer_path.ts";
import { sha256Hex } from "../core/sha256.ts";
import type { StressResult } from "./stress.ts";
import { renderStressChart } from "./svg_chart.ts";
import { makeWorkspace, type ScratchSource, type Workspace } from "./scratch_workspace.ts";
import { confined, type Context, flatten, type GateRun, GATES, outcome } from "./_gates.ts";
import { gateG0 } from "./gate_g0.ts";
import { gateG1 } from "./gate_g1.ts";
import { gateG2 } from "./gate_g2.ts";
import { gateG3 } from "./gate_g3.ts";
import { gateG4 } from "./gate_g4.ts";
import { gateG5 } from "./gate_g5.ts";
import { messageOf } from "../core/error.ts";
import { basename, dirname, resolve } from "../core/path.ts";
import { lastLine } from "./_output_lines.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { packTool } from "../proofpack/tool.ts";
import { OwnedDir } from "../io/owned_dir.ts";

/** Options of {@linkcode certify}. */
export interface CertifyOptions {
  /** The report's folder; it must not exist, or be an empty folder. */
  readonly out: string;
  /** Thresholds; checked again first (a null is `CALIBRATION_NULL`, nothing runs). */
  readonly calibration: Calibration;
  /** The calibration file the user gave, passed on to every command; default: built in. */
  readonly calibrationFile?: string | undefined;
  /** The KB; default: the file the BootPack's POINTER names (after `maps`). */
  readonly kb?: string | undefined;
  /** `--map FROM=TO` rules to follow the POINTER. Default none. */
  readonly maps?: readonly PathMapping[];
  /** Tool name and version for the report, e.g. `bootpack 0.1.0`. */
  readonly tool: string;
  /** The command line, for the report. Default `certify`. */
  readonly commandLine?: string;
  /** Stress iterations run at the same time. Default `2`. */
  readonly stressParallelism?: number;
  /** Progress messages, one line each. */
  readonly onProgress?: (message: string) => void;
  /** Stops the certification between steps (e.g. on Ctrl-C): nothing is published. */
  readonly signal?: AbortSignal;
  /** Sign the report's proofpack with this PKCS#8 key file (absolute path). Default: unsigned. */
  readonly signKey?: string | undefined;
}

/** Result of {@linkcode certify}. */
export interface CertifyResult {
  /** Every gate passed, the inputs are unchanged, and the report's proofpack verified. */
  readonly pass: boolean;
  /** The report's folder. */
  readonly out: string;
  /** The report. */
  readonly report: CertificationReport;
  /** Root digest printed by `proofpack export` for the report's pack, when it was exported. */
  readonly rootDigest: string | null;
  /** The report's proofpack was exported and `proofpack verify` accepted it. */
  readonly packVerified: boolean;
  /** Problems with the report's own export, if any. */
  readonly problems: readonly string[];
}

/** A precondition of `certify` that is not met: nothing was written. */
export class CertifyError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "CertifyError";
  }
}

const CHART = "stress_timings.svg";
const CALIBRATION_COPY = "evidence/calibration.json";

/**
 * Certifies a BootPack: gates G0–G5 on scratch copies, then the report and its proofpack in
 * `options.out`. G1–G5 are not run when G0 fails (they are reported as failed, not run).
 *
 * @param bootpack The user's BootPack (only read).
 * @param options Report folder, calibration, KB, mappings, progress.
 * @returns The verdict, the report and the report's proofpack digest.
 * @throws {CertifyError} When the BootPack or its KB cannot be read, `out` is not free, or the
 * run was interrupted through `options.signal` (then nothing is written).
 * @throws {CalibrationError} When `options.calibration` has a null, missing, unknown or mistyped
 * key (`CALIBRATION_NULL` … naming the key); nothing is run or written.
 * @example
 * ```ts ignore
 * import { certify } from "./certify.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const r = await certify("examples/bootpack.txt", {
 *   out: "certification", calibration: DEFAULT_CALIBRATION, tool: "bootpack 0.1.0",
 *   maps: [{ from: "\\\\DS-918\\kb", to: "examples" }],
 * });
 * if (!r.pass) throw new Error("not certified");
 * ```
 */
export async function certify(bootpack: string, options: CertifyOptions): Promise<CertifyResult> {
  const started = performance.now();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  // 1. Preconditions: the calibration, a free report folder, the inputs read and hashed.
  const calibrationSource = options.calibrationFile ?? "budgets/calibration.json (built in)";
  const cal = validateCalibration(options.calibration, calibrationSource);
  // The tool every exported pack carries, built (from source) into its cache now: the exports the
  // gates run are write-confined to the scratch folder and only read that cache.
  await packTool({ version: denoJson.version });
  const subject = await locateSubject(bootpack, options);
  const inputsBefore = await hashInputs([
    { role: "BootPack", path: bootpack, bytes: subject.source.bootpackBytes },
    { role: "KB", path: subject.kbPath, bytes: subject.source.kbBytes },
  ]);
  // --out reserved and the report built in this run's partial sibling (lib/io/owned_dir.ts), the
  // scratch copies of the KB inside it: interrupted or killed, nothing is left behind for long.
  const owned = await reserveOut(options.out);
  const staging = owned.work;
  const scratch = `${staging}/.scratch`;
  try {
    await Deno.mkdir(scratch);
    await Deno.mkdir(`${staging}/evidence`, { recursive: true });
    const input = await makeWorkspace(scratch, "input", subject.source);
    const extra = options.calibrationFile === undefined
      ? []
      : ["--calibration", resolve(options.calibrationFile, Deno.cwd())];
    const ctx: Context = {
      cal,
      calibrationSource,
      scratch,
      source: subject.source,
      extra,
      progress: options.onProgress ?? (() => {}),
      measurements: [],
      run: (args, o) => confined([...args, ...extra], [scratch], { ...o, signal: options.signal }),
      signal: options.signal,
    };
    // 2. The gates.
    const { runs, stress } = await runGates(ctx, options);
    checkInterrupted(options);
    // 3. Evidence, calibration, chart; the inputs hashed again.
    const registry = await writeArtifacts(staging, cal, runs, stress);
    const inputs = await inputsAfter(inputsBefore, cal);
    registry.push(...inputs.map((i) => ({
      path: i.path,
      sha256: i.sha256Before,
      bytes: i.bytes,
      role: `input ${i.role}`,
    })));
    // 4. The report.
    const report: CertificationReport = {
      identification: identify(options, date),
      inputs,
      calibration: flatten(cal),
      gates: runs.map((r) => r.outcome),
      registry: [...registry].sort((a, b) => order(a) - order(b) || cmp(a.path, b.path)),
      chart: registry.some((r) => r.path === CHART) ? CHART : null,
      totalMs: performance.now() - started,
    };
    await Deno.writeTextFile(`${staging}/certification.json`, renderCertificationJson(report));
    await Deno.writeTextFile(`${staging}/CERTIFICATION.md`, renderCertificationMarkdown(report));
    // 5. The report's own proofpack, then publication.
    ctx.progress("report: exporting the proofpack");
    const pack = await exportReportPack(staging, input, registry, extra, options);
    checkInterrupted(options);
    await Deno.remove(scratch, { recursive: true });
    try {
      await owned.publish();
    } catch (error) {
      throw new CertifyError(`Cannot write the report to "${options.out}": ${messageOf(error)}`);
    }
    const verdict = certificationVerdict(report);
    return { pass: verdict.pass && pack.packVerified, out: options.out, report, ...pack };
  } finally {
    await owned.discard(); // after a publish, nothing is left to discard
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

function checkInterrupted(options: CertifyOptions): void {
  if (options.signal?.aborted) throw new CertifyError("Cannot certify: interrupted");
}

/** Runs G0, then G1–G5 when G0 passed (else they are reported as not run). */
async function runGates(
  ctx: Context,
  options: CertifyOptions,
): Promise<{ runs: GateRun[]; stress: StressResult | null }> {
  const runs: GateRun[] = [];
  let stress: StressResult | null = null;
  const gates: Record<GateId, () => Promise<GateRun>> = {
    G0: () => gateG0(ctx),
    G1: () => gateG1(ctx),
    G2: () => gateG2(ctx),
    G3: () => gateG3(ctx),
    G4: async () => {
      const r = await gateG4(ctx, options.stressParallelism ?? 2);
      stress = r.stress;
      return r;
    },
    G5: () => gateG5(ctx),
  };
  for (const id of ["G0", "G1", "G2", "G3", "G4", "G5"] as const) {
    if (id !== "G0" && runs[0]?.outcome.pass !== true) {
      runs.push(failedGate(id, "not run: G0 preflight failed", "G0 PASS", 0));
      continue;
    }
    checkInterrupted(options);
    ctx.progress(`${id} ${GATES[id].name}: running`);
    const result = await timedGate(id, gates[id]);
    runs.push(result);
    ctx.progress(
      `${id} ${GATES[id].name}: ${result.outcome.pass ? "PASS" : "FAIL"} (${
        (result.outcome.ms / 1000).toFixed(1)
      } s)`,
    );
  }
  return { runs, stress };
}

/** A gate's run timed; an error it throws is its failure, with the message as the evidence. */
async function timedGate(id: GateId, fn: () => Promise<GateRun>): Promise<GateRun> {
  const t = performance.now();
  try {
    const r = await fn();
    return { ...r, outcome: { ...r.outcome, ms: performance.now() - t } };
  } catch (error) {
    return failedGate(id, messageOf(error), "no error", performance.now() - t);
  }
}

function failedGate(id: GateId, measured: string, required: string, ms: number): GateRun {
  return {
    outcome: outcome(id, [{ criterion: "gate ran", measured, required, pass: false }], ms),
    evidence: required === "no error" ? { error: measured } : { notRun: "G0 preflight failed" },
  };
}

/** Writes the calibration used, each gate's evidence and the G4 chart into the staging folder. */
async function writeArtifacts(
  staging: string,
  cal: Calibration,
  runs: readonly GateRun[],
  stress: StressResult | null,
): Promise<RegistryEntry[]> {
  const registry: RegistryEntry[] = [];
  const enc = new TextEncoder();
  const put = async (rel: string, bytes: Uint8Array, role: string): Promise<void> => {
    await Deno.writeFile(`${staging}/${rel}`, bytes, { createNew: true });
    registry.push({ path: rel, sha256: await sha256Hex(bytes), bytes: bytes.length, role });
  };
  await put(CALIBRATION_COPY, enc.encode(JSON.stringify(cal, null, 2) + "\n"), "calibration used");
  for (const r of runs) {
    const json = JSON.stringify(r.evidence, null, 2) + "\n";
    await put(r.outcome.evidence, enc.encode(json), `evidence ${r.outcome.id}`);
  }
  if (stress !== null && stress.steps.length > 0) {
    await put(CHART, enc.encode(stressChart(stress)), "G4 chart");
  }
  return registry;
}

/**
 * The G4 chart: per command, the raw timings against the envelope widened by the floor's spread
 * (judged), then each run over its floor (shown).
 */
function stressChart(s: StressResult): string {
  return renderStressChart(
    s.steps.flatMap((st) => [
      {
        name: `${st.name} (raw, envelope widened by the floor's spread)`,
        values: st.values,
        stats: st.stats,
        envelope: st.envelope,
        budgetMs: st.budgetMs,
      },
      {
        name: `${st.name} (each run over its floor)`,
        unit: "x floor",
        values: st.normalized,
        stats: st.normalizedStats,
        envelope: null,
        budgetMs: null,
      },
    ]),
    {
      title:
        `G4 stress: ${s.n} runs per command, raw against the host-relative envelope, and over the floor`,
    },
  );
}

interface InputBefore {
  readonly role: string;
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

async function hashInputs(
  inputs: readonly Omit<InputBefore, "sha256">[],
): Promise<InputBefore[]> {
  return await Promise.all(inputs.map(async (i) => ({ ...i, sha256: await sha256Hex(i.bytes) })));
}

/** The inputs read and hashed again: unchanged when the digests agree. */
async function inputsAfter(
  before: readonly InputBefore[],
  cal: Calibration,
): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for (const input of before) {
    let after: string | null = null;
    try {
      after = await sha256Hex(await readFileBytes(input.path, { calibration: cal }));
    } catch {
      after = null;
    }
    out.push({
      role: input.role,
      path: input.path,
      bytes: input.bytes.length,
      sha256Before: input.sha256,
      sha256After: after,
    });
  }
  return out;
}

/** Exports the staged report as the proofpack `proofpack/` beside it, and verifies that pack. */
async function exportReportPack(
  staging: string,
  input: Workspace,
  registry: readonly RegistryEntry[],
  extra: readonly string[],
  options: CertifyOptions,
): Promise<{ rootDigest: string | null; packVerified: boolean; problems: string[] }> {
  const { signKey, signal } = options;
  const problems: string[] = [];
  const files = [
    "CERTIFICATION.md",
    "certification.json",
    ...registry.filter((r) => !r.role.startsWith("input")).map((r) => r.path),
  ];
  const exported = await confined(
    ["proofpack", "export", "--out", "proofpack", "--bootpack", input.bootpack, "--kb", input.kb]
      .concat(files, signKey === undefined ? [] : ["--sign", signKey], extra),
    [staging],
    { cwd: staging, signal },
  );
  const rootDigest = exported.stdout.match(/\b[0-9A-Fa-f]{64}\b/)?.[0]?.toUpperCase() ?? null;
  if (exported.code !== 0) {
    problems.push(`proofpack export exited ${exported.code}: ${lastLine(exported.stderr)}`);
    return { rootDigest, packVerified: false, problems };
  }
  const verified = await confined(["proofpack", "verify", "proofpack", ...extra], [staging], {
    cwd: staging,
    signal,
  });
  if (verified.code !== 0) {
    problems.push(
      `proofpack verify exited ${verified.code}: ${lastLine(verified.stderr || verified.stdout)}`,
    );
  }
  return { rootDigest, packVerified: verified.code === 0, problems };
}

// ---------------------------------------------------------------------------------------------
// Setup

interface Subject {
  readonly source: ScratchSource;
  readonly kbPath: string;
}

async function reserveOut(out: string): Promise<OwnedDir> {
  try {
    return await OwnedDir.create(out.replace(/[\\/]+$/, ""));
  } catch (error) {
    const why = error instanceof Deno.errors.AlreadyExists
      ? "it exists (certify never writes into or over anything)"
      : messageOf(error);
    throw new CertifyError(`Cannot write the report to "${out}": ${why}`);
  }
}

async function locateSubject(bootpack: string, options: CertifyOptions): Promise<Subject> {
  const cal = options.calibration;
  const read = async (path: string, what: string): Promise<Uint8Array> => {
    try {
      return await readFileBytes(path, { calibration: cal });
    } catch (error) {
      throw new CertifyError(`Cannot certify "${bootpack}": ${what}: ${(error as Error).message}`);
    }
  };
  const bootpackBytes = await read(bootpack, "the BootPack cannot be read");
  const decoded = decodeBootPack(bootpackBytes);
  const pointerPath = decoded.text === null
    ? null
    : parseBootPack(decoded.text).pointer?.path?.value ?? null;
  let kbPath: string;
  if (options.kb !== undefined) kbPath = options.kb;
  else {
    if (pointerPath === null) {
      throw new CertifyError(
        `Cannot certify "${bootpack}": its POINTER has no usable Path; name the KB with --kb FILE`,
      );
    }
    const resolved = resolvePointerPath(pointerPath, {
      maps: options.maps ?? [],
      baseDir: dirname(bootpack),
    });
    if (!resolved.ok) {
      throw new CertifyError(
        `Cannot certify "${bootpack}": ${resolved.reason}; add --map FROM=TO or --kb FILE`,
      );
    }
    kbPath = resolved.path;
  }
  const kbBytes = await read(kbPath, `the KB "${kbPath}" cannot be read`);
  const mapped = pointerPath ?? basename(kbPath);
  if (mapped.includes("=")) {
    throw new CertifyError(
      `Cannot certify "${bootpack}": the POINTER Path "${mapped}" contains "=", which --map cannot express`,
    );
  }
  const source: ScratchSource = {
    bootpackName: basename(bootpack),
    bootpackBytes,
    kbName: basename(kbPath),
    kbBytes,
    pointerPath: mapped,
  };
  return { source, kbPath };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function identify(options: CertifyOptions, date: string): Identification {
  const sys = <T>(fn: () => T, fallback: string): T | string => {
    try {
      return fn();
    } catch {
      return fallback;
    }
  };
  const release = sys(() => Deno.osRelease(), "release unknown");
  return {
    tool: options.tool,
    mode: cliInvocation(["acceptance"]).mode,
    date,
    host: String(sys(() => Deno.hostname(), "unknown (no --allow-sys=hostname)")),
    os: `${Deno.build.os} ${Deno.build.arch} (${release})`,
    cpus: navigator.hardwareConcurrency,
    runtime:
      `deno ${Deno.version.deno}, V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript}`,
    command: options.commandLine ?? "certify",
    calibrationSource: options.calibrationFile ?? "built in (budgets/calibration.json)",
  };
}

function order(r: RegistryEntry): number {
  if (r.role.startsWith("input")) return 0;
  if (r.role === "calibration used") return 1;
  if (r.role.startsWith("evidence")) return 2;
  return 3;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

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
import type { Calibration } from "../core/calibration.ts";
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
import { makeWorkspace, type ScratchSource } from "./scratch_workspace.ts";
import {
  confined,
  type Context,
  flatten,
  gateG0,
  gateG1,
  gateG2,
  gateG3,
  gateG4,
  gateG5,
  type GateRun,
  GATES,
  lastLine,
  outcome,
} from "./_gates.ts";
import { messageOf } from "../core/error.ts";
import { OwnedDir } from "../io/owned_dir.ts";

/** Options of {@linkcode certify}. */
export interface CertifyOptions {
  /** The report's folder; it must not exist, or be an empty folder. */
  readonly out: string;
  /** Thresholds (already validated). */
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
  const cal = options.calibration;
  const progress = options.onProgress ?? (() => {});
  const subject = await locateSubject(bootpack, options);
  const inputsBefore = [
    { role: "BootPack", path: bootpack, bytes: subject.source.bootpackBytes },
    { role: "KB", path: subject.kbPath, bytes: subject.source.kbBytes },
  ];
  const hashesBefore = await Promise.all(inputsBefore.map((i) => sha256Hex(i.bytes)));

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
      : ["--calibration", absolute(options.calibrationFile)];
    const ctx: Context = {
      cal,
      scratch,
      source: subject.source,
      extra,
      progress,
      measurements: [],
      run: (args, o) => confined([...args, ...extra], [scratch], { ...o, signal: options.signal }),
      signal: options.signal,
    };

    const runs: GateRun[] = [];
    const gate = async (id: GateId, fn: () => Promise<GateRun>): Promise<void> => {
      if (options.signal?.aborted) throw new CertifyError("Cannot certify: interrupted");
      progress(`${id} ${GATES[id].name}: running`);
      const t = performance.now();
      let result: GateRun;
      try {
        const r = await fn();
        result = { ...r, outcome: { ...r.outcome, ms: performance.now() - t } };
      } catch (error) {
        const why = messageOf(error);
        result = {
          outcome: outcome(id, [{
            criterion: "gate ran",
            measured: why,
            required: "no error",
            pass: false,
          }], performance.now() - t),
          evidence: { error: why },
        };
      }
      runs.push(result);
      progress(
        `${id} ${GATES[id].name}: ${result.outcome.pass ? "PASS" : "FAIL"} (${
          (result.outcome.ms / 1000).toFixed(1)
        } s)`,
      );
    };

    await gate("G0", () => gateG0(ctx));
    const preflightOk = runs[0]?.outcome.pass === true;
    let stress: StressResult | null = null;
    for (const id of ["G1", "G2", "G3", "G4", "G5"] as const) {
      if (!preflightOk) {
        runs.push({
          outcome: outcome(id, [{
            criterion: "gate ran",
            measured: "not run: G0 preflight failed",
            required: "G0 PASS",
            pass: false,
          }], 0),
          evidence: { notRun: "G0 preflight failed" },
        });
        continue;
      }
      await gate(id, async () => {
        switch (id) {
          case "G1":
            return await gateG1(ctx);
          case "G2":
            return await gateG2(ctx);
          case "G3":
            return await gateG3(ctx);
          case "G4": {
            const r = await gateG4(ctx, options.stressParallelism ?? 2);
            stress = r.stress;
            return r;
          }
          case "G5":
            return await gateG5(ctx);
        }
      });
    }

    if (options.signal?.aborted) throw new CertifyError("Cannot certify: interrupted");
    // Evidence, calibration, chart.
    const registry: RegistryEntry[] = [];
    const put = async (rel: string, bytes: Uint8Array, role: string): Promise<void> => {
      await Deno.writeFile(`${staging}/${rel}`, bytes, { createNew: true });
      registry.push({ path: rel, sha256: await sha256Hex(bytes), bytes: bytes.length, role });
    };
    const enc = new TextEncoder();
    await put(
      CALIBRATION_COPY,
      enc.encode(JSON.stringify(cal, null, 2) + "\n"),
      "calibration used",
    );
    for (const r of runs) {
      await put(
        r.outcome.evidence,
        enc.encode(JSON.stringify(r.evidence, null, 2) + "\n"),
        `evidence ${r.outcome.id}`,
      );
    }
    let chart: string | null = null;
    const s = stress as StressResult | null;
    if (s && s.steps.length > 0) {
      const svg = renderStressChart(
        s.steps.map((st) => ({
          name: st.name,
          values: st.values,
          stats: st.stats,
          envelope: st.envelope,
          budgetMs: st.budgetMs,
        })),
        { title: `G4 stress: ${s.n} runs per command against the variance envelope` },
      );
      await put(CHART, enc.encode(svg), "G4 chart");
      chart = CHART;
    }

    // Inputs after.
    const inputs: InputRecord[] = [];
    for (const [i, input] of inputsBefore.entries()) {
      let after: string | null = null;
      try {
        after = await sha256Hex(await readFileBytes(input.path, { calibration: cal }));
      } catch {
        after = null;
      }
      inputs.push({
        role: input.role,
        path: input.path,
        bytes: input.bytes.length,
        sha256Before: hashesBefore[i]!,
        sha256After: after,
      });
      registry.push({
        path: input.path,
        sha256: hashesBefore[i]!,
        bytes: input.bytes.length,
        role: `input ${input.role}`,
      });
    }

    const report: CertificationReport = {
      identification: identify(options, date),
      inputs,
      calibration: flatten(cal),
      gates: runs.map((r) => r.outcome),
      registry: [...registry].sort((a, b) => order(a) - order(b) || cmp(a.path, b.path)),
      chart,
      totalMs: performance.now() - started,
    };
    await Deno.writeTextFile(`${staging}/certification.json`, renderCertificationJson(report));
    await Deno.writeTextFile(`${staging}/CERTIFICATION.md`, renderCertificationMarkdown(report));

    // The report's own proofpack.
    progress("report: exporting the proofpack");
    const problems: string[] = [];
    const files = [
      "CERTIFICATION.md",
      "certification.json",
      ...registry.filter((r) => !r.role.startsWith("input")).map((r) => r.path),
    ];
    const exported = await confined(
      [
        "proofpack",
        "export",
        "--out",
        "proofpack",
        "--bootpack",
        input.bootpack,
        "--kb",
        input.kb,
        ...files,
        ...extra,
      ],
      [staging],
      { cwd: staging, signal: options.signal },
    );
    const rootDigest = exported.stdout.match(/\b[0-9A-Fa-f]{64}\b/)?.[0]?.toUpperCase() ?? null;
    let packVerified = false;
    if (exported.code !== 0) {
      problems.push(`proofpack export exited ${exported.code}: ${lastLine(exported.stderr)}`);
    } else {
      const verified = await confined(["proofpack", "verify", "proofpack", ...extra], [staging], {
        cwd: staging,
        signal: options.signal,
      });
      packVerified = verified.code === 0;
      if (!packVerified) {
        problems.push(
          `proofpack verify exited ${verified.code}: ${
            lastLine(verified.stderr || verified.stdout)
          }`,
        );
      }
    }
    if (options.signal?.aborted) throw new CertifyError("Cannot certify: interrupted");
    await Deno.remove(scratch, { recursive: true });
    try {
      await owned.publish();
    } catch (error) {
      throw new CertifyError(`Cannot write the report to "${options.out}": ${messageOf(error)}`);
    }
    const verdict = certificationVerdict(report);
    return {
      pass: verdict.pass && packVerified,
      out: options.out,
      report,
      rootDigest,
      packVerified,
      problems,
    };
  } finally {
    await owned.discard(); // after a publish, nothing is left to discard
  }
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

function absolute(path: string): string {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) ? path : `${Deno.cwd()}/${path}`;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

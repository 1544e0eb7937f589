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

import { decodeBootPack, parseBootPack } from "./bootpack_parse.ts";
import { evaluateBudgets, type Measurement } from "./budget.ts";
import type { Calibration } from "./calibration.ts";
import { chaosCommands, type ChaosMatrixResult, runChaosMatrix } from "./chaos_matrix.ts";
import {
  cliInvocation,
  type CliProcessResult,
  COMMAND_PERMISSIONS,
  narrowWrite,
  runCliProcess,
  type RunCliProcessOptions,
} from "./cli_process.ts";
import {
  type CertificationReport,
  certificationVerdict,
  type GateCriterion,
  type GateId,
  type GateOutcome,
  type Identification,
  type InputRecord,
  type RegistryEntry,
  renderCertificationJson,
  renderCertificationMarkdown,
} from "./certify_report.ts";
import { readFileBytes } from "./file_read.ts";
import { parseKb } from "./kb_parse.ts";
import { type PathMapping, resolvePointerPath } from "./pointer_path.ts";
import { sha256Hex } from "./sha256.ts";
import { runStress, type StressResult } from "./stress.ts";
import { renderStressChart } from "./svg_chart.ts";
import {
  copyTree,
  makeWorkspace,
  normalizeOutput,
  type ScratchSource,
  treeDiff,
  treeDigest,
  type Workspace,
} from "./scratch_workspace.ts";

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

interface GateRun {
  readonly outcome: GateOutcome;
  readonly evidence: unknown;
}

const GATES: Readonly<Record<GateId, { name: string; proves: string; file: string }>> = {
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
      "STRESS_N runs: identical output (hard pass), within budget (soft pass), timings inside the variance envelope",
    file: "evidence/G4_stress.json",
  },
  G5: {
    name: "Proofpack",
    proves: "Export then verify succeeds, and tampered copies fail verification",
    file: "evidence/G5_proofpack.json",
  },
};

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
 * import { DEFAULT_CALIBRATION } from "./calibration.ts";
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
  await checkOutFree(options.out);
  const subject = await locateSubject(bootpack, options);
  const inputsBefore = [
    { role: "BootPack", path: bootpack, bytes: subject.source.bootpackBytes },
    { role: "KB", path: subject.kbPath, bytes: subject.source.kbBytes },
  ];
  const hashesBefore = await Promise.all(inputsBefore.map((i) => sha256Hex(i.bytes)));

  const scratch = await Deno.makeTempDir({ prefix: "bootpack_certify_" });
  const staging = `${options.out.replace(/[\\/]+$/, "")}.partial-${crypto.randomUUID()}`;
  try {
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
        const why = error instanceof Error ? error.message : String(error);
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
      { cwd: staging },
    );
    const rootDigest = exported.stdout.match(/\b[0-9A-Fa-f]{64}\b/)?.[0]?.toUpperCase() ?? null;
    let packVerified = false;
    if (exported.code !== 0) {
      problems.push(`proofpack export exited ${exported.code}: ${lastLine(exported.stderr)}`);
    } else {
      const verified = await confined(["proofpack", "verify", "proofpack", ...extra], [staging], {
        cwd: staging,
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
    await publish(staging, options.out);
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
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs a command of the CLI as a process with its task's permissions, write permission narrowed
 * to `writable`: a command run by `certify` cannot write the user's files even if it tried.
 */
function confined(
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
// Setup

interface Subject {
  readonly source: ScratchSource;
  readonly kbPath: string;
}

async function checkOutFree(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(out);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new CertifyError(`Cannot write the report to "${out}": ${(error as Error).message}`);
  }
  if (!info.isDirectory) {
    throw new CertifyError(`Cannot write the report to "${out}": it exists and is not a folder`);
  }
  for await (const _ of Deno.readDir(out)) {
    throw new CertifyError(`Cannot write the report to "${out}": the folder is not empty`);
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
// Gates

interface Context {
  readonly cal: Calibration;
  readonly scratch: string;
  readonly source: ScratchSource;
  readonly extra: readonly string[];
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

function outcome(id: GateId, criteria: GateCriterion[], ms: number): GateOutcome {
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

interface ProcessRecord {
  readonly args: readonly string[];
  readonly code: number;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

function record(args: readonly string[], r: CliProcessResult, ws: Workspace | null): ProcessRecord {
  const norm = (t: string): string => (ws ? normalizeOutput(t, ws.dir) : t);
  return {
    args: args.map(norm),
    code: r.code,
    ms: round(r.ms),
    stdout: norm(r.stdout),
    stderr: norm(r.stderr),
  };
}

async function gateG0(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g0", ctx.source);
  const inv = cliInvocation(["acceptance"]);
  const records: ProcessRecord[] = [];
  const criteria: GateCriterion[] = [
    {
      criterion: "runtime",
      measured:
        `deno ${Deno.version.deno}, V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript} (${inv.mode})`,
      required: "a Deno runtime that runs the CLI",
      pass: true,
    },
    {
      criterion: "calibration",
      measured: `${Object.keys(flatten(ctx.cal)).length} keys, every one set`,
      required: "no null, missing, unknown or mistyped key",
      pass: true,
    },
  ];
  for (const command of ["acceptance", "selftest"] as const) {
    const args = [command, ws.bootpack, "--map", ws.map];
    const r = await ctx.run(args);
    records.push(record(args, r, ws));
    if (r.code === 0) ctx.measurements.push({ operation: command, ms: r.ms });
    criteria.push({
      criterion: `${command} on a copy of the BootPack`,
      measured: `exit ${r.code}: ${verdictLine(normalizeOutput(r.stdout, ws.dir))}`,
      required: "exit 0, [PASS]",
      pass: r.code === 0 && /^\[PASS\] /m.test(r.stdout),
    });
  }
  return {
    outcome: outcome("G0", criteria, 0),
    evidence: { gate: "G0", mode: inv.mode, runs: records },
  };
}

async function gateG1(ctx: Context): Promise<GateRun> {
  const n = ctx.cal.concurrency_writers;
  const ws = await makeWorkspace(ctx.scratch, "g1", ctx.source);
  const entriesDir = `${ctx.scratch}/g1_entries`;
  await Deno.mkdir(entriesDir);
  const ids = Array.from({ length: n }, (_, i) => `CERTIFY-G1-${String(i + 1).padStart(3, "0")}`);
  for (const id of ids) {
    const entry = { id, title: `certify G1 writer ${id}`, blocking: false };
    await Deno.writeTextFile(`${entriesDir}/${id}.json`, JSON.stringify(entry, null, 2) + "\n");
  }
  const before = await treeDigest(ws.dir, ctx.cal);
  const kbBefore = parseKbBytes(ctx.source.kbBytes);
  const criteria: GateCriterion[] = [];

  // N ingest processes at once.
  const ingestArgs = ids.map((
    id,
  ) => ["ingest", "--kb", ws.kb, "--entry", `${entriesDir}/${id}.json`]);
  const ingests = await Promise.all(ingestArgs.map((a) => ctx.run(a)));
  const afterIngest = await treeDigest(ws.dir, ctx.cal);
  const ok = ingests.filter((r) => r.code === 0).length;
  criteria.push({
    criterion: `${n} parallel ingest processes (concurrency_writers)`,
    measured: `${ok}/${n} exit 0`,
    required: `${n}/${n} exit 0`,
    pass: ok === n,
  });
  const kbAfter = parseKbBytes(await readFileBytes(ws.kb, { calibration: ctx.cal }));
  criteria.push({
    criterion: "KB valid after the writers",
    measured: kbAfter.ok ? `valid, ${kbAfter.ids.length} entries` : `INVALID: ${kbAfter.why}`,
    required: "valid KB JSON",
    pass: kbAfter.ok,
  });
  const counts = ids.map((id) => kbAfter.ids.filter((x) => x === id).length);
  const once = counts.filter((c) => c === 1).length;
  const kept = kbBefore.ids.every((id) => kbAfter.ids.includes(id));
  criteria.push({
    criterion: "every new entry present exactly once, every old entry kept",
    measured:
      `${once}/${n} new entries once; ${kbAfter.ids.length} entries (was ${kbBefore.ids.length}); old entries ${
        kept ? "kept" : "LOST"
      }`,
    required: `${n}/${n}; ${kbBefore.ids.length + n} entries; old entries kept`,
    pass: once === n && kept && kbAfter.ids.length === kbBefore.ids.length + n,
  });
  const ingestLeft = treeDiff(before, afterIngest).filter((d) => !d.startsWith("~ "));
  criteria.push({
    criterion: "residual locks and temporary files after the ingests",
    measured: ingestLeft.length === 0 ? "0" : `${ingestLeft.length}: ${ingestLeft.join(", ")}`,
    required: "0",
    pass: ingestLeft.length === 0,
  });

  // N rebuild processes at once, then a clean rebuild must change nothing.
  const rebuildArgs = ["rebuild", ws.bootpack, "--kb", ws.kb];
  const rebuilds = await Promise.all(ids.map(() => ctx.run(rebuildArgs)));
  const rebuiltOk = rebuilds.filter((r) => r.code === 0).length;
  const afterRebuilds = await treeDigest(ws.dir, ctx.cal);
  const again = await ctx.run(rebuildArgs);
  const afterAgain = await treeDigest(ws.dir, ctx.cal);
  const acceptanceArgs = ["acceptance", ws.bootpack, "--map", ws.map];
  const acceptance = await ctx.run(acceptanceArgs);
  criteria.push({
    criterion: `${n} parallel rebuild processes`,
    measured: `${rebuiltOk}/${n} exit 0`,
    required: `${n}/${n} exit 0`,
    pass: rebuiltOk === n,
  });
  const idempotent = again.code === 0 && treeDiff(afterRebuilds, afterAgain).length === 0;
  criteria.push({
    criterion: "BootPack after the parallel rebuilds equals a clean rebuild",
    measured: idempotent
      ? "identical"
      : `differs (exit ${again.code}): ${treeDiff(afterRebuilds, afterAgain).join(", ")}`,
    required: "identical",
    pass: idempotent,
  });
  const upToDate = acceptance.code === 0 && /BootPack up to date/.test(acceptance.stdout) &&
    new RegExp(`^entries=${kbBefore.ids.length + n}\\|`, "m").test(acceptance.stdout);
  criteria.push({
    criterion: "acceptance after the writers",
    measured: `exit ${acceptance.code}: ${verdictLine(normalizeOutput(acceptance.stdout, ws.dir))}`,
    required: `[PASS], ${kbBefore.ids.length + n} entries, BootPack up to date`,
    pass: upToDate,
  });
  const rebuildLeft = treeDiff(before, afterAgain).filter((d) => !d.startsWith("~ "));
  criteria.push({
    criterion: "residual locks and temporary files after the rebuilds",
    measured: rebuildLeft.length === 0 ? "0" : `${rebuildLeft.length}: ${rebuildLeft.join(", ")}`,
    required: "0",
    pass: rebuildLeft.length === 0,
  });
  return {
    outcome: outcome("G1", criteria, 0),
    evidence: {
      gate: "G1",
      writers: n,
      files_before: before,
      files_after: afterAgain,
      ingest: ingests.map((r, i) => record(ingestArgs[i]!, r, ws)),
      rebuild: rebuilds.map((r) => record(rebuildArgs, r, ws)),
      clean_rebuild: record(rebuildArgs, again, ws),
      acceptance: record(acceptanceArgs, acceptance, ws),
    },
  };
}

async function gateG2(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g2", ctx.source);
  const entry = `${ctx.scratch}/g2_entry.json`;
  await Deno.writeTextFile(
    entry,
    JSON.stringify({ id: "CERTIFY-G2-BUDGET", title: "certify G2 probe", blocking: false }) + "\n",
  );
  const pack = `${ctx.scratch}/g2_pack`;
  const steps: [string, string[]][] = [
    ["acceptance", ["acceptance", ws.bootpack, "--map", ws.map]],
    ["selftest", ["selftest", ws.bootpack, "--map", ws.map]],
    ["ingest", ["ingest", "--kb", ws.kb, "--entry", entry]],
    ["rebuild", ["rebuild", ws.bootpack, "--kb", ws.kb]],
    ["proofpack_export", [
      "proofpack",
      "export",
      "--out",
      pack,
      "--bootpack",
      ws.bootpack,
      "--kb",
      ws.kb,
    ]],
    ["proofpack_verify", ["proofpack", "verify", pack]],
  ];
  const records: (ProcessRecord & { operation: string })[] = [];
  const measurements: Measurement[] = [...ctx.measurements];
  for (const [operation, args] of steps) {
    const r = await ctx.run(args);
    records.push({ operation, ...record(args, r, ws) });
    if (r.code === 0) measurements.push({ operation, ms: r.ms });
  }
  const report = evaluateBudgets(measurements, ctx.cal.budgets_ms);
  const criteria: GateCriterion[] = [{
    criterion: "calibration (budgets/calibration.json schema)",
    measured: `${Object.keys(flatten(ctx.cal)).length} keys, 0 null`,
    required: "every key set: no null, missing, unknown or mistyped key (CALIBRATION_*)",
    pass: true,
  }];
  for (const r of report.results) {
    const failed = records.find((x) => x.operation === r.operation && x.code !== 0);
    criteria.push({
      criterion: `${r.operation}: slowest run`,
      measured: r.maxMs === null
        ? (failed
          ? `not measured: exit ${failed.code}: ${lastLine(failed.stderr || failed.stdout)}`
          : "not measured")
        : `${r.maxMs.toFixed(1)} ms over ${r.samples} run${r.samples === 1 ? "" : "s"}`,
      required: r.budgetMs === null ? `a budget (${r.status})` : `<= ${r.budgetMs} ms (${r.key})`,
      pass: r.pass,
    });
  }
  return {
    outcome: outcome("G2", criteria, 0),
    evidence: { gate: "G2", budgets: report.results, runs: records },
  };
}

async function gateG3(ctx: Context): Promise<GateRun> {
  const commands = chaosCommands(ctx.cal);
  const result: ChaosMatrixResult = await runChaosMatrix(commands, {
    calibration: ctx.cal,
    scratch: ctx.scratch,
    source: ctx.source,
    extraArgs: ctx.extra,
    run: (args, o) => confined(args, [ctx.scratch], { ...o, signal: ctx.signal }),
    onCell: (cell, done, total) => {
      const unjudged = cell.message.startsWith("not run:");
      if ((!cell.judgement.pass && !unjudged) || done % 6 === 0 || done === total) {
        ctx.progress(
          `G3 Chaos: ${done}/${total} (${cell.command} ${cell.mode}: ${
            cell.judgement.pass ? "fail-closed" : "FAIL: " + cell.judgement.reason
          })`,
        );
      }
    },
  });
  const criteria: GateCriterion[] = [];
  for (const ref of result.references) {
    criteria.push({
      criterion: `${ref.command} without chaos (reference)`,
      measured: `exit ${ref.code}${
        ref.code === 0 ? "" : ": " + lastLine(ref.stderr || ref.stdout)
      }`,
      required: "exit 0",
      pass: ref.code === 0,
    });
  }
  for (const c of commands) {
    const cells = result.cells.filter((x) => x.command === c.name);
    const bad = cells.filter((x) => !x.judgement.pass);
    criteria.push({
      criterion: `${c.name}: fail-closed under every mode`,
      measured: `${cells.length - bad.length}/${cells.length}` +
        (bad.length ? `; ${bad.map((b) => `${b.mode}: ${b.judgement.reason}`).join("; ")}` : ""),
      required:
        `${cells.length}/${cells.length} (block and files unchanged; LATENCY: the right answer)`,
      pass: bad.length === 0 && cells.length > 0,
    });
  }
  const reported = result.cells.filter((c) => c.judgement.attempts !== null);
  const maxAttempts = Math.max(0, ...reported.map((c) => c.judgement.attempts!));
  criteria.push({
    criterion: "retries bounded",
    measured: `at most ${maxAttempts} attempts reported (${reported.length} cells report a count)`,
    required: `<= ${ctx.cal.retry_count + 1} (1 + retry_count); CORRUPT never retried`,
    pass: maxAttempts <= ctx.cal.retry_count + 1 && reported.length > 0,
  });
  const writerCells = result.cells.filter((c) =>
    commands.find((x) => x.name === c.command)?.writes
  );
  const partial = writerCells.filter((c) => c.judgement.fileChanges.length > 0);
  criteria.push({
    criterion: "no partial write (writers under chaos)",
    measured: `${
      writerCells.length - partial.length
    }/${writerCells.length} cells left the old files or the right new ones`,
    required: `${writerCells.length}/${writerCells.length}`,
    pass: partial.length === 0 && writerCells.length > 0,
  });
  return {
    outcome: outcome("G3", criteria, 0),
    evidence: {
      gate: "G3",
      retry_count: ctx.cal.retry_count,
      io_timeout_ms: ctx.cal.io_timeout_ms,
      references: result.references,
      cells: result.cells.map((c) => ({ ...c, ms: round(c.ms) })),
    },
  };
}

async function gateG4(
  ctx: Context,
  parallelism: number,
): Promise<GateRun & { stress: StressResult }> {
  const ws = await makeWorkspace(ctx.scratch, "g4", ctx.source);
  const total = ctx.cal.STRESS_N;
  const every = Math.max(1, Math.round(total / 10));
  const stress = await runStress(
    [
      { name: "acceptance", args: ["acceptance", ws.bootpack, "--map", ws.map, ...ctx.extra] },
      { name: "selftest", args: ["selftest", ws.bootpack, "--map", ws.map, ...ctx.extra] },
    ],
    {
      calibration: ctx.cal,
      parallelism,
      run: (args) => confined(args, [ctx.scratch], { signal: ctx.signal }),
      onProgress: ({ done }) => {
        if (done % every === 0 || done === total) ctx.progress(`G4 Stress: ${done}/${total}`);
      },
    },
  );
  const criteria: GateCriterion[] = stress.criteria.map((c) => ({
    criterion: c.name,
    measured: c.measured,
    required: c.required,
    pass: c.pass,
  }));
  for (const s of stress.steps) {
    criteria.push({
      criterion: `${s.name}: mean ± sd (p50, p95)`,
      measured: `${s.stats.mean.toFixed(1)} ± ${s.stats.sd.toFixed(1)} ms (p50 ${
        s.stats.p50.toFixed(1)
      }, p95 ${s.stats.p95.toFixed(1)})`,
      required: `inside mean ± ${ctx.cal.variance_envelope.max_cv}·mean; p95 <= ${
        s.envelope.p95Limit.toFixed(1)
      } ms`,
      pass: s.envelope.pass,
    });
  }
  return {
    stress,
    outcome: outcome("G4", criteria, 0),
    evidence: {
      gate: "G4",
      n: stress.n,
      parallelism,
      hard_pass_rate: stress.hardPassRate,
      soft_pass_rate: stress.softPassRate,
      hard_failures: stress.hardFailures,
      steps: stress.steps.map((s) => ({
        name: s.name,
        budget_ms: s.budgetMs,
        stats: s.stats,
        cv: s.envelope.cv,
        p95_over_p50: s.envelope.p95OverP50,
        envelope: s.envelope,
        reference: { code: s.reference.code, stdout: normalizeOutput(s.reference.stdout, ws.dir) },
        ms: s.values.map(round),
      })),
    },
  };
}

async function gateG5(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g5", ctx.source);
  const pack = `${ctx.scratch}/g5_pack`;
  const records: ProcessRecord[] = [];
  const criteria: GateCriterion[] = [];
  const exportArgs = [
    "proofpack",
    "export",
    "--out",
    pack,
    "--bootpack",
    ws.bootpack,
    "--kb",
    ws.kb,
  ];
  const exported = await ctx.run(exportArgs);
  records.push(record(exportArgs, exported, ws));
  const digest = exported.stdout.match(/\b[0-9A-Fa-f]{64}\b/)?.[0] ?? null;
  criteria.push({
    criterion: "export",
    measured: `exit ${exported.code}${
      digest ? `, root digest ${digest.toUpperCase()}` : ", no root digest printed"
    }`,
    required: "exit 0 and a root digest",
    pass: exported.code === 0 && digest !== null,
  });
  const verify = async (dir: string): Promise<CliProcessResult> => {
    const args = ["proofpack", "verify", dir];
    const r = await ctx.run(args);
    records.push(record(args, r, ws));
    return r;
  };
  const clean = await verify(pack);
  criteria.push({
    criterion: "verify the exported pack",
    measured: `exit ${clean.code}: ${lastLine(clean.stdout || clean.stderr)}`,
    required: "exit 0",
    pass: clean.code === 0,
  });
  if (exported.code === 0) {
    const files = Object.keys(await treeDigest(pack, ctx.cal));
    const target = files.find((f) => f.startsWith("evidence/")) ??
      files.find((f) => f !== "MANIFEST.json");
    const tampers: [string, (dir: string) => Promise<string>][] = [
      ["a modified file", async (dir) => {
        const bytes = await readFileBytes(`${dir}/${target}`, { calibration: ctx.cal });
        const copy = bytes.slice();
        const i = Math.floor(copy.length / 2);
        copy[i] = copy[i] === 0x41 ? 0x42 : 0x41;
        await Deno.writeFile(`${dir}/${target}`, copy);
        return target!;
      }],
      ["a missing file", async (dir) => {
        await Deno.remove(`${dir}/${target}`);
        return target!;
      }],
      ["an extra file", async (dir) => {
        await Deno.writeTextFile(`${dir}/evidence/extra.txt`, "not in the manifest\n");
        return "evidence/extra.txt";
      }],
    ];
    for (const [i, [what, tamper]] of tampers.entries()) {
      const dir = `${ctx.scratch}/g5_tampered_${i}`;
      await copyTree(pack, dir, ctx.cal);
      const path = target === undefined ? "(nothing to tamper with)" : await tamper(dir);
      const r = await verify(dir);
      const named = (r.stdout + r.stderr).includes(path);
      criteria.push({
        criterion: `verify a copy with ${what} (${path})`,
        measured: `exit ${r.code}${named ? ", names the file" : ", does not name the file"}`,
        required: "exit 1, naming the file",
        pass: r.code === 1 && named,
      });
    }
  }
  return { outcome: outcome("G5", criteria, 0), evidence: { gate: "G5", runs: records } };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function parseKbBytes(bytes: Uint8Array): { ok: boolean; ids: string[]; why: string } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, ids: [], why: "not valid UTF-8" };
  }
  const parsed = parseKb(text);
  if (!parsed.ok) return { ok: false, ids: [], why: parsed.diagnostic.message };
  return { ok: true, ids: parsed.kb.entries.map((e) => String(e["id"])), why: "" };
}

async function publish(staging: string, out: string): Promise<void> {
  try {
    await Deno.remove(out); // an empty folder, checked at the start
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.rename(staging, out);
}

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

function flatten(value: object, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "object" && v !== null) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[prefix + k] = v as number;
  }
  return out;
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

function verdictLine(stdout: string): string {
  return stdout.split("\n").find((l) => /^\[(PASS|GATE-BLOCK)\]/.test(l)) ?? lastLine(stdout);
}

function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1) ?? "";
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
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

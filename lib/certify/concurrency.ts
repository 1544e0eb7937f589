/**
 * Gate G1, concurrency (SPEC §7): `writers` `ingest` processes at once on one KB, then the checks:
 * every writer exited 0, the KB is valid, every new entry is present exactly once and every old
 * one kept, and no lock, temporary or other new file is left in the folder. Given a BootPack, as
 * many `rebuild` processes at once follow, then a clean rebuild (which must change nothing) and
 * `acceptance` (which must pass, up to date, with every entry). The one implementation of G1:
 * `certify` and `scripts/concurrency.ts` both call {@linkcode runConcurrencyGate}, and every
 * process is built by `cli_process.ts`.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { messageOf } from "../core/error.ts";
import { basename } from "../core/path.ts";
import { readFileBytes } from "../io/file_read.ts";
import { isTempFileName } from "../io/atomic_write.ts";
import { decodeUtf8 } from "../core/utf8.ts";
import { parseKb } from "../bootpack/kb_parse.ts";
import { type CliProcessResult, runCliProcess } from "./cli_process.ts";
import type { GateCriterion } from "./report.ts";
import { treeDiff, treeDigest } from "./scratch_workspace.ts";
import { lastLine, verdictLine } from "./_output_lines.ts";

/** Runs one CLI process (the command first), with bytes on stdin when given. */
export type ConcurrencyRunner = (
  args: readonly string[],
  options: { readonly stdin?: Uint8Array },
) => Promise<CliProcessResult>;

/** Options of {@linkcode runConcurrencyGate}. */
export interface ConcurrencyGateOptions {
  /** The folder the KB (and BootPack) live in: it is checked for files left behind. */
  readonly dir: string;
  /** The KB the writers add to (inside `dir`). */
  readonly kb: string;
  /** Parallel writer processes. Default: calibration `concurrency_writers`. */
  readonly writers?: number;
  /** Thresholds, for the gate's own reads and the default `writers`. */
  readonly calibration: Calibration;
  /** When given, the parallel rebuilds, the clean rebuild and acceptance run too. */
  readonly bootpack?: { readonly path: string; readonly map: string };
  /** Arguments added to every command (e.g. `--calibration FILE`). Default none. */
  readonly extraArgs?: readonly string[];
  /** Runs a process. Default {@linkcode runCliProcess} with the command's task permissions. */
  readonly run?: ConcurrencyRunner;
  /** Prefix of the new entries' ids. Default `G1-<random>`. */
  readonly idPrefix?: string;
  /** Called as the writers finish. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@linkcode runConcurrencyGate} found (the JSON report of `deno task concurrency`). */
export interface ConcurrencyReport {
  /** `G1`. */
  readonly gate: "G1";
  /** Every check passed. */
  readonly pass: boolean;
  /** Writer processes started. */
  readonly writers: number;
  /** Writers that exited 0. */
  readonly writers_ok: number;
  /** Entries before the run. */
  readonly entries_before: number;
  /** Entries after the run (`null` when the KB is not valid). */
  readonly entries_after: number | null;
  /** Ids (new or old) missing from the KB. */
  readonly missing: readonly string[];
  /** Ids present more than once. */
  readonly duplicated: readonly string[];
  /** The KB parses as a KB. */
  readonly kb_valid: boolean;
  /** Lock files in the folder at the end. */
  readonly residual_locks: number;
  /** Temporary files in the folder at the end. */
  readonly residual_temp_files: number;
  /** Files that appeared in the folder, besides locks and temporary files. */
  readonly new_files: readonly string[];
  /** Wall time of the writers, in ms. */
  readonly elapsed_ms: number;
  /** First failures of writers: exit code and last stderr line. */
  readonly failures: readonly { writer: number; code: number; message: string }[];
}

/** Result of {@linkcode runConcurrencyGate}. */
export interface ConcurrencyGateResult {
  /** Every criterion met. */
  readonly pass: boolean;
  /** The criteria, measured. */
  readonly criteria: readonly GateCriterion[];
  /** The writers' figures. */
  readonly report: ConcurrencyReport;
  /** Every process run: arguments, exit code, time, output. */
  readonly processes: readonly { args: readonly string[]; result: CliProcessResult }[];
}

/**
 * Runs gate G1 on a KB in a scratch folder (never the user's: it is written).
 *
 * @param options Folder, KB, writers, BootPack for the rebuild phase, runner.
 * @returns The criteria, the report and every process.
 * @throws {RangeError} When `writers` is not an integer >= 1.
 * @throws {SyntaxError} When the KB is not a valid KB before the run.
 * @example
 * ```ts ignore
 * import { runConcurrencyGate } from "./concurrency.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/kb.json`, '[{"id": "A", "title": "a"}]\n');
 * const r = await runConcurrencyGate({ dir, kb: `${dir}/kb.json`, calibration: DEFAULT_CALIBRATION });
 * if (!r.pass) throw new Error(JSON.stringify(r.criteria));
 * ```
 */
export async function runConcurrencyGate(
  options: ConcurrencyGateOptions,
): Promise<ConcurrencyGateResult> {
  const writers = options.writers ?? options.calibration.concurrency_writers;
  if (!Number.isSafeInteger(writers) || writers < 1) {
    throw new RangeError(`Cannot run G1 with "${writers}" writers: expected an integer >= 1`);
  }
  const run = runnerOf(options);
  const before = await treeDigest(options.dir, options.calibration);
  const kbBefore = await readKb(options);
  if (!kbBefore.ok) throw new SyntaxError(`Cannot run G1 on "${options.kb}": ${kbBefore.why}`);
  const prefix = options.idPrefix ?? `G1-${crypto.randomUUID().slice(0, 8)}`;
  const ids = Array.from({ length: writers }, (_, i) => `${prefix}-${i + 1}`);
  const processes: { args: readonly string[]; result: CliProcessResult }[] = [];

  const started = performance.now();
  const ingests = await ingestAll(ids, run, options);
  const elapsed = Math.round(performance.now() - started);
  processes.push(...ingests);
  const { report, left } = await writersReport(
    ids,
    kbBefore.ids,
    ingests,
    before,
    elapsed,
    options,
  );
  const criteria = writerCriteria(report, kbBefore.ids.length, left);
  if (options.bootpack !== undefined) {
    const phase = await rebuildPhase(options.bootpack, writers, kbBefore.ids.length, run, options);
    processes.push(...phase.processes);
    criteria.push(...phase.criteria);
    const left = await leftBehind(before, options);
    criteria.push(residualCriterion("after the rebuilds", left));
  }
  const pass = criteria.every((c) => c.pass);
  return { pass, criteria, report: { ...report, pass }, processes };
}

function runnerOf(options: ConcurrencyGateOptions): ConcurrencyRunner {
  const extra = options.extraArgs ?? [];
  const run = options.run ??
    ((args, o) => runCliProcess(args, o.stdin === undefined ? {} : { stdin: o.stdin }));
  return (args, o) => run([...args, ...extra], o);
}

async function ingestAll(
  ids: readonly string[],
  run: ConcurrencyRunner,
  options: ConcurrencyGateOptions,
): Promise<{ args: readonly string[]; result: CliProcessResult }[]> {
  let finished = 0;
  const enc = new TextEncoder();
  return await Promise.all(ids.map(async (id, i) => {
    const args = ["ingest", "--kb", options.kb, "--entry", "-"];
    const entry = { id, title: `G1 writer ${i + 1}`, blocking: false };
    const result = await run(args, { stdin: enc.encode(JSON.stringify(entry) + "\n") });
    options.onProgress?.(++finished, ids.length);
    return { args, result };
  }));
}

interface KbRead {
  readonly ok: boolean;
  readonly ids: readonly string[];
  readonly why: string;
}

async function readKb(options: ConcurrencyGateOptions): Promise<KbRead> {
  let text: string | null;
  try {
    text = decodeUtf8(await readFileBytes(options.kb, { calibration: options.calibration }));
  } catch (error) {
    return { ok: false, ids: [], why: messageOf(error) };
  }
  if (text === null) return { ok: false, ids: [], why: "not valid UTF-8" };
  const parsed = parseKb(text);
  if (!parsed.ok) return { ok: false, ids: [], why: parsed.diagnostic.message };
  return { ok: true, ids: parsed.kb.entries.map((e) => String(e["id"])), why: "" };
}

interface Left {
  readonly locks: string[];
  readonly temps: string[];
  readonly others: string[];
}

async function leftBehind(
  before: Readonly<Record<string, string>>,
  options: ConcurrencyGateOptions,
): Promise<Left> {
  const after = await treeDigest(options.dir, options.calibration);
  const paths = Object.keys(after);
  const locks = paths.filter((p) => p.endsWith(".lock"));
  const temps = paths.filter((p) => isTempFileName(basename(p)));
  const others = treeDiff(before, after).filter((d) => d.startsWith("+ ")).map((d) => d.slice(2))
    .filter((p) => !locks.includes(p) && !temps.includes(p));
  return { locks, temps, others };
}

async function writersReport(
  ids: readonly string[],
  oldIds: readonly string[],
  ingests: readonly { result: CliProcessResult }[],
  before: Readonly<Record<string, string>>,
  elapsed: number,
  options: ConcurrencyGateOptions,
): Promise<{ report: ConcurrencyReport; left: Left }> {
  const after = await readKb(options);
  const counts = new Map<string, number>();
  for (const id of after.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const left = await leftBehind(before, options);
  const failures = ingests.flatMap(({ result }, i) =>
    result.code === 0
      ? []
      : [{ writer: i + 1, code: result.code, message: lastLine(result.stderr) }]
  );
  const report: ConcurrencyReport = {
    gate: "G1",
    pass: false, // set by the caller from every criterion
    writers: ids.length,
    writers_ok: ids.length - failures.length,
    entries_before: oldIds.length,
    entries_after: after.ok ? after.ids.length : null,
    missing: [...ids, ...oldIds].filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    kb_valid: after.ok,
    residual_locks: left.locks.length,
    residual_temp_files: left.temps.length,
    new_files: left.others,
    elapsed_ms: elapsed,
    failures: failures.slice(0, 10),
  };
  return { report, left };
}

function writerCriteria(r: ConcurrencyReport, oldCount: number, left: Left): GateCriterion[] {
  const n = r.writers;
  const want = oldCount + n;
  const once = r.missing.length === 0 && r.duplicated.length === 0 && r.entries_after === want;
  return [
    {
      criterion: `${n} parallel ingest processes (concurrency_writers)`,
      measured: `${r.writers_ok}/${n} exit 0` +
        (r.failures.length
          ? `; ${r.failures.map((f) => `#${f.writer}: ${f.message}`).join("; ")}`
          : ""),
      required: `${n}/${n} exit 0`,
      pass: r.writers_ok === n,
    },
    {
      criterion: "KB valid after the writers",
      measured: r.kb_valid ? `valid, ${r.entries_after} entries` : "INVALID",
      required: "valid KB JSON",
      pass: r.kb_valid,
    },
    {
      criterion: "every new entry present exactly once, every old entry kept",
      measured: `${
        r.entries_after ?? "no"
      } entries (was ${oldCount}); missing ${r.missing.length}, duplicated ${r.duplicated.length}`,
      required: `${want} entries; none missing or duplicated`,
      pass: once,
    },
    residualCriterion("after the ingests", left),
  ];
}

function residualCriterion(when: string, left: Left): GateCriterion {
  const all = [...left.locks, ...left.temps, ...left.others];
  return {
    criterion: `residual locks, temporary and other new files ${when}`,
    measured: all.length === 0
      ? "0"
      : `${left.locks.length} locks, ${left.temps.length} temporary, ${left.others.length} other: ${
        all.join(", ")
      }`,
    required: "0",
    pass: all.length === 0,
  };
}

async function rebuildPhase(
  bootpack: { readonly path: string; readonly map: string },
  n: number,
  oldCount: number,
  run: ConcurrencyRunner,
  options: ConcurrencyGateOptions,
): Promise<
  { criteria: GateCriterion[]; processes: { args: string[]; result: CliProcessResult }[] }
> {
  const rebuildArgs = ["rebuild", bootpack.path, "--kb", options.kb, "--map", bootpack.map];
  const rebuilds = await Promise.all(Array.from({ length: n }, () => run(rebuildArgs, {})));
  const afterRebuilds = await treeDigest(options.dir, options.calibration);
  const again = await run(rebuildArgs, {});
  const changed = treeDiff(afterRebuilds, await treeDigest(options.dir, options.calibration));
  const acceptanceArgs = ["acceptance", bootpack.path, "--map", bootpack.map];
  const acceptance = await run(acceptanceArgs, {});
  const rebuiltOk = rebuilds.filter((r) => r.code === 0).length;
  const want = oldCount + n;
  const upToDate = acceptance.code === 0 && /BootPack up to date/.test(acceptance.stdout) &&
    new RegExp(`^entries=${want}\\|`, "m").test(acceptance.stdout);
  const criteria: GateCriterion[] = [
    {
      criterion: `${n} parallel rebuild processes`,
      measured: `${rebuiltOk}/${n} exit 0`,
      required: `${n}/${n} exit 0`,
      pass: rebuiltOk === n,
    },
    {
      criterion: "BootPack after the parallel rebuilds equals a clean rebuild",
      measured: again.code === 0 && changed.length === 0
        ? "identical"
        : `differs (exit ${again.code}): ${changed.join(", ")}`,
      required: "identical",
      pass: again.code === 0 && changed.length === 0,
    },
    {
      criterion: "acceptance after the writers",
      measured: `exit ${acceptance.code}: ${verdictLine(acceptance.stdout)}`,
      required: `[PASS], ${want} entries, BootPack up to date`,
      pass: upToDate,
    },
  ];
  const processes = [
    ...rebuilds.map((result) => ({ args: rebuildArgs, result })),
    { args: rebuildArgs, result: again },
    { args: acceptanceArgs, result: acceptance },
  ];
  return { criteria, processes };
}

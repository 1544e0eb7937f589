/**
 * Benchmark harness: every figure is a ratio of two commands measured side by side in the same
 * run, interleaved (A B A B …) so that a noisy, shared machine affects both alike. Reports the
 * median of the per-pair ratios with their min–max, and optionally peak memory (GNU time).
 *
 * A suite is a file in `scripts/bench/` exporting `suite: BenchSuite`; `scripts/bench.ts` runs
 * them.
 *
 * @module
 */

/** A command to time: argv[0] is the program. */
export interface BenchCommand {
  /** Short name for tables, e.g. `bootpack acceptance` or `sha256sum`. */
  readonly label: string;
  /** Program and arguments. */
  readonly argv: readonly string[];
  /** Working directory. Default: the repository root. */
  readonly cwd?: string;
  /** Runs before each timed run of this command, untimed (e.g. to reset a scratch file). */
  readonly before?: () => Promise<void>;
}

/** A goal on a ratio or a figure. */
export interface Goal {
  /** The value must be at most this. */
  readonly max?: number;
  /** The value must be at least this. */
  readonly min?: number;
}

/** Two commands to compare. */
export interface Comparison {
  /** Stable id, e.g. `acceptance200_vs_deno_empty`. */
  readonly id: string;
  /** What is compared, for people. */
  readonly title: string;
  /** Ours (numerator). */
  readonly ours: BenchCommand;
  /** The baseline (denominator). */
  readonly baseline: BenchCommand;
  /** Goal on the median ratio ours / baseline. */
  readonly goal?: Goal;
  /** Timed pairs. Default: the context's `runs`. */
  readonly runs?: number;
  /** Also measure peak RSS of one run of each (GNU time). Default `false`. */
  readonly memory?: boolean;
}

/** Timings of one command, in milliseconds. */
export interface Timing {
  /** Median. */
  readonly median: number;
  /** Fastest. */
  readonly min: number;
  /** Slowest. */
  readonly max: number;
  /** Every run, in order. */
  readonly runs: readonly number[];
  /** Peak resident memory in MiB, when measured. */
  readonly peakMiB?: number;
}

/** One line of the report. */
export interface BenchResult {
  /** Stable id. */
  readonly id: string;
  /** What it is, for people. */
  readonly title: string;
  /** `ratio` (ours / baseline) or a plain `figure`. */
  readonly kind: "ratio" | "figure";
  /** The headline value: median ratio, or the figure. */
  readonly value: number;
  /** Unit of a figure (`x` for ratios). */
  readonly unit: string;
  /** Spread of the per-pair ratios, when a ratio. */
  readonly range?: { readonly min: number; readonly max: number };
  /** The goal, when there is one. */
  readonly goal?: Goal;
  /** Whether the goal is met (`null` without goal). */
  readonly met: boolean | null;
  /** Timings of ours and the baseline, when a ratio. */
  readonly ours?: Timing & { readonly label: string };
  /** Timings of the baseline, when a ratio. */
  readonly baseline?: Timing & { readonly label: string };
  /** Extra words, e.g. sizes. */
  readonly note?: string;
}

/** What a suite gets to work with. */
export interface BenchContext {
  /** A scratch folder of its own, removed after the run. */
  readonly dir: string;
  /** Default number of timed pairs. */
  readonly runs: number;
  /** Absolute path of the repository root. */
  readonly root: string;
  /** The deno executable running the bench. */
  readonly deno: string;
  /** Prints a progress line on stderr. */
  progress(message: string): void;
  /** Measures a comparison. */
  compare(comparison: Comparison): Promise<BenchResult>;
  /** Times one command `runs` times. */
  time(command: BenchCommand, runs: number): Promise<Timing>;
  /** Peak RSS of one run, in MiB (GNU time), or `undefined` when it cannot be measured. */
  peakMemory(command: BenchCommand): Promise<number | undefined>;
  /** Adds a chart (SVG text) to the report, saved as `<name>.svg` beside the Markdown. */
  chart(name: string, svg: string): void;
}

/** A benchmark suite. */
export interface BenchSuite {
  /** Short name, selectable with `--only`. */
  readonly name: string;
  /** Runs the suite and gives its results. */
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/**
 * Runs a command once and gives its wall time in ms; a non-zero exit is an error (a benchmark of a
 * failing command means nothing).
 *
 * @param command The command.
 * @param root Default working directory.
 * @returns Milliseconds.
 * @throws {Error} When the command fails.
 */
export async function timeOnce(command: BenchCommand, root: string): Promise<number> {
  if (command.before) await command.before();
  const [program, ...args] = command.argv;
  const cmd = new Deno.Command(program!, {
    args,
    cwd: command.cwd ?? root,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  });
  const start = performance.now();
  const out = await cmd.output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(
      `Cannot benchmark "${command.label}": exit ${out.code}: ${
        new TextDecoder().decode(out.stderr).slice(0, 500)
      }`,
    );
  }
  return ms;
}

/**
 * Median of numbers.
 *
 * @param values Numbers (not empty).
 * @returns The median.
 */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Summarises timings.
 *
 * @param runs Milliseconds.
 * @returns Median, min, max and the runs.
 */
export function summarise(runs: readonly number[]): Timing {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs };
}

/**
 * Tells whether a value meets a goal.
 *
 * @param value The value.
 * @param goal The goal, if any.
 * @returns `null` without a goal.
 */
export function meets(value: number, goal: Goal | undefined): boolean | null {
  if (!goal) return null;
  if (goal.max !== undefined && value > goal.max) return false;
  if (goal.min !== undefined && value < goal.min) return false;
  return true;
}

/**
 * Peak resident memory of one run, with GNU time (`/usr/bin/time -f %M`).
 *
 * @param command The command.
 * @param root Default working directory.
 * @returns MiB, or `undefined` when GNU time is missing.
 */
export async function peakMemoryOf(
  command: BenchCommand,
  root: string,
): Promise<number | undefined> {
  if (command.before) await command.before();
  const out = await Deno.makeTempFile({ prefix: "bench_time_" });
  try {
    const res = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%M", "-o", out, ...command.argv],
      cwd: command.cwd ?? root,
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    if (!res.success) return undefined;
    const kib = Number((await Deno.readTextFile(out)).trim().split("\n").at(-1));
    return Number.isFinite(kib) ? kib / 1024 : undefined;
  } catch {
    return undefined;
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/**
 * Creates a context for suites.
 *
 * @param options Scratch folder, runs, root, deno path, progress sink.
 * @returns The context.
 */
export function createContext(options: {
  dir: string;
  runs: number;
  root: string;
  deno: string;
  progress: (message: string) => void;
  chart: (name: string, svg: string) => void;
}): BenchContext {
  const { root } = options;
  const ctx: BenchContext = {
    ...options,
    time: async (command, runs) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await timeOnce(command, root));
      return summarise(times);
    },
    peakMemory: (command) => peakMemoryOf(command, root),
    compare: async (c) => {
      const runs = c.runs ?? options.runs;
      options.progress(`${c.id}: ${runs} interleaved pairs`);
      // One untimed warm-up of each (file cache, Deno's module cache).
      await timeOnce(c.ours, root);
      await timeOnce(c.baseline, root);
      const a: number[] = [];
      const b: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first, so that neither always runs on a warmer machine.
        let x: number;
        let y: number;
        if (i % 2 === 0) {
          x = await timeOnce(c.ours, root);
          y = await timeOnce(c.baseline, root);
        } else {
          y = await timeOnce(c.baseline, root);
          x = await timeOnce(c.ours, root);
        }
        a.push(x);
        b.push(y);
        ratios.push(x / y);
      }
      const ours: Timing & { label: string } = { ...summarise(a), label: c.ours.label };
      const baseline: Timing & { label: string } = { ...summarise(b), label: c.baseline.label };
      if (c.memory) {
        const m1 = await peakMemoryOf(c.ours, root);
        const m2 = await peakMemoryOf(c.baseline, root);
        if (m1 !== undefined) Object.assign(ours, { peakMiB: m1 });
        if (m2 !== undefined) Object.assign(baseline, { peakMiB: m2 });
      }
      const value = median(ratios);
      return {
        id: c.id,
        title: c.title,
        kind: "ratio",
        value,
        unit: "x",
        range: { min: Math.min(...ratios), max: Math.max(...ratios) },
        ...(c.goal ? { goal: c.goal } : {}),
        met: meets(value, c.goal),
        ours,
        baseline,
      };
    },
  };
  return ctx;
}

/**
 * Formats a goal for tables: `<= 1.5x`, `>= 0.8x`.
 *
 * @param goal The goal.
 * @param unit Unit.
 * @returns The text, or `-`.
 */
export function formatGoal(goal: Goal | undefined, unit: string): string {
  if (!goal) return "-";
  const parts = [];
  if (goal.max !== undefined) parts.push(`<= ${goal.max}${unit === "x" ? "x" : " " + unit}`);
  if (goal.min !== undefined) parts.push(`>= ${goal.min}${unit === "x" ? "x" : " " + unit}`);
  return parts.join(", ");
}

/**
 * Renders results as a Markdown table.
 *
 * @param results The results.
 * @returns Markdown.
 */
export function markdownTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => {
    const value = r.kind === "ratio"
      ? `${r.value.toFixed(2)}x (${r.range!.min.toFixed(2)}–${r.range!.max.toFixed(2)})`
      : `${fmt(r.value)} ${r.unit}`;
    const detail = r.kind === "ratio"
      ? `${r.ours!.label}: ${r.ours!.median.toFixed(1)} ms${mem(r.ours!)}; ${r.baseline!.label}: ${
        r.baseline!.median.toFixed(1)
      } ms${mem(r.baseline!)}`
      : "";
    const met = r.met === null ? "" : r.met ? "yes" : "**no**";
    return `| ${r.title} | ${value} | ${formatGoal(r.goal, r.unit)} | ${met} | ${
      [detail, r.note ?? ""].filter((s) => s).join("; ")
    } |`;
  });
  return [
    "| measure | value (min–max) | goal | met | detail |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function mem(t: Timing): string {
  return t.peakMiB === undefined ? "" : `, ${t.peakMiB.toFixed(0)} MiB peak`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

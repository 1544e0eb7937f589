/**
 * Benchmarks of the read-only gates: acceptance and selftest, as their tasks run them (the tasks'
 * build), against Deno's own start-up, and how their cost grows with the KB.
 *
 * @module
 */

import {
  type BenchCommand,
  type BenchContext,
  type BenchResult,
  type BenchSuite,
  median,
  summarise,
} from "./_harness.ts";
import { gateCommand, writeBootPack } from "./_fixtures.ts";
import { TASK_BUILD_DIR, TASK_BUILD_ENTRY } from "../../lib/core/program.ts";

/** The gates suite. */
export const suite: BenchSuite = {
  name: "gates",
  async run(ctx): Promise<BenchResult[]> {
    const empty = `${ctx.dir}/empty.ts`;
    await Deno.writeTextFile(empty, "");
    const denoEmpty = { label: "deno run empty.ts", argv: [ctx.deno, "run", empty] };
    const gate = (command: string, bootpack: string): BenchCommand =>
      gateCommand(ctx, command, bootpack);
    const small = await writeBootPack(ctx.dir, 200);
    const large = await writeBootPack(ctx.dir, 20_000);
    const results: BenchResult[] = [];
    results.push(
      await ctx.compare({
        id: "acceptance200_vs_deno_empty",
        title: "acceptance, 200 entries / deno run empty file",
        ours: gate("acceptance", small.bootpack),
        baseline: denoEmpty,
        goal: { max: 1.5 },
      }),
    );
    results.push({
      ...(await ctx.compare({
        id: "acceptance20k_vs_deno_empty",
        title: "acceptance, 20,000 entries / deno run empty file",
        ours: gate("acceptance", large.bootpack),
        baseline: denoEmpty,
        goal: { max: 4 },
      })),
      note: `KB ${(large.kbBytes / 2 ** 20).toFixed(1)} MiB, SNAPSHOT the same`,
    });
    results.push(...(await whereTheTimeGoes(ctx, small.bootpack, denoEmpty)));
    return results;
  },
};

/**
 * Where an `acceptance` on 200 entries spends the time above an empty `deno run`: the same run
 * from source (`cli.ts`: what the tasks' build saves, Deno reading and transforming each
 * TypeScript module), the build without `--v8-flags=--no-lazy` (a copy of it, so that the two keep
 * their own V8 code caches: what compiling every function with its module saves), the gate
 * modules loaded from source without running anything, and, inside one process, the load, the
 * first run and a warm second run.
 */
async function whereTheTimeGoes(
  ctx: BenchContext,
  bootpack: string,
  denoEmpty: BenchCommand,
): Promise<BenchResult[]> {
  const lazyCopy = `${ctx.dir}/lazy/${TASK_BUILD_DIR}`;
  await Deno.mkdir(lazyCopy, { recursive: true });
  for await (const e of Deno.readDir(`${ctx.root}/${TASK_BUILD_DIR}`)) {
    if (e.isFile) {
      await Deno.copyFile(`${ctx.root}/${TASK_BUILD_DIR}/${e.name}`, `${lazyCopy}/${e.name}`);
    }
  }
  const lazy = gateCommand(ctx, "acceptance", bootpack, `${ctx.dir}/lazy/${TASK_BUILD_ENTRY}`);
  const loadOnly = `${ctx.dir}/load_gate.ts`;
  await Deno.writeTextFile(loadOnly, `import "${ctx.root}/cli/gate.ts";\n`);
  const results: BenchResult[] = [
    await ctx.compare({
      id: "acceptance200_source_vs_deno_empty",
      title: "acceptance, 200 entries, from source (deno run cli.ts) / deno run empty file",
      ours: {
        ...gateCommand(ctx, "acceptance", bootpack, `${ctx.root}/cli.ts`),
        label: "acceptance from source",
      },
      baseline: denoEmpty,
    }),
    await ctx.compare({
      id: "acceptance200_lazy_vs_deno_empty",
      title:
        "acceptance, 200 entries, the build without --v8-flags=--no-lazy / deno run empty file",
      ours: {
        label: "acceptance, V8 compiling lazily",
        argv: lazy.argv.filter((a) => !a.startsWith("--v8-flags=")),
      },
      baseline: denoEmpty,
    }),
    await ctx.compare({
      id: "gate_modules_vs_deno_empty",
      title: "the gate's modules loaded from source, nothing run / deno run empty file",
      ours: {
        label: "import cli/gate.ts",
        argv: [ctx.deno, "run", "--no-prompt", "--allow-read", loadOnly],
      },
      baseline: denoEmpty,
    }),
  ];
  const cpu = await cpuRatio(ctx, gateCommand(ctx, "acceptance", bootpack), denoEmpty);
  if (cpu) results.push(cpu);
  const probes: Record<string, number>[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const out = await new Deno.Command(ctx.deno, {
      args: [
        "run",
        "--no-prompt",
        "--allow-read",
        `${ctx.root}/scripts/bench/_gate_probe.ts`,
        bootpack,
      ],
      stdout: "piped",
    }).output();
    probes.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  const phase = (key: string): number => median(probes.map((p) => p[key]!));
  results.push({
    id: "acceptance200_phases",
    title:
      "acceptance, 200 entries, inside the process: first gate run (reads, parse, hash, decide)",
    kind: "figure",
    value: phase("firstRunMs"),
    unit: "ms",
    met: null,
    note:
      `medians of ${ctx.runs}: runtime up to the first line ${phase("startupMs").toFixed(1)} ms; ` +
      `loading the gate modules ${phase("loadMs").toFixed(1)} ms; first run ${
        phase("firstRunMs").toFixed(1)
      } ms; the same run again, warm, ${phase("secondRunMs").toFixed(1)} ms`,
  });
  return results;
}

/**
 * The same ratio as the first row, on CPU time (user + system of the process, from bash's `times`)
 * instead of wall time: on a loaded host the wall time of a 30 ms process is mostly waiting for a
 * core, its CPU time is not. `null` without bash.
 */
async function cpuRatio(
  ctx: BenchContext,
  ours: BenchCommand,
  baseline: BenchCommand,
): Promise<BenchResult | null> {
  const seconds = (t: string): number => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const cpuMs = async (c: BenchCommand): Promise<number> => {
    const out = await new Deno.Command("bash", {
      args: ["-c", '"$@" >/dev/null 2>&1; times', "bash", ...c.argv],
      stdout: "piped",
      stderr: "null",
    }).output();
    // `times` prints the shell's own times, then its children's: user and system.
    const children = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    const [user = "", system = ""] = children.split(" ");
    return (seconds(user) + seconds(system)) * 1000;
  };
  if (Number.isNaN(await cpuMs(baseline).catch(() => NaN))) return null;
  const ratios: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    let x: number, y: number;
    if (i % 2 === 0) {
      x = await cpuMs(ours);
      y = await cpuMs(baseline);
    } else {
      y = await cpuMs(baseline);
      x = await cpuMs(ours);
    }
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  const value = median(ratios);
  return {
    id: "acceptance200_cpu_vs_deno_empty",
    title: "acceptance, 200 entries / deno run empty file, CPU time (user + system)",
    kind: "ratio",
    value,
    unit: "x",
    range: { min: Math.min(...ratios), max: Math.max(...ratios) },
    goal: { max: 1.5 },
    met: value <= 1.5,
    ours: { ...summarise(a), label: `${ours.label} (CPU)` },
    baseline: { ...summarise(b), label: `${baseline.label} (CPU)` },
    note: "user + system from bash's times, interleaved",
  };
}

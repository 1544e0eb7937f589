/**
 * Benchmarks of the read-only gates: acceptance and selftest against Deno's own start-up, and how
 * their cost grows with the KB.
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
 * Where an `acceptance` on 200 entries spends the time above an empty `deno run`: the same code
 * from a one-file bundle (the share of loading ~25 modules), the gate modules loaded without
 * running anything, and, inside one process, the load, the first run and a warm second run.
 */
async function whereTheTimeGoes(
  ctx: BenchContext,
  bootpack: string,
  denoEmpty: BenchCommand,
): Promise<BenchResult[]> {
  // The gate alone (cli.ts would bundle every command, its dynamic imports inlined).
  const entry = `${ctx.dir}/gate_entry.ts`;
  await Deno.writeTextFile(
    entry,
    `import { main } from "${ctx.root}/cli/gate.ts";\nDeno.exit(await main("acceptance", Deno.args));\n`,
  );
  const bundle = `${ctx.dir}/gate_bundle.js`;
  const built = await new Deno.Command(ctx.deno, {
    args: ["bundle", "--quiet", entry, "-o", bundle],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!built.success) throw new Error(new TextDecoder().decode(built.stderr));
  const loadOnly = `${ctx.dir}/load_gate.ts`;
  await Deno.writeTextFile(loadOnly, `import "${ctx.root}/cli/gate.ts";\n`);
  const results: BenchResult[] = [
    await ctx.compare({
      id: "acceptance200_bundle_vs_deno_empty",
      title:
        "acceptance, 200 entries, the gate bundled in one file (deno bundle) / deno run empty file",
      ours: {
        label: "bundled acceptance",
        argv: [ctx.deno, "run", "--no-prompt", "--allow-read", bundle, bootpack],
      },
      baseline: denoEmpty,
    }),
    await ctx.compare({
      id: "gate_modules_vs_deno_empty",
      title: "the gate's modules loaded, nothing run / deno run empty file",
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

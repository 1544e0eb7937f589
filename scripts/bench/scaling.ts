/**
 * How the gates' cost grows with the KB: acceptance and selftest at 1k, 10k and 100k entries
 * (start-up subtracted), drawn on log-log axes, and selftest on a 50 MiB KB with the growth of its peak memory (linear, SPEC §3).
 *
 * @module
 */

import type { BenchCommand, BenchResult, BenchSuite } from "./_harness.ts";
import { meets } from "./_harness.ts";
import { lineChartSvg, type Series } from "./_chart.ts";
import { gateCommand, proofpackArgv, writeBootPack } from "./_fixtures.ts";

const SIZES = [1_000, 10_000, 100_000];

/** The scaling suite. */
export const suite: BenchSuite = {
  name: "scaling",
  async run(ctx): Promise<BenchResult[]> {
    const empty = `${ctx.dir}/empty.ts`;
    await Deno.writeTextFile(empty, "");
    const gate = (command: string, bootpack: string): BenchCommand =>
      gateCommand(ctx, command, bootpack);
    const runs = Math.max(3, Math.min(ctx.runs, 7));
    const base =
      (await ctx.time({ label: "deno run empty.ts", argv: [ctx.deno, "run", empty] }, runs))
        .median;
    const results: BenchResult[] = [];
    const series: Series[] = [];
    for (const command of ["acceptance", "selftest"]) {
      const points: { x: number; y: number }[] = [];
      for (const n of SIZES) {
        const g = await writeBootPack(ctx.dir, n);
        ctx.progress(`scaling: ${command} ${n} entries`);
        const t = await ctx.time(gate(command, g.bootpack), runs);
        points.push({ x: n, y: Math.max(0.1, t.median - base) });
      }
      series.push({ name: command, points });
      const [, p10k, p100k] = points;
      const exponent = Math.log10(p100k!.y / p10k!.y);
      results.push({
        id: `${command}_scaling_exponent`,
        title: `${command}: growth exponent from 10k to 100k entries (1 = linear)`,
        kind: "figure",
        value: exponent,
        unit: "",
        goal: { max: 1.15 },
        met: meets(exponent, { max: 1.15 }),
        note: points.map((p) => `${p.x}: ${p.y.toFixed(1)} ms`).join(", ") +
          ` (minus ${base.toFixed(1)} ms start-up)`,
      });
    }
    ctx.chart(
      "scaling_kb",
      lineChartSvg(series, {
        title: "Gate cost against KB size (start-up subtracted)",
        xLabel: "entries",
        yLabel: "ms",
      }),
    );

    // Proofpack export against the number of files (256 KiB each).
    const packPoints: { x: number; y: number }[] = [];
    for (const n of [1, 10, 100]) {
      const folder = `${ctx.dir}/files_${n}`;
      await Deno.mkdir(folder);
      const files: string[] = [];
      const data = new Uint8Array(256 * 1024);
      for (let i = 0; i < n; i++) {
        crypto.getRandomValues(data.subarray(0, 65536));
        const f = `${folder}/f${String(i).padStart(3, "0")}.bin`;
        await Deno.writeFile(f, data);
        files.push(f);
      }
      const out = `${ctx.dir}/pack_${n}`;
      ctx.progress(`scaling: proofpack export of ${n} files`);
      const t = await ctx.time({
        label: `proofpack export ${n}`,
        argv: proofpackArgv(ctx, ["export", "--out", out, ...files]),
        before: () => Deno.remove(out, { recursive: true }).catch(() => {}),
      }, runs);
      packPoints.push({ x: n, y: Math.max(0.1, t.median - base) });
    }
    const packExponent = Math.log10(packPoints[2]!.y / packPoints[1]!.y);
    results.push({
      id: "proofpack_export_scaling_exponent",
      title: "proofpack export: growth exponent from 10 to 100 files of 256 KiB (1 = linear)",
      kind: "figure",
      value: packExponent,
      unit: "",
      goal: { max: 1.15 },
      met: meets(packExponent, { max: 1.15 }),
      note: packPoints.map((p) => `${p.x}: ${p.y.toFixed(1)} ms`).join(", ") +
        ` (minus ${base.toFixed(1)} ms start-up)`,
    });
    ctx.chart(
      "scaling_pack",
      lineChartSvg([{ name: "proofpack export", points: packPoints }], {
        title: "Proofpack export cost against the number of files (start-up subtracted)",
        xLabel: "files (256 KiB each)",
        yLabel: "ms",
      }),
    );

    const big = await writeBootPack(ctx.dir, 150_000, 170);
    const selftest = gate("selftest", big.bootpack);
    const hash: BenchCommand = { label: "sha256sum KB", argv: ["sha256sum", big.kb] };
    const cmp = await ctx.compare({
      id: "selftest50MiB_vs_sha256sum",
      title: `selftest, ${(big.kbBytes / 2 ** 20).toFixed(0)} MiB KB / sha256sum of the KB`,
      ours: selftest,
      baseline: hash,
      runs: Math.min(ctx.runs, 5),
      memory: true,
    });
    results.push(cmp);
    // SPEC §3: one in-memory path for every size, memory growing linearly with the input. The
    // peak of the runtime alone (an empty deno run) is subtracted before the growth is taken.
    const peak = cmp.ours?.peakMiB;
    const half = await writeBootPack(ctx.dir, 75_000, 170);
    const halfPeak = await ctx.peakMemory(gate("selftest", half.bootpack));
    const runtime = await ctx.peakMemory({
      label: "deno run empty.ts",
      argv: [ctx.deno, "run", empty],
    });
    if (peak !== undefined && halfPeak !== undefined && runtime !== undefined) {
      const input = (bytes: number): number => (2 * bytes) / 2 ** 20; // the KB and its SNAPSHOT
      const exponent = Math.log(Math.max(peak - runtime, 1) / Math.max(halfPeak - runtime, 1)) /
        Math.log(big.kbBytes / half.kbBytes);
      results.push({
        id: "selftest_peak_memory_exponent",
        title: "selftest, peak memory: growth exponent from 25 to 50 MiB KB (1 = linear)",
        kind: "figure",
        value: exponent,
        unit: "",
        goal: { max: 1.15 },
        met: meets(exponent, { max: 1.15 }),
        note: `${input(half.kbBytes).toFixed(0)} MiB input: ${halfPeak.toFixed(0)} MiB peak; ` +
          `${input(big.kbBytes).toFixed(0)} MiB input: ${peak.toFixed(0)} MiB peak (${
            ((peak - runtime) / input(big.kbBytes)).toFixed(1)
          } MiB per MiB); runtime alone ${runtime.toFixed(0)} MiB`,
      });
    }
    return results;
  },
};

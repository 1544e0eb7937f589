/**
 * Benchmarks of the read-only gates: acceptance and selftest against Deno's own start-up, and how
 * their cost grows with the KB.
 *
 * @module
 */

import type { BenchCommand, BenchResult, BenchSuite } from "./_harness.ts";
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
    return results;
  },
};

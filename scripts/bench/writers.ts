/**
 * Benchmarks of the writers: what the lock costs when 100 `ingest` processes run at once compared
 * with the same 100 run one after the other, and ingest throughput in entries per second.
 *
 * @module
 */

import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { ingestEntry } from "../../lib/writers/ingest.ts";
import type { BenchCommand, BenchResult, BenchSuite } from "./_harness.ts";

const N = 100;

/** The writers suite. */
export const suite: BenchSuite = {
  name: "writers",
  async run(ctx): Promise<BenchResult[]> {
    const driver = (mode: "concurrent" | "sequential"): BenchCommand => ({
      label: `${N} ${mode} ingests`,
      argv: [
        ctx.deno,
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        `${ctx.root}/scripts/bench/_ingest_driver.ts`,
        mode,
        String(N),
        ctx.dir,
      ],
    });
    const results: BenchResult[] = [];
    const ratio = await ctx.compare({
      id: "ingest100_concurrent_vs_sequential",
      title: `${N} concurrent single-entry ingests / ${N} sequential ones (processes)`,
      ours: driver("concurrent"),
      baseline: driver("sequential"),
      goal: { max: 1.3 },
      runs: Math.min(ctx.runs, 5),
    });
    results.push(ratio);
    const throughput = (ms: number): number => Math.round((N / (ms / 1000)) * 10) / 10;
    results.push({
      id: "ingest_processes_throughput",
      title: `ingest throughput, ${N} concurrent processes (start-up included)`,
      kind: "figure",
      value: throughput(ratio.ours!.median),
      unit: "entries/s",
      met: null,
      note: `sequential: ${throughput(ratio.baseline!.median)} entries/s`,
    });

    ctx.progress("ingest_library_throughput: 200 ingests in one process");
    const kb = `${ctx.dir}/lib_kb.json`;
    await Deno.writeTextFile(kb, "[]\n");
    const runs = 200;
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      await ingestEntry(kb, `{"id":"lib-${i}"}`, { calibration: DEFAULT_CALIBRATION });
    }
    const ms = performance.now() - start;
    results.push({
      id: "ingest_library_throughput",
      title: "ingest throughput, library in one process (lock, read, fsync, rename each)",
      kind: "figure",
      value: Math.round((runs / (ms / 1000)) * 10) / 10,
      unit: "entries/s",
      met: null,
      note: `${runs} entries, KB growing to ${runs} entries`,
    });
    return results;
  },
};

/**
 * Benchmarks of proofpacks: `proofpack export` of 64 files x 4 MiB against GNU `sha256sum` over
 * the same files, `proofpack verify` against `sha256sum -c`, both interleaved in the same run,
 * peak memory of the export (GNU time), and the single-large-file hash rate against
 * `openssl speed -evp sha256`.
 *
 * @module
 */

import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { hashFile } from "../../lib/io/hash_stream.ts";
import { type BenchCommand, type BenchResult, type BenchSuite, median } from "./_harness.ts";
import { proofpackArgv } from "./_fixtures.ts";

const FILES = 64;
const FILE_MIB = 4;
const BIG_MIB = 256;
const HUGE_MIB = 1024;

async function randomFile(path: string, mib: number): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < mib; i++) {
      for (let j = 0; j < chunk.length; j += 65536) {
        crypto.getRandomValues(chunk.subarray(j, j + 65536));
      }
      let rest: Uint8Array = chunk;
      while (rest.length > 0) rest = rest.subarray(await file.write(rest));
    }
  } finally {
    file.close();
  }
}

/** Bytes per second that `openssl speed -evp sha256` reports for 1 MiB blocks (or 16 KiB). */
async function opensslRate(): Promise<number | undefined> {
  for (const extra of [["-bytes", String(1 << 20)], []]) {
    try {
      const out = await new Deno.Command("openssl", {
        args: ["speed", "-evp", "sha256", "-seconds", "1", ...extra],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (!out.success) continue;
      const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
      // "sha256   1234.56k  ...  1777926.14k": the last column, in 1000s of bytes per second.
      const last = line.trim().split(/\s+/).at(-1) ?? "";
      const k = Number(last.replace(/k$/, ""));
      if (Number.isFinite(k) && k > 0) return k * 1000;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The proofpack suite. */
export const suite: BenchSuite = {
  name: "proofpack",
  async run(ctx): Promise<BenchResult[]> {
    const filesDir = `${ctx.dir}/files`;
    await Deno.mkdir(filesDir);
    ctx.progress(`proofpack: writing ${FILES} x ${FILE_MIB} MiB of random data`);
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const f = `${filesDir}/f${String(i).padStart(2, "0")}.bin`;
      await randomFile(f, FILE_MIB);
      files.push(f);
    }
    const out = `${ctx.dir}/pack`;
    const proofpack = (args: string[]): string[] => proofpackArgv(ctx, args);
    const exportCmd: BenchCommand = {
      label: "bootpack proofpack export",
      argv: proofpack(["export", "--out", out, ...files]),
      before: () => Deno.remove(out, { recursive: true }).catch(() => {}),
    };
    const results: BenchResult[] = [];
    const exported = await ctx.compare({
      id: "proofpack_export_vs_sha256sum",
      title: `proofpack export, ${FILES} x ${FILE_MIB} MiB / sha256sum over the same files`,
      ours: exportCmd,
      baseline: { label: "sha256sum", argv: ["sha256sum", "--", ...files] },
      goal: { max: 0.75 },
      memory: true,
    });
    results.push({ ...exported, note: "export copies, hashes and writes the pack" });
    const peak = exported.ours?.peakMiB;
    if (peak !== undefined) {
      results.push({
        id: "proofpack_export_peak_memory",
        title: `proofpack export, ${FILES} x ${FILE_MIB} MiB: peak memory`,
        kind: "figure",
        value: peak,
        unit: "MiB",
        goal: { max: 160 },
        met: peak <= 160,
        note: "GNU time %M (max RSS)",
      });
    }

    // The pack exists after the last export run (the before hook removes it before each run).
    if (!(await Deno.stat(out).catch(() => null))) await timeOnceExport(exportCmd, ctx.root);
    results.push(
      await ctx.compare({
        id: "proofpack_verify_vs_sha256sum_c",
        title: `proofpack verify, ${FILES} x ${FILE_MIB} MiB / sha256sum -c`,
        ours: {
          label: "bootpack proofpack verify",
          argv: proofpack(["verify", out]),
        },
        baseline: {
          label: "sha256sum -c",
          argv: ["sha256sum", "-c", "--quiet", "SHA256SUMS.txt"],
          cwd: out,
        },
        goal: { max: 1 },
        memory: true,
      }),
    );

    ctx.progress(`proofpack: single ${BIG_MIB} MiB file hash rate vs openssl speed, interleaved`);
    const big = `${ctx.dir}/big.bin`;
    await randomFile(big, BIG_MIB);
    await hashFile(big, { calibration: DEFAULT_CALIBRATION }); // warm the page cache
    const rates: number[] = [];
    const ratios: number[] = [];
    const opensslRates: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await hashFile(big, { calibration: DEFAULT_CALIBRATION });
      const ours = (BIG_MIB * 2 ** 20) / ((performance.now() - t) / 1000);
      rates.push(ours);
      const openssl = await opensslRate();
      if (openssl !== undefined) {
        opensslRates.push(openssl);
        ratios.push(ours / openssl);
      }
    }
    results.push({
      id: "hash_rate_single_file",
      title: `hashFile, one ${BIG_MIB} MiB file (node:crypto, 1 MiB chunks, double-buffered)`,
      kind: "figure",
      value: median(rates) / 1e6,
      unit: "MB/s",
      met: null,
      note: `median of 5 (${(Math.min(...rates) / 1e6).toFixed(0)}–${
        (Math.max(...rates) / 1e6).toFixed(0)
      }), file in page cache`,
    });
    if (ratios.length > 0) {
      results.push({
        id: "hash_rate_vs_openssl",
        title: "hashFile rate / openssl speed -evp sha256 (1 MiB blocks), interleaved",
        kind: "figure",
        value: median(ratios),
        unit: "x",
        goal: { min: 0.8 },
        met: median(ratios) >= 0.8,
        note:
          `openssl median ${(median(opensslRates) / 1e6).toFixed(0)} MB/s (in memory, no I/O); ` +
          `ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      });
    }

    ctx.progress(`proofpack: one ${HUGE_MIB} MiB file, export and verify against sha256sum`);
    await Deno.remove(big);
    const huge = `${ctx.dir}/huge.bin`;
    await randomFile(huge, HUGE_MIB);
    const hugeOut = `${ctx.dir}/hugepack`;
    const hugeExport: BenchCommand = {
      label: "bootpack proofpack export",
      argv: proofpack(["export", "--out", hugeOut, huge]),
      before: () => Deno.remove(hugeOut, { recursive: true }).catch(() => {}),
    };
    results.push(
      await ctx.compare({
        id: "proofpack_export_1GiB_vs_sha256sum",
        title: `proofpack export, one ${HUGE_MIB / 1024} GiB file / sha256sum of it`,
        ours: hugeExport,
        baseline: { label: "sha256sum", argv: ["sha256sum", "--", huge] },
        runs: Math.min(ctx.runs, 3),
        memory: true,
        goal: { max: 1.5 },
      }),
    );
    if (!(await Deno.stat(hugeOut).catch(() => null))) await timeOnceExport(hugeExport, ctx.root);
    results.push(
      await ctx.compare({
        id: "proofpack_verify_1GiB_vs_sha256sum_c",
        title: `proofpack verify, one ${HUGE_MIB / 1024} GiB file / sha256sum -c`,
        ours: {
          label: "bootpack proofpack verify",
          argv: proofpack(["verify", hugeOut]),
        },
        baseline: {
          label: "sha256sum -c",
          argv: ["sha256sum", "-c", "--quiet", "SHA256SUMS.txt"],
          cwd: hugeOut,
        },
        runs: Math.min(ctx.runs, 3),
        memory: true,
        goal: { max: 1 },
      }),
    );
    for (const r of results.slice(-2)) {
      const peak = r.ours?.peakMiB;
      if (peak === undefined) continue;
      results.push({
        id: `${r.id}_peak_memory`,
        title: `${r.title.split(" / ")[0]}: peak memory`,
        kind: "figure",
        value: peak,
        unit: "MiB",
        goal: { max: 160 },
        met: peak <= 160,
        note: "GNU time %M (max RSS)",
      });
    }
    return results;
  },
};

async function timeOnceExport(command: BenchCommand, root: string): Promise<void> {
  if (command.before) await command.before();
  const [program, ...args] = command.argv;
  await new Deno.Command(program!, { args, cwd: root, stdout: "null", stderr: "null" }).output();
}

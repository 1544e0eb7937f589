/**
 * `deno task bench`: runs the benchmark suites of `scripts/bench/` and prints every figure as a
 * ratio measured side by side in the same run (see docs/benchmarks.md).
 *
 *   deno task bench [--only gates,writers,...] [--runs N] [--json] [--markdown FILE]
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { parseArgs } from "node:util";
import { fromFileUrl } from "../lib/core/path.ts";
import {
  type BenchResult,
  type BenchSuite,
  createContext,
  markdownTable,
} from "./bench/_harness.ts";

const SUITES: Record<string, () => Promise<BenchSuite>> = {
  gates: async () => (await import("./bench/gates.ts")).suite,
  scaling: async () => (await import("./bench/scaling.ts")).suite,
  writers: async () => (await import("./bench/writers.ts")).suite,
  proofpack: async () => (await import("./bench/proofpack.ts")).suite,
  hardening: async () => (await import("./bench/hardening.ts")).suite,
};

const HELP = `Usage: deno task bench [--only SUITE,...] [--runs N] [--json] [--markdown FILE]

Runs the benchmark suites (${Object.keys(SUITES).join(", ")}) and prints each figure as a ratio
against the tool a user would pick instead, measured interleaved in the same run.

  --only LIST      Comma-separated suites to run (default: all)
  --runs N         Timed pairs per comparison (default 10)
  --json           Print the results as JSON on stdout
  --markdown FILE  Also write the results table to FILE
  -h, --help       Show this help
`;

const MARKDOWN_HEAD = `# Benchmarks

Every figure is measured by \`deno task bench\` in one run, side by side with the tool a user would
pick instead, interleaved (A B, B A, ...) on the same machine so that noise hits both alike: the
value is the median of the per-pair ratios, with their min–max. Reproduce with
\`deno task bench -- --markdown docs/benchmarks.md\` (add \`--only SUITE\` for one suite).
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        only: { type: "string" },
        runs: { type: "string" },
        json: { type: "boolean" },
        markdown: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runs = Number(values.runs ?? "10");
  if (!Number.isSafeInteger(runs) || runs < 1) {
    console.error(`bench: --runs must be a whole number >= 1`);
    return 2;
  }
  const names = values.only ? values.only.split(",").map((s) => s.trim()) : Object.keys(SUITES);
  for (const n of names) {
    if (!(n in SUITES)) {
      console.error(`bench: unknown suite "${n}" (have ${Object.keys(SUITES).join(", ")})`);
      return 2;
    }
  }
  const root = fromFileUrl(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
  const dir = await Deno.makeTempDir({ prefix: "bootpack_bench_" });
  const results: BenchResult[] = [];
  const charts = new Map<string, string>();
  const started = performance.now();
  try {
    const ctx = createContext({
      dir,
      runs,
      root,
      deno: Deno.execPath(),
      progress: (m) => console.error(`bench: ${m}`),
      chart: (name, svg) => charts.set(name, svg),
    });
    for (const name of names) {
      console.error(`bench: suite ${name}`);
      const suiteDir = `${dir}/${name}`;
      await Deno.mkdir(suiteDir);
      const suite = await SUITES[name]!();
      results.push(...await suite.run({ ...ctx, dir: suiteDir }));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const table = markdownTable(results);
  const host =
    `${Deno.build.target}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`;
  if (values.json) {
    console.log(JSON.stringify({ host, seconds, results }, null, 2));
  } else {
    console.log(table);
    console.log(
      `\n${results.filter((r) => r.met === false).length} goal(s) missed; ${
        seconds.toFixed(0)
      } s; ${host}`,
    );
  }
  if (values.markdown) {
    const folder = values.markdown.includes("/")
      ? values.markdown.slice(0, values.markdown.lastIndexOf("/"))
      : ".";
    const images = [];
    for (const [name, svg] of charts) {
      await Deno.writeTextFile(`${folder}/${name}.svg`, svg);
      images.push(`![${name}](${name}.svg)`);
    }
    await Deno.writeTextFile(
      values.markdown,
      `${MARKDOWN_HEAD}\n${table}\n\n${images.join("\n\n")}${images.length ? "\n\n" : ""}` +
        `Measured on ${host}, ${runs} interleaved pairs per ratio, in ${seconds.toFixed(0)} s ` +
        `(\`deno task bench --runs ${runs}\`).\n`,
    );
  }
  return 0;
}

Deno.exitCode = await main();

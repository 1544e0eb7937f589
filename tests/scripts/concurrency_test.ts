import { deepEqual, equal } from "node:assert/strict";
import { ROOT, withTempDir } from "../_helpers.ts";

async function gate(args: string[]): Promise<{ code: number; report: Record<string, unknown> }> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-run=deno",
      `${ROOT}/scripts/concurrency.ts`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, report: JSON.parse(new TextDecoder().decode(out.stdout)) };
}

Deno.test("scripts/concurrency.ts (G1) passes with N writers and reports the checks", async () => {
  await withTempDir(async (dir) => {
    const { code, report } = await gate(["--", "--writers", "6", "--dir", dir]);
    equal(code, 0);
    deepEqual(
      { ...report, elapsed_ms: 0 },
      {
        gate: "G1",
        pass: true,
        writers: 6,
        writers_ok: 6,
        entries_before: 1,
        entries_after: 7,
        missing: [],
        duplicated: [],
        kb_valid: true,
        residual_locks: 0,
        residual_temp_files: 0,
        new_files: [],
        elapsed_ms: 0,
        failures: [],
      },
    );
  });
});

Deno.test("scripts/concurrency.ts (G1) fails on a residual lock or temporary file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/left.lock`, "");
    await Deno.writeTextFile(`${dir}/BUG_KB.json.txt.tmp-0123456789abcdef`, "{");
    await Deno.writeTextFile(`${dir}/other.json.tmp-0123456789abcdef`, "{");
    const { code, report } = await gate(["--writers", "2", "--dir", dir]);
    equal(code, 1);
    equal(report["pass"], false);
    equal(report["residual_locks"], 1);
    // The KB's lock holders remove the KB's orphans; another file's temporary file stays.
    equal(report["residual_temp_files"], 1);
  });
});

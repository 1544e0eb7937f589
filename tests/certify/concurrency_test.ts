import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import type { CliProcessResult } from "../../lib/certify/cli_process.ts";
import { type ConcurrencyRunner, runConcurrencyGate } from "../../lib/certify/concurrency.ts";
import { runCliProcess } from "../../lib/certify/cli_process.ts";
import { copyExample, exampleMap, withTempDir } from "../_helpers.ts";

Deno.test("runConcurrencyGate() passes real parallel writers, rebuilds and acceptance on the example", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const calls: string[] = [];
    const run: ConcurrencyRunner = (args, o) => {
      calls.push(args.join(" "));
      return runCliProcess(args, o.stdin === undefined ? {} : { stdin: o.stdin });
    };
    const r = await runConcurrencyGate({
      dir,
      kb,
      writers: 4,
      calibration: DEFAULT_CALIBRATION,
      bootpack: { path: bootpack, map: exampleMap(dir) },
      idPrefix: "T",
      run,
    });
    assert.equal(r.pass, true, JSON.stringify(r.criteria.filter((c) => !c.pass)));
    assert.equal(r.report.entries_before, 4);
    assert.equal(r.report.entries_after, 8);
    assert.deepEqual(r.report.new_files, []);
    // 4 ingests, 4 parallel rebuilds, a clean rebuild, acceptance: every one built by one runner.
    assert.equal(calls.length, 10);
    assert.equal(calls.filter((c) => c.startsWith("ingest --kb ")).length, 4);
    assert.equal(calls.at(-1), `acceptance ${bootpack} --map ${exampleMap(dir)}`);
  });
});

Deno.test("runConcurrencyGate() fails a writer that loses an entry or leaves a file behind", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, '[{"id": "OLD", "title": "old"}]\n');
    // A broken writer: says it succeeded, wrote nothing, and left a stray file.
    const run: ConcurrencyRunner = async (args): Promise<CliProcessResult> => {
      if (args[0] === "ingest") await Deno.writeTextFile(`${dir}/stray.json`, "{}");
      return { code: 0, stdout: "", stderr: "", ms: 1, timedOut: false };
    };
    const r = await runConcurrencyGate({
      dir,
      kb,
      writers: 3,
      calibration: DEFAULT_CALIBRATION,
      run,
      idPrefix: "X",
    });
    assert.equal(r.pass, false);
    assert.equal(r.report.pass, false);
    assert.deepEqual(r.report.missing, ["X-1", "X-2", "X-3"]);
    assert.deepEqual(r.report.new_files, ["stray.json"]);
    const failed = r.criteria.filter((c) => !c.pass).map((c) => c.criterion);
    assert.deepEqual(failed, [
      "every new entry present exactly once, every old entry kept",
      "residual locks, temporary and other new files after the ingests",
    ]);
    const residual = r.criteria.find((c) => c.criterion.startsWith("residual"))!;
    assert.equal(residual.measured, "0 locks, 0 temporary, 1 other: stray.json");
    await assert.rejects(
      () => runConcurrencyGate({ dir, kb, writers: 0, calibration: DEFAULT_CALIBRATION }),
      RangeError,
    );
  });
});

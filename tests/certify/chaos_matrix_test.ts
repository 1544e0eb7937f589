import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import {
  type ChaosCommand,
  chaosCommands,
  type ChaosObservation,
  type ChaosReference,
  judgeChaosCell,
  runChaosMatrix,
} from "../../lib/certify/chaos_matrix.ts";
import { CHAOS_MODES } from "../../lib/io/file_read.ts";
import { sha256Hex } from "../../lib/core/sha256.ts";
import { copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";

/** Fast thresholds: TIMEOUT costs 4 x 500 ms instead of 4 x 5 s (and a loaded machine still reads in time). */
const FAST = { ...DEFAULT_CALIBRATION, io_timeout_ms: 500, retry_backoff_ms: 1 };

const GATE: ChaosCommand = {
  name: "acceptance",
  budget: "acceptance",
  writes: false,
  blockOn: "gate",
  args: () => [],
};
const WRITER: ChaosCommand = {
  name: "rebuild",
  budget: "rebuild",
  writes: true,
  blockOn: "stderr",
  args: () => [],
};
const OLD = { "b.txt": "OLD", "kb/kb.json": "KB" };
const NEW = { "b.txt": "NEW", "kb/kb.json": "KB" };
const GATE_REF: ChaosReference = {
  code: 0,
  stdout: "entries=4|blocking=2\n[PASS] ok\n",
  before: OLD,
  after: OLD,
};
const WRITER_REF: ChaosReference = { code: 0, stdout: "", before: OLD, after: NEW };

function obs(partial: Partial<ChaosObservation>): ChaosObservation {
  return { code: 1, stdout: "", stderr: "", timedOut: false, before: OLD, after: OLD, ...partial };
}

const BLOCK = "entries=NA|blocking=NA\n[GATE-BLOCK] BOOTPACK_IO_ERROR: x (4 attempts)\n";

Deno.test("judgeChaosCell() accepts a block that leaves every file unchanged", () => {
  const j = judgeChaosCell(GATE, "ERROR", obs({ stdout: BLOCK }), GATE_REF, 3);
  assert.deepEqual([j.outcome, j.pass, j.attempts], ["BLOCK", true, 4]);
  const w = judgeChaosCell(
    WRITER,
    "CORRUPT",
    obs({ stderr: "bootpack: error: bad\n" }),
    WRITER_REF,
    3,
  );
  assert.deepEqual([w.outcome, w.pass], ["BLOCK", true]);
});

Deno.test("judgeChaosCell() rejects a PASS under a fault that cannot give the right answer", () => {
  for (const mode of ["TIMEOUT", "ERROR", "PARTIAL", "EMPTY", "CORRUPT"] as const) {
    const j = judgeChaosCell(GATE, mode, obs({ code: 0, stdout: GATE_REF.stdout }), GATE_REF, 3);
    assert.equal(j.pass, false, mode);
    assert.match(j.reason, /not injected/);
  }
});

Deno.test("judgeChaosCell() rejects a PASS with wrong numbers under LATENCY", () => {
  const wrong = obs({ code: 0, stdout: "entries=3|blocking=2\n[PASS] ok\n" });
  const j = judgeChaosCell(GATE, "LATENCY", wrong, GATE_REF, 3);
  assert.equal(j.pass, false);
  assert.match(j.reason, /output differs/);
  const right = judgeChaosCell(
    GATE,
    "LATENCY",
    obs({ code: 0, stdout: GATE_REF.stdout }),
    GATE_REF,
    3,
  );
  assert.deepEqual([right.outcome, right.pass], ["PASS", true]);
});

Deno.test("judgeChaosCell() rejects a partial write: blocked but files changed", () => {
  const partial = { ...OLD, "b.txt": "OL" };
  const j = judgeChaosCell(
    WRITER,
    "PARTIAL",
    obs({ stderr: "error\n", after: partial }),
    WRITER_REF,
    3,
  );
  assert.equal(j.pass, false);
  assert.deepEqual(j.fileChanges, ["~ b.txt"]);
  const leftover = { ...OLD, "b.txt.tmp-1": "x" };
  const k = judgeChaosCell(
    WRITER,
    "ERROR",
    obs({ stderr: "error\n", after: leftover }),
    WRITER_REF,
    3,
  );
  assert.deepEqual([k.pass, k.fileChanges], [false, ["+ b.txt.tmp-1"]]);
});

Deno.test("judgeChaosCell() accepts a writer's LATENCY run only with the reference's files", () => {
  const good = judgeChaosCell(WRITER, "LATENCY", obs({ code: 0, after: NEW }), WRITER_REF, 3);
  assert.equal(good.pass, true);
  const bad = judgeChaosCell(
    WRITER,
    "LATENCY",
    obs({ code: 0, after: { ...NEW, "b.txt": "NE" } }),
    WRITER_REF,
    3,
  );
  assert.equal(bad.pass, false);
  assert.deepEqual(bad.fileChanges, ["~ b.txt"]);
  const blocked = judgeChaosCell(WRITER, "LATENCY", obs({ stderr: "slow\n" }), WRITER_REF, 3);
  assert.equal(blocked.pass, false);
});

Deno.test("judgeChaosCell() rejects unbounded retries, retried corruption, hangs, usage errors, crashes", () => {
  const many = obs({ stdout: BLOCK.replace("(4 attempts)", "(5 attempts)") });
  assert.match(
    judgeChaosCell(GATE, "ERROR", many, GATE_REF, 3).reason,
    /more than 1 \+ retry_count/,
  );
  const corrupt = obs({ stdout: BLOCK.replace("(4 attempts)", "(2 attempts)") });
  assert.match(
    judgeChaosCell(GATE, "CORRUPT", corrupt, GATE_REF, 3).reason,
    /corruption was retried/,
  );
  const hung = judgeChaosCell(GATE, "TIMEOUT", obs({ code: -1, timedOut: true }), GATE_REF, 3);
  assert.deepEqual([hung.outcome, hung.pass], ["HUNG", false]);
  const usage = judgeChaosCell(
    GATE,
    "ERROR",
    obs({ code: 2, stderr: "Unknown flag --chaos" }),
    GATE_REF,
    3,
  );
  assert.deepEqual([usage.outcome, usage.pass], ["USAGE", false]);
  const crash = obs({
    stdout: BLOCK,
    stderr: "error: Uncaught TypeError: x\n    at f (file:///a.ts:1:2)\n",
  });
  assert.match(judgeChaosCell(GATE, "ERROR", crash, GATE_REF, 3).reason, /stack trace/);
  const silent = judgeChaosCell(GATE, "ERROR", obs({ stdout: "entries=NA\n" }), GATE_REF, 3);
  assert.deepEqual([silent.outcome, silent.pass], ["OTHER", false]);
});

Deno.test("runChaosMatrix() finds every command fail-closed under all six modes", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(FAST));
    const { bootpack, kb } = await copyExample(dir);
    const scratch = `${dir}/scratch`;
    await Deno.mkdir(scratch);
    const commands = chaosCommands(FAST);
    const r = await runChaosMatrix(commands, {
      calibration: FAST,
      scratch,
      extraArgs: ["--calibration", `${dir}/cal.json`],
      source: {
        bootpackName: "bootpack.txt",
        bootpackBytes: await Deno.readFile(bootpack),
        kbName: "BUG_KB.json.txt",
        kbBytes: await Deno.readFile(kb),
        pointerPath: "\\\\DS-918\\kb\\BUG_KB.json.txt",
      },
    });
    assert.deepEqual(
      r.references.map((x) => [x.command, x.code]),
      commands.map((c) => [c.name, 0]),
    );
    assert.equal(r.cells.length, commands.length * 6);
    for (const cell of r.cells) {
      assert.ok(cell.judgement.pass, `${cell.command} ${cell.mode}: ${cell.judgement.reason}`);
      const expected = cell.mode === "LATENCY" ? "PASS" : "BLOCK";
      assert.equal(cell.judgement.outcome, expected, `${cell.command} ${cell.mode}`);
      if (["TIMEOUT", "ERROR", "PARTIAL", "EMPTY"].includes(cell.mode)) {
        assert.equal(cell.judgement.attempts, FAST.retry_count + 1, `${cell.command} ${cell.mode}`);
      }
    }
    assert.equal(r.pass, true);
  });
});

Deno.test("acceptance and selftest under --chaos: a block with counted attempts, or the right answer", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(FAST));
    const { bootpack, kb } = await copyExample(dir);
    const before = [
      await sha256Hex(await Deno.readFile(bootpack)),
      await sha256Hex(await Deno.readFile(kb)),
    ];
    for (const command of ["acceptance", "selftest"]) {
      const base = [
        command,
        bootpack,
        "--map",
        exampleMap(dir),
        "--calibration",
        `${dir}/cal.json`,
      ];
      const clean = await runCli(base);
      assert.equal(clean.code, 0);
      const runs = await Promise.all(CHAOS_MODES.map((m) => runCli([...base, "--chaos", m])));
      for (const [i, mode] of CHAOS_MODES.entries()) {
        const r = runs[i]!;
        if (mode === "LATENCY") {
          assert.deepEqual([r.code, r.stdout], [0, clean.stdout], mode);
          continue;
        }
        assert.equal(r.code, 1, `${command} ${mode}`);
        const verdict = r.stdout.trimEnd().split("\n").at(-1)!;
        assert.match(verdict, /^\[GATE-BLOCK\] BOOTPACK_/, `${command} ${mode}`);
        assert.ok(!r.stdout.includes("[PASS]"));
        assert.equal(r.stderr.includes("Uncaught"), false);
        if (mode === "CORRUPT") assert.match(verdict, /BOOTPACK_INVALID_UTF8/);
        else assert.match(verdict, /\(4 attempts\)$/, `${command} ${mode}`);
      }
    }
    const after = [
      await sha256Hex(await Deno.readFile(bootpack)),
      await sha256Hex(await Deno.readFile(kb)),
    ];
    assert.deepEqual(after, before);
  });
});

Deno.test("ingest and rebuild under --chaos: a block leaves every file byte-for-byte, LATENCY writes", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(FAST));
    const cal = ["--calibration", `${dir}/cal.json`];
    const entry = `${dir}/entry.json`;
    await Deno.writeTextFile(entry, '{ "id": "CHAOS-1", "title": "probe" }\n');
    const rw = ["--allow-read", "--allow-write"];
    await Promise.all(CHAOS_MODES.map(async (mode) => {
      const w = `${dir}/${mode}`;
      await Deno.mkdir(w);
      const files = async (): Promise<string[]> => {
        const out: string[] = [];
        for await (const e of Deno.readDir(w)) {
          out.push(`${e.name}:${await sha256Hex(await Deno.readFile(`${w}/${e.name}`))}`);
        }
        return out.sort();
      };
      const { bootpack, kb } = await copyExample(w);
      const before = await files();
      const ingest = await runCli(
        ["ingest", "--kb", kb, "--entry", entry, "--chaos", mode, ...cal],
        {
          permissions: rw,
        },
      );
      const rebuild = await runCli(["rebuild", bootpack, "--kb", kb, "--chaos", mode, ...cal], {
        permissions: rw,
      });
      if (mode === "LATENCY") {
        assert.deepEqual([ingest.code, rebuild.code], [0, 0], ingest.stderr + rebuild.stderr);
        const after = await files();
        assert.equal(after.length, 2, "no lock or temporary file left");
        assert.notDeepEqual(after, before);
        const check = await runCli(["acceptance", bootpack, "--strict", "--map", exampleMap(w)]);
        assert.equal(check.code, 0, check.stdout);
        assert.match(check.stdout, /^entries=5\|/);
        return;
      }
      assert.equal(ingest.code, 1, `ingest ${mode}`);
      assert.equal(rebuild.code, 1, `rebuild ${mode}`);
      assert.notEqual(ingest.stderr, "");
      assert.equal((ingest.stderr + rebuild.stderr).includes("Uncaught"), false);
      assert.deepEqual(await files(), before, `${mode}: files changed or left behind`);
    }));
  });
});

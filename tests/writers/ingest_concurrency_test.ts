import { deepEqual, equal, ok } from "node:assert/strict";
import { acquireFileLock } from "../../lib/io/file_lock.ts";
import { ROOT, runCli, withTempDir } from "../_helpers.ts";
import { type Child, kbIds, residue, spawn } from "../_writers.ts";

const INITIAL = '[\n  {\n    "id": "seed"\n  }\n]\n';

async function ingestAll(kb: string, n: number, prefix: string): Promise<number[]> {
  const children = Array.from(
    { length: n },
    (_, i) =>
      spawn("cli.ts", ["ingest", "--kb", kb, "--entry", "-"], {
        input: JSON.stringify({ id: `${prefix}-${i}` }),
      }),
  );
  return (await Promise.all(children.map((c) => c.done()))).map((r) => r.code);
}

for (const n of [10, 100]) {
  Deno.test(`${n} concurrent ingest processes lose no update and leave nothing behind`, async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/BUG_KB.json.txt`;
      await Deno.writeTextFile(kb, INITIAL);
      const codes = await ingestAll(kb, n, "w");
      deepEqual(codes, Array(n).fill(0));
      const ids = await kbIds(kb);
      equal(ids.length, n + 1);
      deepEqual(
        [...ids].sort(),
        ["seed", ...Array.from({ length: n }, (_, i) => `w-${i}`)].sort(),
      );
      deepEqual(await residue(dir), []);
    });
  });
}

/** Writers released together by a barrier, each holding the read-modify-write window open. */
async function barrierRun(
  kb: string,
  n: number,
  lock: boolean,
  holdMs: number,
): Promise<number[]> {
  const children: Child[] = Array.from(
    { length: n },
    (_, i) =>
      spawn("tests/_writer_child.ts", [
        "ingest",
        kb,
        JSON.stringify({ id: `b-${i}` }),
        "--barrier",
        "--hold-ms",
        String(holdMs),
        ...(lock ? [] : ["--no-lock"]),
      ], { stdin: true }),
  );
  for (const c of children) equal(await c.nextLine(), "ready");
  await Promise.all(children.map((c) => c.send("go")));
  return (await Promise.all(children.map((c) => c.done()))).map((r) => r.code);
}

Deno.test("without the lock, concurrent ingests lose updates (the control the lock test is measured against)", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    const codes = await barrierRun(kb, 8, false, 150);
    deepEqual(codes, Array(8).fill(0));
    const ids = await kbIds(kb);
    ok(ids.length < 9, `no update was lost without the lock (${ids.length} entries)`);
  });
});

Deno.test("with the lock, the same barrier-released writers lose nothing", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    const codes = await barrierRun(kb, 8, true, 20);
    deepEqual(codes, Array(8).fill(0));
    equal((await kbIds(kb)).length, 9);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("a reader parsing the KB in a loop while writers run never sees a partial file", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    let stop = false;
    let reads = 0;
    let last = 1;
    const problems: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const text = await Deno.readTextFile(kb);
        reads++;
        try {
          const n = (JSON.parse(text) as unknown[]).length;
          if (n < last) problems.push(`count went back from ${last} to ${n}`);
          last = n;
        } catch (error) {
          problems.push(`partial or invalid read (${text.length} bytes): ${error}`);
        }
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    const codes = await ingestAll(kb, 20, "r");
    stop = true;
    await reader;
    deepEqual(codes, Array(20).fill(0));
    deepEqual(problems, []);
    ok(reads > 20, `only ${reads} reads`);
    equal(last, 21);
  });
});

const KILL_POINTS = ["locked", "read", "mid-write", "before-rename", "renamed"] as const;

for (const point of KILL_POINTS) {
  Deno.test(`SIGKILL of a writer at "${point}" leaves the KB old or new and the next writer unblocked`, async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      await Deno.writeTextFile(kb, INITIAL);
      const before = await Deno.readTextFile(kb);
      const child = spawn("tests/_writer_child.ts", [
        "ingest",
        kb,
        '{"id":"killed"}',
        "--pause-at",
        point,
      ]);
      equal(await child.nextLine(), `at ${point}`);
      child.process.kill("SIGKILL");
      equal((await child.done()).signal, "SIGKILL");
      const after = await Deno.readTextFile(kb);
      const ids = await kbIds(kb);
      if (point === "renamed") deepEqual(ids, ["seed", "killed"]);
      else equal(after, before, "the KB changed although the rename never happened");
      if (point === "mid-write" || point === "before-rename") {
        equal((await residue(dir)).filter((n) => n.includes(".tmp-")).length, 1);
      }
      // The next writer is not blocked, and cleans up what the killed one left.
      const codes = await ingestAll(kb, 1, "next");
      deepEqual(codes, [0]);
      deepEqual(
        await kbIds(kb),
        point === "renamed" ? ["seed", "killed", "next-0"] : [
          "seed",
          "next-0",
        ],
      );
      deepEqual(await residue(dir), []);
    });
  });
}

Deno.test("SIGKILL of a writer waiting for the lock leaves the holder and the next writer unaffected", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    const lock = await acquireFileLock(kb, { waitMs: 1000, pollMs: 5 });
    const child = spawn("tests/_writer_child.ts", [
      "ingest",
      kb,
      '{"id":"killed"}',
      "--pause-at",
      "waiting",
    ]);
    try {
      equal(await child.nextLine(), "at waiting");
      child.process.kill("SIGKILL");
      equal((await child.done()).signal, "SIGKILL");
    } finally {
      await lock.release();
    }
    deepEqual(await kbIds(kb), ["seed"]);
    deepEqual(await ingestAll(kb, 1, "next"), [0]);
    deepEqual(await kbIds(kb), ["seed", "next-0"]);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("a rename refused with EPERM is retried at most retry_count times", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    // 3 refusals, retry_count 3: the 4th attempt succeeds.
    const passes = await spawn("tests/_writer_child.ts", [
      "ingest",
      kb,
      '{"id":"a"}',
      "--fail-rename",
      "3",
    ]).done();
    equal(passes.code, 0);
    deepEqual(JSON.parse(passes.lines.at(-1)!), { ok: true, renames: 4 });
    deepEqual(await kbIds(kb), ["seed", "a"]);
    // 4 refusals: 1 + 3 attempts, then the KB is left as it was and the temporary file removed.
    const before = await Deno.readFile(kb);
    const fails = await spawn("tests/_writer_child.ts", [
      "ingest",
      kb,
      '{"id":"b"}',
      "--fail-rename",
      "100",
    ]).done();
    equal(fails.code, 1);
    deepEqual(JSON.parse(fails.lines.at(-1)!), {
      ok: false,
      code: "RETRY_EXHAUSTED",
      written: false,
      renames: 4,
    });
    deepEqual(await Deno.readFile(kb), before);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("the rename retry bound follows calibration retry_count", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    for (const retries of [0, 1, 5]) {
      const r = await spawn("tests/_writer_child.ts", [
        "ingest",
        kb,
        '{"id":"x"}',
        "--fail-rename",
        "100",
        "--retry-count",
        String(retries),
      ]).done();
      equal(r.code, 1);
      equal(JSON.parse(r.lines.at(-1)!).renames, retries + 1, `retry_count ${retries}`);
    }
    equal(await Deno.readTextFile(kb), INITIAL);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("ingest gives up after lock_wait_ms naming the lock file and its holder; KB unchanged", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, INITIAL);
    const calibration = JSON.parse(await Deno.readTextFile(`${ROOT}/budgets/calibration.json`));
    await Deno.writeTextFile(
      `${dir}/cal.json`,
      JSON.stringify({ ...calibration, lock_wait_ms: 300 }),
    );
    const lock = await acquireFileLock(kb, { waitMs: 1000, pollMs: 5 });
    try {
      const r = await runCli(
        ["ingest", "--kb", kb, "--entry", "-", "--calibration", `${dir}/cal.json`],
        { permissions: ["--allow-read", "--allow-write"], stdin: '{"id":"late"}' },
      );
      equal(r.code, 1);
      ok(
        r.stderr.includes(
          `LOCK_TIMEOUT: Cannot lock "${kb}.lock": held by pid ${Deno.pid} on host `,
        ),
        r.stderr,
      );
      ok(/gave up after \d+ ms; nothing written\n$/.test(r.stderr), r.stderr);
    } finally {
      await lock.release();
    }
    equal(await Deno.readTextFile(kb), INITIAL);
    deepEqual(await residue(dir), []);
  });
});

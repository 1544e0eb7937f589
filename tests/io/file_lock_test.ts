import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  acquireFileLock,
  LockFileError,
  lockPathOf,
  LockTimeoutError,
  withFileLock,
} from "../../lib/io/file_lock.ts";
import { withTempDir } from "../_helpers.ts";
import { rejectsWith as assertRejects, residue, spawn } from "../_writers.ts";

interface Hold {
  start: number;
  end: number;
}

interface RaceResult {
  results: { code: number; lines: string[] }[];
  holds: Hold[];
  overlaps: number;
  staleRetries: number;
  counter: number;
}

async function race(
  dir: string,
  processes: number,
  iterations: number,
  naive: boolean,
): Promise<RaceResult> {
  const target = `${dir}/kb.json`;
  const children = Array.from(
    { length: processes },
    () => spawn("tests/_lock_child.ts", [target, String(iterations), ...(naive ? ["naive"] : [])]),
  );
  const results = await Promise.all(children.map((c) => c.done()));
  const holds: Hold[] = [];
  let overlaps = 0;
  let staleRetries = 0;
  for (const r of results) {
    for (const line of r.lines) {
      const v = JSON.parse(line);
      if (v.overlap) overlaps++;
      else if (typeof v.staleRetries === "number") staleRetries += v.staleRetries;
      else holds.push(v);
    }
  }
  const counter = Number(await Deno.readTextFile(`${target}.counter`).catch(() => "0"));
  return { results, holds, overlaps, staleRetries, counter };
}

Deno.test("acquireFileLock() keeps hold intervals apart while holders, waiters and removal race", async () => {
  await withTempDir(async (dir) => {
    const P = 6;
    const K = 40;
    const r = await race(dir, P, K, false);
    assertEquals(r.results.map((x) => x.code), Array(P).fill(0));
    assertEquals(r.overlaps, 0);
    assertEquals(r.counter, P * K, "a read-modify-write under the lock was lost");
    assertEquals(r.holds.length, P * K);
    const sorted = [...r.holds].sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < sorted.length; i++) {
      assert(sorted[i]!.start >= sorted[i - 1]!.end, `holds ${i - 1} and ${i} overlap`);
    }
    // The race the verification exists for did happen (orphaned lock files were caught).
    assert(r.staleRetries > 0, "the removal race was never exercised");
    assertEquals(await residue(dir), []);
  });
});

Deno.test("the race test detects overlaps when the lock is not verified (control)", async () => {
  await withTempDir(async (dir) => {
    const P = 6;
    const K = 40;
    const r = await race(dir, P, K, true);
    assert(
      r.overlaps > 0 || r.counter < P * K,
      `the unverified lock never overlapped (counter ${r.counter}): the race test is blind`,
    );
  });
});

Deno.test("acquireFileLock() excludes a second handle of the same process and times out naming the holder", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    const lock = await acquireFileLock(target, { waitMs: 1000, pollMs: 5 });
    try {
      let waited = 0;
      const error = await assertRejects(
        () => acquireFileLock(target, { waitMs: 150, pollMs: 5, onWait: () => void waited++ }),
        LockTimeoutError,
      );
      assertEquals(waited, 1);
      assertEquals(error.lockPath, lockPathOf(target));
      assertEquals(error.owner?.pid, Deno.pid);
      assert(error.message.startsWith(`Cannot lock "${target}.lock": held by pid ${Deno.pid}`));
      if (Deno.build.os === "linux") assert(error.owner?.host, "no host on Linux");
    } finally {
      await lock.release();
    }
    assertEquals(await residue(dir), []);
    // Released: the next one gets it at once.
    await withFileLock(target, () => Promise.resolve(), { waitMs: 100, pollMs: 5 });
    assertEquals(await residue(dir), []);
  });
});

Deno.test("acquireFileLock() is not blocked by a lock file left by a killed holder", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    // A holder that never releases: the lock child with a huge iteration count holds and loops.
    await Deno.writeTextFile(
      `${dir}/hold.ts`,
      `
      import { acquireFileLock } from "${
        new URL("../../lib/io/file_lock.ts", import.meta.url).href
      }";
      await acquireFileLock(${JSON.stringify(target)}, { waitMs: 1000, pollMs: 5 });
      console.log("held");
      setInterval(() => {}, 1000);
    `,
    );
    const child = spawn(`${dir}/hold.ts`, []);
    assertEquals(await child.nextLine(), "held");
    await assertRejects(
      () => acquireFileLock(target, { waitMs: 50, pollMs: 5 }),
      LockTimeoutError,
    );
    child.process.kill("SIGKILL");
    const status = await child.done();
    assertEquals(status.signal, "SIGKILL");
    assertEquals(await residue(dir), ["kb.json.lock"]);
    const lock = await acquireFileLock(target, { waitMs: 1000, pollMs: 5 });
    await lock.release();
    assertEquals(await residue(dir), []);
  });
});

const posixOnly = Deno.build.os === "windows";
const OPTS = { waitMs: 500, pollMs: 5 };

Deno.test({
  name:
    "acquireFileLock() refuses a lock file planted as a symlink; the victim stays byte-identical",
  ignore: posixOnly,
  fn: async () => {
    await withTempDir(async (dir) => {
      const victim = `${dir}/victim.txt`;
      await Deno.writeTextFile(victim, "precious\n");
      const before = (await Deno.stat(victim)).mtime?.getTime();
      await Deno.symlink(victim, `${dir}/kb.json.lock`);
      const error = await assertRejects(
        () => acquireFileLock(`${dir}/kb.json`, OPTS),
        LockFileError,
      );
      assertEquals(error.code, "LOCK_NOT_REGULAR");
      assert(error.message.includes("symbolic link") && error.message.includes("kb.json.lock"));
      assertEquals(await Deno.readTextFile(victim), "precious\n");
      assertEquals((await Deno.stat(victim)).mtime?.getTime(), before);
      assert((await Deno.lstat(`${dir}/kb.json.lock`)).isSymlink, "the link was not removed");
      // A dangling link is not followed either: nothing is created where it points.
      await Deno.remove(`${dir}/kb.json.lock`);
      await Deno.symlink(`${dir}/created-by-link`, `${dir}/kb.json.lock`);
      await assertRejects(() => acquireFileLock(`${dir}/kb.json`, OPTS), LockFileError);
      await assertRejects(() => Deno.lstat(`${dir}/created-by-link`), Deno.errors.NotFound);
    });
  },
});

Deno.test({
  name: "acquireFileLock() refuses a FIFO, a folder and a hard-linked file as lock file",
  ignore: posixOnly,
  fn: async () => {
    await withTempDir(async (dir) => {
      const mk = await new Deno.Command("mkfifo", { args: [`${dir}/a.lock`] }).output();
      assert(mk.success);
      await Deno.mkdir(`${dir}/b.lock`);
      await Deno.writeTextFile(`${dir}/other.txt`, "other\n");
      await Deno.link(`${dir}/other.txt`, `${dir}/c.lock`);
      const found: string[] = [];
      for (const name of ["a", "b", "c"]) {
        const e = await assertRejects(() => acquireFileLock(`${dir}/${name}`, OPTS), LockFileError);
        found.push(e.message.replace(/^.*it is (.*), not a plain.*$/, "$1"));
      }
      assertEquals(found, ["a FIFO", "a folder", "a file with 2 hard links"]);
      assertEquals(await Deno.readTextFile(`${dir}/other.txt`), "other\n");
    });
  },
});

Deno.test("acquireFileLock() reuses a regular lock file left behind", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/kb.json.lock`, "stale");
    const lock = await acquireFileLock(`${dir}/kb.json`, OPTS);
    await lock.release();
    assertEquals(await residue(dir), []);
  });
});

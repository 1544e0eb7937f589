import { deepEqual, equal, match, notDeepEqual, ok } from "node:assert/strict";
import { ROOT, runCli, treeDigest, withTempDir } from "../_helpers.ts";

const EXAMPLES = `${ROOT}/examples`;

Deno.test("demo runs the whole pipeline on a scratch copy and leaves examples/ untouched", async () => {
  const before = await treeDigest(EXAMPLES);
  const r = await runCli(["demo"], {
    permissions: ["--allow-read", "--allow-write", "--allow-sys=osRelease"],
  });
  equal(r.code, 0, r.stderr);
  const verdicts = r.stdout.split("\n").filter((l) => l.startsWith("["));
  equal(verdicts.filter((l) => l.startsWith("[PASS]")).length, 6);
  equal(verdicts.filter((l) => l.startsWith("[WARN] STALE_")).length, 3);
  match(r.stdout, /^ingested id=KB-005 entries=5 sha256=[0-9A-F]{64}$/m);
  match(r.stdout, /^rebuilt .*: Entries=5 SHA256=[0-9A-F]{64}$/m);
  match(r.stdout, /^[0-9A-F]{64} {2}.*\/proofpack\/SHA256SUMS\.txt$/m);
  match(r.stdout, /^\[PASS\] (\d+)\/\1 files match, 0 missing, 0 extra, 0 modified$/m);
  match(r.stderr, /Demo complete: every step behaved as expected\./);
  deepEqual(await treeDigest(EXAMPLES), before, "examples/ changed");
});

Deno.test("demo from a folder without the example says how to run it, exit 1", async () => {
  const r = await runCli(["demo", "--dir", "/nonexistent"], {
    permissions: ["--allow-read", "--allow-write"],
  });
  equal(r.code, 1);
  match(
    r.stderr,
    /Cannot copy the example from "\/nonexistent": .*run it from the repository root or pass --dir/,
  );
});

Deno.test("demo under --chaos stops at the first refusal, exit 1, examples untouched", async () => {
  const before = await treeDigest(EXAMPLES);
  const r = await runCli(["demo", "--chaos", "CORRUPT"], {
    permissions: ["--allow-read", "--allow-write", "--allow-sys=osRelease"],
  });
  equal(r.code, 1);
  match(r.stderr, /bootpack: error: demo: (stopped: .*not valid UTF-8|unexpected results: .*)/);
  ok(!r.stderr.includes("internal error"));
  deepEqual(await treeDigest(EXAMPLES), before, "examples/ changed");
});

Deno.test("treeDigest() sees one changed byte, a mode, a new file and a removed one", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/a.txt`, "abc");
    await Deno.writeTextFile(`${dir}/b.txt`, "xyz");
    const before = await treeDigest(dir);
    equal(before.length, 3);
    deepEqual(await treeDigest(dir), before);
    const changes: (() => Promise<void>)[] = [
      () => Deno.writeTextFile(`${dir}/sub/a.txt`, "abd"),
      () => Deno.chmod(`${dir}/b.txt`, 0o600),
      () => Deno.writeTextFile(`${dir}/sub/c.txt`, ""),
      () => Deno.remove(`${dir}/b.txt`),
    ];
    let previous = before;
    for (const change of changes) {
      await change();
      const now = await treeDigest(dir);
      notDeepEqual(now, previous);
      previous = now;
    }
  });
});

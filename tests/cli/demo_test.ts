import { equal, match, ok } from "node:assert/strict";
import { ROOT, runCli } from "../_helpers.ts";

Deno.test("demo runs the whole pipeline on a scratch copy and leaves examples/ untouched", async () => {
  const before = [
    await Deno.readFile(`${ROOT}/examples/bootpack.txt`),
    await Deno.readFile(`${ROOT}/examples/BUG_KB.json.txt`),
  ];
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
  const after = [
    await Deno.readFile(`${ROOT}/examples/bootpack.txt`),
    await Deno.readFile(`${ROOT}/examples/BUG_KB.json.txt`),
  ];
  ok(
    before.every((b, i) => b.length === after[i]!.length && b.every((x, j) => x === after[i]![j])),
  );
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
  const r = await runCli(["demo", "--chaos", "CORRUPT"], {
    permissions: ["--allow-read", "--allow-write", "--allow-sys=osRelease"],
  });
  equal(r.code, 1);
  match(r.stderr, /bootpack: error: demo: (stopped: .*not valid UTF-8|unexpected results: .*)/);
  ok(!r.stderr.includes("internal error"));
});

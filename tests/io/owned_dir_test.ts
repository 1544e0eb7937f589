import assert from "node:assert/strict";
import { OwnedDir, removeAllOwnedDirs } from "../../lib/io/owned_dir.ts";
import { withTempDir } from "../_helpers.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("OwnedDir.create() refuses an existing --out and leaves it as it is", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/out`);
    await assert.rejects(() => OwnedDir.create(`${dir}/out`), Deno.errors.AlreadyExists);
    await Deno.writeTextFile(`${dir}/file`, "mine");
    await assert.rejects(() => OwnedDir.create(`${dir}/file`), Deno.errors.AlreadyExists);
    assert.deepEqual(await names(dir), ["file", "out"]);
    assert.equal(await Deno.readTextFile(`${dir}/file`), "mine");
  });
});

Deno.test("OwnedDir.publish() fails when something appears at --out meanwhile, and leaves it", async () => {
  await withTempDir(async (dir) => {
    // A file put into the reserved folder.
    const a = await OwnedDir.create(`${dir}/a`);
    await Deno.writeTextFile(`${a.work}/pack.txt`, "pack");
    await Deno.writeTextFile(`${dir}/a/theirs.txt`, "theirs");
    await assert.rejects(() => a.publish(), Deno.errors.AlreadyExists);
    await a.discard();
    assert.equal(await Deno.readTextFile(`${dir}/a/theirs.txt`), "theirs");
    // The reserved folder replaced by another (empty) one.
    const b = await OwnedDir.create(`${dir}/b`);
    await Deno.remove(`${dir}/b`);
    await new Promise((r) => setTimeout(r, 5)); // the new folder may reuse the inode number
    await Deno.mkdir(`${dir}/b`);
    await assert.rejects(() => b.publish(), Deno.errors.AlreadyExists);
    await b.discard();
    assert((await Deno.lstat(`${dir}/b`)).isDirectory);
    assert.deepEqual(await names(dir), ["a", "b"]); // no partial folder left
    // Control: undisturbed, it publishes.
    const c = await OwnedDir.create(`${dir}/c`);
    await Deno.writeTextFile(`${c.work}/x`, "x");
    await c.publish();
    assert.equal(await Deno.readTextFile(`${dir}/c/x`), "x");
  });
});

Deno.test("removeAllOwnedDirs() removes what this run created and nothing else", async () => {
  await withTempDir(async (dir) => {
    const a = await OwnedDir.create(`${dir}/a`);
    await Deno.writeTextFile(`${a.work}/x`, "x");
    const b = await OwnedDir.create(`${dir}/b`);
    await Deno.writeTextFile(`${dir}/b/theirs.txt`, "theirs"); // not empty: not ours to remove
    removeAllOwnedDirs();
    assert.deepEqual(await names(dir), ["b"]);
    assert.equal(await Deno.readTextFile(`${dir}/b/theirs.txt`), "theirs");
    await b.discard();
  });
});

Deno.test("OwnedDir.create() removes the leftovers of dead runs, never of live ones", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/out`);
    const ino = (await Deno.lstat(`${dir}/out`)).ino;
    // A dead run: its partial folder and its lock file, which nobody holds any more.
    const dead = `${dir}/out.bootpack-partial-7-${ino}-0badc0de`;
    await Deno.mkdir(dead);
    await Deno.writeTextFile(`${dead}/x`, "x");
    await Deno.writeTextFile(`${dead}.lock`, "");
    // A live run: the same, with its lock held (here by this process, on another handle).
    const alive = `${dir}/out.bootpack-partial-8-${ino}-0badbeef`;
    await Deno.mkdir(alive);
    const held = await Deno.open(`${alive}.lock`, { write: true, create: true });
    assert(await held.tryLock(true));
    // A look-alike name this module never makes.
    await Deno.mkdir(`${dir}/out.bootpack-partial-mine`);
    try {
      const o = await OwnedDir.create(`${dir}/out`);
      await o.publish();
      assert.deepEqual(await names(dir), [
        "out",
        `out.bootpack-partial-8-${ino}-0badbeef`,
        `out.bootpack-partial-8-${ino}-0badbeef.lock`,
        "out.bootpack-partial-mine",
      ]);
    } finally {
      held.close();
    }
  });
});

/**
 * The writers against what an attacker (or a confused share) plants around the target: lock
 * files that are links, FIFOs or folders, names that alias one KB, a read-only BootPack, and a
 * fault after the rename. Real files, real processes.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { runCli, withTempDir } from "../_helpers.ts";
import { kbIds, residue, runsAsRoot, spawn } from "../_writers.ts";

const RW = ["--allow-read", "--allow-write"];
const posix = Deno.build.os !== "windows";

async function ingest(
  kb: string,
  id: string,
  json = false,
): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(["ingest", "--kb", kb, "--entry", "-", ...(json ? ["--json"] : [])], {
    permissions: RW,
    stdin: JSON.stringify({ id }),
  });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

Deno.test({
  name:
    "ingest and rebuild refuse a planted lock symlink; the file it points to stays byte-identical",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/BUG_KB.json.txt`;
      const bootpack = `${dir}/bootpack.txt`;
      const victim = `${dir}/victim.txt`;
      await Deno.writeTextFile(kb, '[{"id":"a"}]\n');
      await Deno.writeTextFile(bootpack, "Notes\n");
      await Deno.writeTextFile(victim, "precious\n");
      await Deno.symlink(victim, `${kb}.lock`);
      await Deno.symlink(victim, `${bootpack}.lock`);
      const i = await ingest(kb, "b", true);
      equal(i.code, 1);
      equal(JSON.parse(i.out).code, "LOCK_NOT_REGULAR");
      ok(i.err.includes("symbolic link"), i.err);
      const r = await runCli(["rebuild", bootpack, "--kb", kb, "--json"], { permissions: RW });
      equal(r.code, 1);
      equal(JSON.parse(r.stdout).code, "LOCK_NOT_REGULAR");
      equal(await Deno.readTextFile(victim), "precious\n");
      equal(await Deno.readTextFile(kb), '[{"id":"a"}]\n');
      equal(await Deno.readTextFile(bootpack), "Notes\n");
      ok((await Deno.lstat(`${kb}.lock`)).isSymlink);
    });
  },
});

Deno.test({
  name: "ingest refuses a lock file that is a FIFO or a folder, without blocking",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      await Deno.writeTextFile(kb, "[]\n");
      ok((await new Deno.Command("mkfifo", { args: [`${kb}.lock`] }).output()).success);
      const fifo = await ingest(kb, "b", true);
      equal(JSON.parse(fifo.out).code, "LOCK_NOT_REGULAR");
      ok(fifo.err.includes("a FIFO"), fifo.err);
      await Deno.remove(`${kb}.lock`);
      await Deno.mkdir(`${kb}.lock`);
      const folder = await ingest(kb, "b", true);
      ok(folder.err.includes("a folder"), folder.err);
      equal(await Deno.readTextFile(kb), "[]\n");
    });
  },
});

Deno.test({
  name:
    "20 concurrent ingests through two hard-linked names: all refused (KB_HARDLINKED), KB unchanged",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const a = `${dir}/a.json`;
      const b = `${dir}/b.json`;
      await Deno.writeTextFile(a, '[{"id":"seed"}]\n');
      await Deno.link(a, b);
      const children = Array.from(
        { length: 20 },
        (_, i) =>
          spawn("cli.ts", ["ingest", "--kb", i % 2 === 0 ? a : b, "--entry", "-", "--json"], {
            input: JSON.stringify({ id: `w-${i}` }),
          }),
      );
      const results = await Promise.all(children.map((c) => c.done()));
      deepEqual(results.map((r) => r.code), Array(20).fill(1));
      deepEqual(
        new Set(results.map((r) => JSON.parse(r.lines[0]!).code)),
        new Set(["KB_HARDLINKED"]),
      );
      equal(await Deno.readTextFile(a), '[{"id":"seed"}]\n');
      equal((await Deno.stat(b)).ino, (await Deno.stat(a)).ino, "the two names still alias");
      deepEqual(await residue(dir), []);
    });
  },
});

Deno.test({
  name: "20 concurrent ingests through the real name and a symlink to it lose no update",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/share`);
      const real = `${dir}/share/kb.json`;
      const link = `${dir}/kb-link.json`;
      await Deno.writeTextFile(real, '[{"id":"seed"}]\n');
      await Deno.symlink(real, link);
      const children = Array.from(
        { length: 20 },
        (_, i) =>
          spawn("cli.ts", ["ingest", "--kb", i % 2 === 0 ? real : link, "--entry", "-"], {
            input: JSON.stringify({ id: `w-${i}` }),
          }),
      );
      const results = await Promise.all(children.map((c) => c.done()));
      deepEqual(results.map((r) => r.code), Array(20).fill(0));
      const ids = await kbIds(real);
      equal(ids.length, 21);
      deepEqual(new Set(ids).size, 21);
      ok((await Deno.lstat(link)).isSymlink);
      deepEqual(await residue(dir), []);
      deepEqual(await residue(`${dir}/share`), []);
    });
  },
});

Deno.test({
  name: "rebuild refuses a read-only or hard-linked BootPack (BOOTPACK_READ_ONLY, _HARDLINKED)",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      const bootpack = `${dir}/bootpack.txt`;
      await Deno.writeTextFile(kb, "[]\n");
      await Deno.writeTextFile(bootpack, "Notes\n");
      await Deno.chmod(bootpack, 0o444);
      const r = await runCli(["rebuild", bootpack, "--kb", kb, "--json"], { permissions: RW });
      equal(r.code, 1);
      equal(JSON.parse(r.stdout).code, "BOOTPACK_READ_ONLY");
      equal(await Deno.readTextFile(bootpack), "Notes\n");
      await Deno.chmod(bootpack, 0o644);
      await Deno.link(bootpack, `${dir}/second-name.txt`);
      const linked = await runCli(["rebuild", bootpack, "--kb", kb, "--json"], {
        permissions: RW,
      });
      equal(linked.code, 1);
      equal(JSON.parse(linked.stdout).code, "BOOTPACK_HARDLINKED");
      equal(await Deno.readTextFile(`${dir}/second-name.txt`), "Notes\n");
    });
  },
});

Deno.test("a fault after the rename says the KB may already hold the new entry", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, '[{"id":"a"}]\n');
    const child = spawn("tests/_writer_child.ts", [
      "ingest",
      kb,
      '{"id":"b"}',
      "--fail-at",
      "renamed",
      "--report",
    ]);
    const r = await child.done();
    equal(r.code, 1);
    equal(r.lines.length, 2, r.lines.join("\n"));
    const refusal = JSON.parse(r.lines[0]!);
    ok(refusal.message.includes("the KB may already hold the new entry"), refusal.message);
    ok(!/nothing written|unchanged/.test(refusal.message), refusal.message);
    equal(JSON.parse(r.lines[1]!).written, true);
    deepEqual(await kbIds(kb), ["a", "b"]);
    // Before the rename, the same fault says nothing was written, and nothing was.
    const before = await spawn("tests/_writer_child.ts", [
      "ingest",
      kb,
      '{"id":"c"}',
      "--fail-at",
      "before-rename",
      "--report",
    ]).done();
    ok(JSON.parse(before.lines[0]!).message.endsWith("; the KB is unchanged"), before.lines[0]);
    deepEqual(await kbIds(kb), ["a", "b"]);
    deepEqual(await residue(dir), []);
  });
});

async function bindMount(from: string, to: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("mount", { args: ["--bind", from, to], stderr: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "20 concurrent ingests through two bind mounts of the KB's folder lose no update",
  ignore: !posix || !runsAsRoot(),
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/share`);
      await Deno.mkdir(`${dir}/mnt`);
      await Deno.writeTextFile(`${dir}/share/kb.json`, '[{"id":"seed"}]\n');
      if (!(await bindMount(`${dir}/share`, `${dir}/mnt`))) {
        // A container without CAP_SYS_ADMIN: this case cannot be exercised here.
        return;
      }
      equal(
        (await Deno.stat(`${dir}/mnt/kb.json`)).ino,
        (await Deno.stat(`${dir}/share/kb.json`)).ino,
      );
      try {
        const children = Array.from({ length: 20 }, (_, i) =>
          spawn("cli.ts", [
            "ingest",
            "--kb",
            `${dir}/${i % 2 === 0 ? "share" : "mnt"}/kb.json`,
            "--entry",
            "-",
          ], { input: JSON.stringify({ id: `w-${i}` }) }));
        const results = await Promise.all(children.map((c) => c.done()));
        deepEqual(results.map((r) => r.code), Array(20).fill(0));
        const ids = await kbIds(`${dir}/share/kb.json`);
        equal(new Set(ids).size, 21);
        deepEqual(await residue(`${dir}/share`), []);
      } finally {
        await new Deno.Command("umount", { args: [`${dir}/mnt`] }).output();
      }
    });
  },
});

Deno.test({
  name: "ingest and rebuild refuse a KB that is a FIFO at once (NOT_A_FILE), never blocking",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      ok((await new Deno.Command("mkfifo", { args: [kb] }).output()).success);
      const i = await ingest(kb, "b", true);
      equal(i.code, 1);
      equal(JSON.parse(i.out).code, "NOT_A_FILE");
      ok(!i.err.includes("retry"), i.err);
      await Deno.writeTextFile(`${dir}/bp.txt`, "Notes\n");
      const r = await runCli(["rebuild", `${dir}/bp.txt`, "--kb", kb, "--json"], {
        permissions: RW,
      });
      equal(JSON.parse(r.stdout).code, "NOT_A_FILE");
      equal(await Deno.readTextFile(`${dir}/bp.txt`), "Notes\n");
      deepEqual(await residue(dir), []);
    });
  },
});

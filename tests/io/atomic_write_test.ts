import { deepEqual, equal, ok } from "node:assert/strict";
import type { AtomicWriteSeams } from "../../lib/io/atomic_write_seams.ts";
import {
  atomicReplace,
  AtomicWriteError,
  type AtomicWriteOptions,
  isTempFileOf,
  isTransientRenameError,
  removeOrphanTempFiles,
} from "../../lib/io/atomic_write.ts";
import { RetryExhaustedError } from "../../lib/core/retry.ts";
import { withTempDir } from "../_helpers.ts";
import { rejectsWith, residue, runsAsRoot } from "../_writers.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const seamed = (o: AtomicWriteOptions & AtomicWriteSeams): AtomicWriteOptions => o;

Deno.test("atomicReplace() replaces the bytes, keeps the target's mode, leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    await Deno.writeTextFile(target, "old");
    if (Deno.build.os !== "windows") await Deno.chmod(target, 0o640);
    const steps: string[] = [];
    await atomicReplace(
      target,
      enc("new bytes"),
      seamed({ retries: 3, backoffMs: 1, onStep: (s) => void steps.push(s) }),
    );
    equal(await Deno.readTextFile(target), "new bytes");
    deepEqual(steps, ["mid-write", "before-rename"]);
    if (Deno.build.os !== "windows") equal((await Deno.stat(target)).mode! & 0o777, 0o640);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("atomicReplace() retries a transiently refused rename, at most `retries` times", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    await Deno.writeTextFile(target, "old");
    let calls = 0;
    const refuseAll = (): Promise<void> => {
      calls++;
      return Promise.reject(new Deno.errors.Busy("EBUSY (injected)"));
    };
    const error = await rejectsWith(
      () =>
        atomicReplace(target, enc("new"), seamed({ retries: 2, backoffMs: 1, rename: refuseAll })),
      RetryExhaustedError,
    );
    equal(error.attempts, 3);
    equal(calls, 3);
    equal(await Deno.readTextFile(target), "old");
    deepEqual(await residue(dir), []);
  });
});

Deno.test("atomicReplace() never retries a rename error that is not transient", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    await Deno.writeTextFile(target, "old");
    let calls = 0;
    await rejectsWith(
      () =>
        atomicReplace(
          target,
          enc("new"),
          seamed({
            retries: 5,
            backoffMs: 1,
            rename: () => {
              calls++;
              return Promise.reject(new Deno.errors.InvalidData("corrupt"));
            },
          }),
        ),
      Deno.errors.InvalidData,
    );
    equal(calls, 1);
    equal(await Deno.readTextFile(target), "old");
    deepEqual(await residue(dir), []);
  });
});

Deno.test("atomicReplace() removes its temporary file when a step fails", async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/kb.json`;
    await Deno.writeTextFile(target, "old");
    await rejectsWith(
      () =>
        atomicReplace(
          target,
          enc("new"),
          seamed({
            retries: 0,
            backoffMs: 0,
            onStep: (s) => {
              if (s === "mid-write") throw new RangeError("boom");
            },
          }),
        ),
      RangeError,
    );
    equal(await Deno.readTextFile(target), "old");
    deepEqual(await residue(dir), []);
  });
});

Deno.test("removeOrphanTempFiles() removes only the target's own temporary files", async () => {
  await withTempDir(async (dir) => {
    const names = [
      "kb.json.tmp-0123456789abcdef",
      "kb.json.tmp-fedcba9876543210",
      "other.json.tmp-0123456789abcdef",
      "kb.json.tmp-short",
      "kb.json.lock",
      "kb.json",
    ];
    for (const n of names) await Deno.writeTextFile(`${dir}/${n}`, "x");
    const removed = await removeOrphanTempFiles(`${dir}/kb.json`);
    deepEqual(removed.sort(), ["kb.json.tmp-0123456789abcdef", "kb.json.tmp-fedcba9876543210"]);
    const left: string[] = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    deepEqual(left.sort(), [
      "kb.json",
      "kb.json.lock",
      "kb.json.tmp-short",
      "other.json.tmp-0123456789abcdef",
    ]);
    ok(isTempFileOf("a/kb.json", "kb.json.tmp-0123456789abcdef"));
    ok(!isTempFileOf("a/kb.json", "xkb.json.tmp-0123456789abcdef"));
    ok(isTransientRenameError(new Deno.errors.PermissionDenied("EACCES")));
    ok(!isTransientRenameError(new Deno.errors.NotCapable("deno permission")));
  });
});

const posix = Deno.build.os !== "windows";

Deno.test({
  name: "atomicReplace() keeps mode 0640 and 0600 and sets it through the handle",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      for (const mode of [0o640, 0o600, 0o755]) {
        const target = `${dir}/kb-${mode.toString(8)}.json`;
        await Deno.writeTextFile(target, "old");
        await Deno.chmod(target, mode);
        await atomicReplace(target, enc("new"), { retries: 0, backoffMs: 0 });
        equal((await Deno.stat(target)).mode! & 0o7777, mode);
      }
      await atomicReplace(`${dir}/fresh.json`, enc("x"), { retries: 0, backoffMs: 0 });
      equal((await Deno.stat(`${dir}/fresh.json`)).mode! & 0o777, 0o644);
    });
  },
});

Deno.test({
  name: "atomicReplace() as root keeps another user's owner and group",
  ignore: !posix || !runsAsRoot(),
  fn: async () => {
    await withTempDir(async (dir) => {
      const target = `${dir}/kb.json`;
      await Deno.writeTextFile(target, "old");
      await Deno.chown(target, 65534, 65534);
      await Deno.chmod(target, 0o640);
      await atomicReplace(target, enc("new"), { retries: 0, backoffMs: 0 });
      const st = await Deno.stat(target);
      deepEqual([st.uid, st.gid, st.mode! & 0o7777], [65534, 65534, 0o640]);
      equal(await Deno.readTextFile(target), "new");
    });
  },
});

Deno.test({
  name: "atomicReplace() never changes a file planted at the temporary name (mode kept, no rename)",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const target = `${dir}/kb.json`;
      const victim = `${dir}/private.txt`;
      await Deno.writeTextFile(target, "old");
      await Deno.chmod(target, 0o644);
      await Deno.writeTextFile(victim, "secret");
      await Deno.chmod(victim, 0o600);
      for (const step of ["mid-write", "before-rename"]) {
        const error = await rejectsWith(
          () =>
            atomicReplace(
              target,
              enc("new"),
              seamed({
                retries: 0,
                backoffMs: 0,
                onStep: async (s) => {
                  if (s !== step) return;
                  // The attacker swaps the temporary name for a link to a private file.
                  for await (const e of Deno.readDir(dir)) {
                    if (!isTempFileOf(target, e.name)) continue;
                    await Deno.remove(`${dir}/${e.name}`);
                    await Deno.symlink(victim, `${dir}/${e.name}`);
                  }
                },
              }),
            ),
          AtomicWriteError,
        );
        equal(error.code, "TEMP_SWAPPED");
        equal((await Deno.stat(victim)).mode! & 0o777, 0o600);
        equal(await Deno.readTextFile(victim), "secret");
        equal(await Deno.readTextFile(target), "old");
        ok((await Deno.lstat(target)).isFile);
        for await (const e of Deno.readDir(dir)) {
          if (isTempFileOf(target, e.name)) await Deno.remove(`${dir}/${e.name}`);
        }
      }
    });
  },
});

Deno.test({
  name: "removeOrphanTempFiles() leaves a symlink named like a temporary file and its target alone",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/victim`, "v");
      await Deno.symlink(`${dir}/victim`, `${dir}/kb.json.tmp-0123456789abcdef`);
      deepEqual(await removeOrphanTempFiles(`${dir}/kb.json`), []);
      equal(await Deno.readTextFile(`${dir}/victim`), "v");
      ok((await Deno.lstat(`${dir}/kb.json.tmp-0123456789abcdef`)).isSymlink);
    });
  },
});

import assert from "node:assert/strict";
import { CLI, ROOT, withTempDir } from "../_helpers.ts";
import { PROOFPACK_PERMISSIONS, runProofpack } from "../_proofpack.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** Starts a slow export (a 1 GiB sparse file to copy and hash) and waits for its partial folder. */
async function startExport(dir: string): Promise<Deno.ChildProcess> {
  const big = `${dir}/big.bin`;
  const f = await Deno.open(big, { create: true, write: true });
  await f.truncate(1 << 30);
  f.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", ...PROOFPACK_PERMISSIONS, CLI, "proofpack", "export"]
      .concat(["--out", `${dir}/out`, big]),
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  for (let i = 0; i < 600; i++) {
    if ((await names(dir)).some((n) => n.startsWith("out.bootpack-partial-"))) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await child.output();
  throw new Error("export never started its partial folder");
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`proofpack export interrupted by ${signal} removes what it created, only that`, async () => {
    await withTempDir(async (dir) => {
      const child = await startExport(dir);
      child.kill(signal);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert(out.code !== 0, stderr);
      const left = await names(dir);
      assert.deepEqual(left, ["big.bin"], `${left.join()}: ${stderr}`);
    });
  });
}

Deno.test("after a SIGKILL of export, the next run removes the dead run's leftovers", async () => {
  await withTempDir(async (dir) => {
    const child = await startExport(dir);
    child.kill("SIGKILL");
    await child.output();
    const left = await names(dir);
    assert(left.some((n) => n.startsWith("out.bootpack-partial-")), left.join());
    await Deno.writeTextFile(`${dir}/small.txt`, "small");
    const r = await runProofpack(["export", "--out", `${dir}/out`, `${dir}/small.txt`]);
    assert(r.code === 0, r.stderr);
    assert.deepEqual(await names(dir), ["big.bin", "out", "small.txt"]);
  });
});

import assert from "node:assert/strict";
import { OwnedDir } from "../../lib/io/owned_dir.ts";
import { CLI, copyExample, exampleMap, ROOT, withTempDir } from "../_helpers.ts";

const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys=hostname,osRelease",
];

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** Processes whose command line mentions `text` (the run's own scratch paths). */
async function processesMentioning(text: string): Promise<string> {
  const out = await new Deno.Command("pgrep", { args: ["-af", "--", text] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function startCertify(dir: string): Promise<{ child: Deno.ChildProcess; partial: string }> {
  const { bootpack } = await copyExample(dir);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", ...PERMISSIONS, CLI, "certify"]
      .concat(["--bootpack", bootpack, "--map", exampleMap(dir), "--out", `${dir}/out`]),
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Wait until it runs its gates' child processes from its partial folder.
  for (let i = 0; i < 1200; i++) {
    const partial = (await names(dir)).find((n) =>
      /^out\.bootpack-partial-[\d-]+[0-9a-f]{8}$/.test(n)
    );
    if (partial !== undefined && (await processesMentioning(`${dir}/${partial}`)) !== "") {
      return { child, partial: `${dir}/${partial}` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await child.output();
  throw new Error("certify never started its gates");
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`certify interrupted by ${signal} stops its children and removes what it created`, async () => {
    await withTempDir(async (dir) => {
      const { child, partial } = await startCertify(dir);
      child.kill(signal);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert(out.code !== 0, stderr);
      assert.deepEqual(await names(dir), ["BUG_KB.json.txt", "bootpack.txt"], stderr);
      assert.equal(await processesMentioning(partial), "", "child processes still run");
    });
  });
}

Deno.test("after a SIGKILL of certify, the next run removes the dead run's leftovers", async () => {
  await withTempDir(async (dir) => {
    const { child, partial } = await startCertify(dir);
    child.kill("SIGKILL");
    await child.output();
    // Its children die with it or finish; what it left on disk is removed by the next run.
    for (let i = 0; i < 200 && (await processesMentioning(partial)) !== ""; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert((await names(dir)).includes(partial.split("/").at(-1)!));
    // The next run reserves --out through the same mechanism, which removes them first.
    const next = await OwnedDir.create(`${dir}/out`);
    await next.discard();
    assert.deepEqual(await names(dir), ["BUG_KB.json.txt", "bootpack.txt"]);
  });
});

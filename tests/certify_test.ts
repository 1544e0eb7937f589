import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../lib/calibration.ts";
import { copyExample, exampleMap, runCli, withTempDir } from "./_helpers.ts";

/** What `deno task certify` grants. */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys=hostname,osRelease",
];

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("certify --help documents the gates and exits 0", async () => {
  const r = await runCli(["certify", "--help"], { permissions: PERMISSIONS });
  assert.equal(r.code, 0);
  for (
    const g of [
      "G0 preflight",
      "G1 concurrency",
      "G2 budget",
      "G3 chaos",
      "G4 stress",
      "G5 proofpack",
    ]
  ) {
    assert.ok(r.stdout.includes(g), g);
  }
  assert.equal(r.stderr, "");
});

Deno.test("certify without --bootpack, with --chaos or a stray argument is a usage error", async () => {
  for (
    const args of [
      ["certify"],
      ["certify", "--bootpack", "b.txt", "--chaos", "ERROR"],
      ["certify", "b.txt"],
      ["certify", "--bootpak", "b.txt"],
    ]
  ) {
    const r = await runCli(args, { permissions: PERMISSIONS });
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /Usage: bootpack certify --bootpack FILE/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("certify accepts the `--` that deno task passes through", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli([
      "certify",
      "--",
      "--bootpack",
      `${dir}/missing.txt`,
      "--out",
      `${dir}/out`,
    ], {
      permissions: PERMISSIONS,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the BootPack cannot be read/);
    assert.deepEqual(await listing(dir), []);
  });
});

Deno.test("certify refuses a report folder that is not empty, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/keep.txt`, "mine");
    const r = await runCli(
      ["certify", "--bootpack", bootpack, "--map", exampleMap(dir), "--out", `${dir}/out`],
      { permissions: PERMISSIONS },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot write the report to ".*\/out": the folder is not empty/);
    assert.deepEqual(await listing(`${dir}/out`), ["keep.txt"]);
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "out"]);
  });
});

Deno.test("certify names the way out when the POINTER cannot be followed", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const r = await runCli(["certify", "--bootpack", bootpack, "--out", `${dir}/out`], {
      permissions: PERMISSIONS,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no --map FROM=TO covers it on this host; add --map FROM=TO or --kb FILE/,
    );
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt"]);
  });
});

Deno.test("certify fails closed on a calibration with a null value, naming the key", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.writeTextFile(
      `${dir}/cal.json`,
      JSON.stringify({ ...DEFAULT_CALIBRATION, STRESS_N: null }),
    );
    const r = await runCli(
      [
        "certify",
        "--bootpack",
        bootpack,
        "--map",
        exampleMap(dir),
        "--out",
        `${dir}/out`,
        "--calibration",
        `${dir}/cal.json`,
      ],
      { permissions: PERMISSIONS },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /key STRESS_N is null/);
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "cal.json"]);
  });
});

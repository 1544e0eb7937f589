import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { FileReadError } from "../../lib/io/file_read.ts";
import { ExportError, exportProofpack } from "../../lib/proofpack/export.ts";
import { copyExample, exampleMap, withTempDir } from "../_helpers.ts";
import { makePack, runProofpack, runReplaySh } from "../_proofpack.ts";

async function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

async function listFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listFiles(dir, p));
    else out.push(p);
  }
  return out.sort();
}

const PACK_FILES = [
  "MANIFEST.json",
  "SHA256SUMS.txt",
  "evidence/BUG_KB.json.txt",
  "evidence/README.md",
  "evidence/bootpack.txt",
  "gates/acceptance.txt",
  "gates/commands.json",
  "gates/selftest.txt",
  "replay.sh",
  "statement.intoto.UNSIGNED.json",
  "toolchain.json",
  "verify.ps1",
];

Deno.test("exportProofpack() writes the evidence, gate records, inventory, sums and scripts", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    assert((await listFiles(pack)).join() === PACK_FILES.join(), (await listFiles(pack)).join());
    assert(
      result.files.map((f) => f.path).join() ===
        PACK_FILES.filter((f) => f !== "SHA256SUMS.txt").join(),
    );
    // The copies are byte-identical to the sources.
    for (
      const [src, copy] of [["src/bootpack.txt", "evidence/bootpack.txt"], [
        "src/BUG_KB.json.txt",
        "evidence/BUG_KB.json.txt",
      ]]
    ) {
      const a = await Deno.readFile(`${dir}/${src}`);
      const b = await Deno.readFile(`${pack}/${copy}`);
      assert(a.length === b.length && a.every((x, i) => x === b[i]), copy);
    }
    // The gates ran on the pack's own copies, from its root, mapping the POINTER into it.
    const acceptance = await Deno.readTextFile(`${pack}/gates/acceptance.txt`);
    assert(
      acceptance.startsWith("entries=4|blocking=2|ptr_exists=True|ptr_sha_match=True|"),
      acceptance,
    );
    const selftest = await Deno.readTextFile(`${pack}/gates/selftest.txt`);
    assert(selftest.includes("[PASS] KB evidence/BUG_KB.json.txt accepted"), selftest);
    const commands = JSON.parse(await Deno.readTextFile(`${pack}/gates/commands.json`));
    assert(
      JSON.stringify(commands.gates[0].args) ===
        JSON.stringify(["acceptance", "evidence/bootpack.txt", "--map", "\\\\DS-918\\kb=evidence"]),
    );
    assert(result.gates.every((g) => g.verdict === "PASS" && g.exit_code === 0));
    // SHA256SUMS lists every file but itself, uppercase, LF; MANIFEST every content file.
    const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
    assert(
      sums.split("\n").slice(0, -1).map((l) => l.slice(66)).join() ===
        PACK_FILES.filter((f) => f !== "SHA256SUMS.txt").join(),
    );
    assert(/^([0-9A-F]{64} {2}[^\r\n]+\n)+$/.test(sums));
    const manifest = JSON.parse(await Deno.readTextFile(`${pack}/MANIFEST.json`));
    assert(manifest.created === "2023-11-14T22:13:20Z" && manifest.tool.version === "test");
    assert(
      manifest.files.map((f: { path: string }) => f.path).join() ===
        PACK_FILES.filter((f) =>
          !["MANIFEST.json", "SHA256SUMS.txt", "statement.intoto.UNSIGNED.json"].includes(f)
        ).join(),
    );
    const statement = JSON.parse(await Deno.readTextFile(`${pack}/statement.intoto.UNSIGNED.json`));
    assert(statement.subject.length === PACK_FILES.length - 2);
    assert(
      statement.predicate.result === "PASSED" &&
        statement.predicate.passedTests.join() === "acceptance,selftest",
    );
    const toolchain = JSON.parse(await Deno.readTextFile(`${pack}/toolchain.json`));
    assert(toolchain.runtime.deno === Deno.version.deno && toolchain.os.os === Deno.build.os);
    assert(((await Deno.stat(`${pack}/replay.sh`)).mode! & 0o111) !== 0, "replay.sh executable");
  });
});

Deno.test("GNU sha256sum -c --strict accepts SHA256SUMS.txt, and the root is the SHA256 of it", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const check = await run("sha256sum", ["-c", "--strict", "SHA256SUMS.txt"], pack);
    assert(check.code === 0, check.out);
    assert(
      check.out.split("\n").filter((l) => l.endsWith(": OK")).length === PACK_FILES.length - 1,
    );
    const root = await run("sha256sum", ["SHA256SUMS.txt"], pack);
    assert(root.out.slice(0, 64).toUpperCase() === result.root, root.out);
    // An independent second tool agrees too.
    const rhash = await run("rhash", ["--check", "SHA256SUMS.txt"], pack);
    assert(rhash.code === 0, rhash.out);
  });
});

Deno.test("the exported replay.sh passes shellcheck and replays the pack: exit 0", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const sc = await run("shellcheck", ["replay.sh"], pack);
    assert(sc.code === 0, sc.out);
    const r = await runReplaySh(pack);
    assert(r.code === 0, r.stderr);
    assert(
      r.stderr.includes("replay: reproduced the recorded verdicts: acceptance PASS;selftest PASS"),
      r.stderr,
    );
    assert(
      r.stderr.endsWith(
        "replay: [PASS] replayed; self-consistent only (does not prove against anyone who can " +
          "rewrite the sums)\n",
      ),
      r.stderr,
    );
  });
});

Deno.test("replay.sh without BOOTPACK_CLI cannot replay the gates: exit 2", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const out = await new Deno.Command("bash", {
      args: [`${pack}/replay.sh`],
      env: { BOOTPACK_CLI: "" },
      stderr: "piped",
    }).output();
    assert(out.code === 2, String(out.code));
    assert(new TextDecoder().decode(out.stderr).includes("set BOOTPACK_CLI"));
  });
});

Deno.test("exportProofpack() is deterministic: same inputs, byte-identical packs", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const again = await exportProofpack(`${dir}/pack2`, {
      bootpack: `${dir}/src/bootpack.txt`,
      kb: `${dir}/src/BUG_KB.json.txt`,
      files: [`${dir}/src/README.md`],
      createdAt: new Date(1_700_000_000_000),
      toolVersion: "test",
    });
    assert(again.root === result.root);
    for (const f of PACK_FILES) {
      const a = await Deno.readFile(`${pack}/${f}`);
      const b = await Deno.readFile(`${dir}/pack2/${f}`);
      assert(a.length === b.length && a.every((x, i) => x === b[i]), f);
    }
  });
});

Deno.test("proofpack export (CLI) prints the root digest; SOURCE_DATE_EPOCH makes runs identical", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const roots: string[] = [];
    for (const out of ["p1", "p2"]) {
      const r = await runProofpack(
        ["export", "--out", `${dir}/${out}`, "--bootpack", bootpack, "--map", exampleMap(dir)],
        { SOURCE_DATE_EPOCH: "1700000000" },
      );
      assert(r.code === 0, r.stderr);
      assert(r.stdout === `${r.stdout.slice(0, 64)}  ${dir}/${out}/SHA256SUMS.txt\n`, r.stdout);
      roots.push(r.stdout.slice(0, 64));
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/${out}/MANIFEST.json`));
      assert(manifest.created === "2023-11-14T22:13:20Z");
    }
    assert(
      roots[0] === roots[1],
      `${roots.join(" ")}\n${await Deno.readTextFile(`${dir}/p1/SHA256SUMS.txt`)}\n${await Deno
        .readTextFile(`${dir}/p2/SHA256SUMS.txt`)}`,
    );
    const bad = await runProofpack([
      "export",
      "--out",
      `${dir}/p3`,
      "--bootpack",
      bootpack,
      "--map",
      exampleMap(dir),
    ], { SOURCE_DATE_EPOCH: "yesterday" });
    assert(bad.code === 2 && bad.stderr.includes("SOURCE_DATE_EPOCH"), bad.stderr);
  });
});

Deno.test("proofpack export shows progress on stderr for a pack with many files", async () => {
  await withTempDir(async (dir) => {
    const files: string[] = [];
    for (let i = 0; i < 40; i++) {
      files.push(`${dir}/f${i}.txt`);
      await Deno.writeTextFile(files[i]!, `file ${i}`);
    }
    const r = await runProofpack(["export", "--out", `${dir}/pack`, ...files]);
    assert(r.code === 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("bootpack: copying "));
    assert(
      lines.length >= 5 && lines.at(-1) === "bootpack: copying 40/40 files, 0/0 MiB",
      r.stderr,
    );
    const v = await runProofpack(["verify", `${dir}/pack`]);
    assert(
      v.code === 0 && v.stderr.includes("bootpack: hashing 46/46 files"), /* 40 + 5 own + tool */
      v.stderr,
    );
  });
});

async function refused(
  dir: string,
  options: Parameters<typeof exportProofpack>[1],
  want: RegExp,
): Promise<void> {
  try {
    await exportProofpack(`${dir}/out`, options);
  } catch (error) {
    assert(error instanceof ExportError || error instanceof FileReadError, String(error));
    assert(want.test(error.message), error.message);
    // Nothing left behind: no pack, no partial folder.
    const left = [];
    for await (const e of Deno.readDir(dir)) if (e.name.startsWith("out")) left.push(e.name);
    assert(left.length === 0 || (left.length === 1 && left[0] === "out"), left.join());
    return;
  }
  throw new Error(`not refused: ${want}`);
}

Deno.test("exportProofpack() refuses names every verifier would not read the same way", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.writeTextFile(`${dir}/a/notes.txt`, "1");
    await Deno.writeTextFile(`${dir}/b/NOTES.txt`, "2");
    await refused(
      dir,
      { files: [`${dir}/a/notes.txt`, `${dir}/b/NOTES.txt`] },
      /clashes with "evidence\/notes.txt"/,
    );
    await Deno.writeTextFile(`${dir}/a/\u00e9.txt`, "1");
    await Deno.writeTextFile(`${dir}/b/e\u0301.txt`, "2");
    await refused(dir, { files: [`${dir}/a/\u00e9.txt`], kb: `${dir}/b/e\u0301.txt` }, /NFC/);
    for (
      const [name, why] of [
        ["CON.txt", /reserved name "CON"/],
        ["a\\b.txt", /backslash/],
        ["line\nbreak", /U\+000A/],
        ["cr\r", /U\+000D/],
        ["x:y", /":"/],
        ["trail.", /ending with a dot/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/a/${name}`, "x");
      await refused(dir, { files: [`${dir}/a/${name}`] }, why);
    }
  });
});

Deno.test("exportProofpack() refuses symlinks, missing files and a non-empty target", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/real.txt`, "x");
    await Deno.symlink(`${dir}/real.txt`, `${dir}/link.txt`);
    await refused(dir, { files: [`${dir}/link.txt`] }, /symlink/);
    await refused(dir, { files: [`${dir}/nope.txt`] }, /no such file/);
    await refused(dir, { files: [dir] }, /not a regular file/);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/keep.txt`, "mine");
    await refused(dir, { files: [`${dir}/real.txt`] }, /it exists/);
    assert(await Deno.readTextFile(`${dir}/out/keep.txt`) === "mine");
    await Deno.remove(`${dir}/out/keep.txt`);
    await refused(dir, { files: [`${dir}/real.txt`] }, /it exists/); // an empty folder is not ours
    assert((await Deno.lstat(`${dir}/out`)).isDirectory);
  });
});

Deno.test("exportProofpack() without gates: replay.sh checks the sums only", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/real.txt`, "x");
    const r = await exportProofpack(`${dir}/out`, { files: [`${dir}/real.txt`] });
    assert(r.files.some((f) => f.path === "evidence/real.txt") && r.gates.length === 0);
    const replay = await runReplaySh(`${dir}/out`);
    assert(replay.code === 0 && replay.stderr.includes("replay: no gate recorded"), replay.stderr);
  });
});

Deno.test("non-ASCII (NFC) names: sha256sum, replay.sh and verify agree", async () => {
  await withTempDir(async (dir) => {
    const name = "r\u00e9sum\u00e9 \u65e5\u672c.txt";
    await Deno.writeTextFile(`${dir}/${name}`, "caf\u00e9");
    const r = await exportProofpack(`${dir}/out`, { files: [`${dir}/${name}`] });
    assert(r.files.some((f) => f.path === `evidence/${name}`));
    const check = await run("sha256sum", ["-c", "--strict", "SHA256SUMS.txt"], `${dir}/out`);
    assert(check.code === 0 && check.out.includes(`evidence/${name}: OK`), check.out);
    const replay = await runReplaySh(`${dir}/out`);
    assert(replay.code === 0, replay.stderr);
    const v = await runProofpack(["verify", `${dir}/out`]);
    assert(v.code === 0, v.stdout + v.stderr);
  });
});

Deno.test("exportProofpack() without --kb needs a POINTER it can follow", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await refused(dir, { bootpack }, /Cannot find the KB .*give --kb FILE or --map/);
  });
});

Deno.test("exportProofpack() fails closed under chaos and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/real.txt`, "some evidence");
    const calibration = { ...DEFAULT_CALIBRATION, retry_backoff_ms: 1 };
    for (const chaos of ["PARTIAL", "EMPTY", "ERROR"] as const) {
      await refused(dir, { files: [`${dir}/real.txt`], chaos, calibration }, /Cannot read/);
    }
  });
});

Deno.test("a relative POINTER Path needs no --map; the KB keeps the POINTER's name", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const text = await Deno.readTextFile(bootpack);
    await Deno.writeTextFile(bootpack, text.replace("\\\\DS-918\\kb\\BUG_KB.json.txt", "kb.json"));
    const r = await exportProofpack(`${dir}/out`, { bootpack, kb });
    assert(r.files.some((f) => f.path === "evidence/kb.json"), r.files.map((f) => f.path).join());
    assert(
      r.gates[1]!.args.join(" ") === "selftest evidence/bootpack.txt",
      r.gates[1]!.args.join(),
    );
    const selftest = await Deno.readTextFile(`${dir}/out/gates/selftest.txt`);
    assert(selftest.includes("ptr_exists=True"), selftest);
    const replay = await runReplaySh(`${dir}/out`);
    assert(replay.code === 0, replay.stderr);
  });
});

Deno.test("a BootPack whose gates block is exported with the block recorded", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const text = await Deno.readTextFile(bootpack);
    await Deno.writeTextFile(bootpack, text.replace("```\r\n[", "```json\r\n["));
    const r = await exportProofpack(`${dir}/out`, { bootpack, kb });
    assert(r.gates[0]?.verdict === "GATE-BLOCK" && r.gates[0]?.exit_code === 1);
    const statement = JSON.parse(
      await Deno.readTextFile(`${dir}/out/statement.intoto.UNSIGNED.json`),
    );
    assert(statement.predicate.result === "FAILED");
    const replay = await runReplaySh(`${dir}/out`);
    assert(replay.code === 0, replay.stderr);
  });
});

import assert from "node:assert/strict";
import {
  buildBundle,
  bundleBanner,
  packTool,
  parseBundleBanner,
  TOOL_PATH,
} from "../../lib/proofpack/tool.ts";
import { cliInvocation, runCliProcess } from "../../lib/certify/cli_process.ts";
import { copyExample, exampleMap, ROOT, withTempDir } from "../_helpers.ts";
import { runBundle, testBundle } from "../_bundle.ts";
import { TASK_BUILD_ENTRY } from "../../lib/core/program.ts";
import denoJson from "../../deno.json" with { type: "json" };

const sha256 = async (bytes: Uint8Array): Promise<string> =>
  Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");

Deno.test("the bundle, from a folder with no source, runs each command with only its permissions", async () => {
  const bundle = await testBundle();
  await withTempDir(async (dir) => {
    // The bundle is copied next to the example: nothing of the repository is reachable by path.
    const program = `${dir}/bootpack.js`;
    await Deno.copyFile(bundle, program);
    const { bootpack } = await copyExample(dir);
    const map = ["--map", exampleMap(".")];
    const read = ["--allow-read"];
    for (const gate of ["acceptance", "selftest"]) {
      const r = await runBundle(program, read, [gate, "bootpack.txt", ...map], dir);
      assert.equal(r.code, 0, `${gate}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^\[PASS\] /m, gate);
    }
    const k = await runBundle(program, ["--allow-read", "--allow-write"], [
      "keygen",
      "--out",
      "keys",
    ], dir);
    assert.equal(k.code, 0, k.stderr);
    const exported = await runBundle(
      program,
      ["--allow-read", "--allow-write", "--allow-env=SOURCE_DATE_EPOCH", "--allow-sys=osRelease"],
      [
        "proofpack",
        "export",
        "--out",
        "pack",
        "--bootpack",
        bootpack,
        ...map,
        "--sign",
        "keys/bootpack-signing.key.pem",
      ],
      dir,
    );
    assert.equal(exported.code, 0, exported.stderr);
    // Run as the bundle, the pack carries the very file that ran.
    const carried = await Deno.readFile(`${dir}/pack/${TOOL_PATH}`);
    assert.deepEqual(carried, await Deno.readFile(program));
    const toolchain = JSON.parse(await Deno.readTextFile(`${dir}/pack/toolchain.json`));
    assert.equal(toolchain.tool.path, TOOL_PATH);
    assert.equal(toolchain.tool.sha256, await sha256(carried));
    const v = await runBundle(
      program,
      read,
      ["proofpack", "verify", "pack", "--pubkey", "keys/bootpack-signing.pub.pem"],
      dir,
    );
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /signed by key [0-9a-f]{64}; matches root digest [0-9A-F]{64}\n$/);
    // And the gates fail closed without read permission, instead of prompting or running.
    const none = await runBundle(program, [], ["acceptance", "bootpack.txt", ...map], dir);
    assert.equal(none.code, 1, none.stdout);
    assert.doesNotMatch(none.stdout, /\[PASS\]/);
  });
});

Deno.test("the bundle reads nothing from the source tree: read and write on its own folder suffice", async () => {
  const bundle = await testBundle();
  await withTempDir(async (dir) => {
    const program = `${dir}/bootpack.js`;
    await Deno.copyFile(bundle, program);
    await copyExample(dir);
    const own = [`--allow-read=${dir}`, `--allow-write=${dir}`, "--allow-sys=osRelease"];
    const args = (out: string) => [
      "proofpack",
      "export",
      "--out",
      out,
      "--bootpack",
      "bootpack.txt",
      "--map",
      exampleMap("."),
    ];
    const r = await runBundle(program, own, args("pack"), dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Control: from source the same command reads its source tree (to bundle it), which these
    // permissions do not cover, so it fails: the permissions do bite on reads of the tree.
    const src = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--quiet", ...own, `${ROOT}/cli.ts`, ...args("pack2")],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(src.stderr);
    assert.equal(src.code, 1, stderr);
    assert.match(stderr, /TOOL_UNAVAILABLE: Cannot bundle the source tree/);
    assert.ok(
      !(await Deno.readTextFile(program)).includes(ROOT),
      "the bundle names the source tree",
    );
  });
});

Deno.test("cliInvocation() runs the bundle with deno run and the command's exact permissions", () => {
  const inv = cliInvocation(["ingest", "--kb", "k"], {
    execPath: "/usr/bin/deno",
    cliPath: "/opt/bootpack.js",
    permissions: ["--allow-read", "--allow-write=/s"],
  });
  assert.equal(inv.mode, "bundle");
  assert.deepEqual(inv.args, [
    "run",
    "--no-prompt",
    "--quiet",
    "--allow-read",
    "--allow-write=/s",
    "/opt/bootpack.js",
    "ingest",
    "--kb",
    "k",
  ]);
  // A compiled binary cannot narrow what it carries: it refuses instead of running unconfined.
  assert.throws(
    () => cliInvocation(["ingest"], { execPath: "/opt/bootpack", permissions: ["--allow-read"] }),
    (e: unknown) => (e as { code?: string }).code === "CONFINEMENT_UNAVAILABLE",
  );
  assert.equal(cliInvocation(["acceptance"], { execPath: "C:\\b\\bootpack.exe" }).mode, "binary");
});

Deno.test("bundleBanner() and parseBundleBanner() carry version and commit", () => {
  const commit = "a".repeat(40);
  const enc = (t: string) => new TextEncoder().encode(t);
  assert.deepEqual(parseBundleBanner(enc(bundleBanner("1.2.3", commit, null) + "x")), {
    version: "1.2.3",
    commit,
    note: null,
  });
  assert.deepEqual(parseBundleBanner(enc(bundleBanner("1", null, "dirty: on b") + "x")), {
    version: "1",
    commit: null,
    note: "dirty: on b",
  });
  assert.equal(parseBundleBanner(enc("// bootpack 1 source git:zz\n")), null);
});

async function copySource(to: string): Promise<void> {
  for (const f of ["cli.ts", "deno.json", "deno.lock"]) {
    await Deno.copyFile(`${ROOT}/${f}`, `${to}/${f}`).catch(() => {});
  }
  for (const d of ["lib", "cli", "budgets"]) {
    const r = await new Deno.Command("cp", { args: ["-a", `${ROOT}/${d}`, `${to}/${d}`] }).output();
    assert.ok(r.success);
  }
}

Deno.test("buildBundle() records the commit of a clean git checkout, and none when it is dirty", async () => {
  await withTempDir(async (dir) => {
    await copySource(dir);
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "x");
    const head = new TextDecoder().decode((await git("rev-parse", "HEAD")).stdout).trim();
    const clean = await buildBundle(`${dir}/clean.js`, { sourceDir: dir, version: "9" });
    assert.equal(clean.commit, head);
    assert.equal(parseBundleBanner(clean.bytes)?.commit, head);
    await Deno.writeTextFile(`${dir}/cli.ts`, "\n", { append: true });
    const dirty = await buildBundle(`${dir}/dirty.js`, { sourceDir: dir, version: "9" });
    assert.equal(dirty.commit, null);
    assert.match(dirty.commitNote ?? "", new RegExp(`^dirty: .*${head}`));
  });
});

Deno.test("packTool() from source builds once, then serves the cache", async () => {
  await withTempDir(async (dir) => {
    const first = await packTool({ version: "test", cacheDir: `${dir}/cache` });
    assert.equal(first.origin, "built");
    const second = await packTool({ version: "test", cacheDir: `${dir}/cache` });
    assert.equal(second.origin, "cache");
    assert.equal(second.sha256, first.sha256);
    assert.equal(second.sha256, await sha256(second.bytes));
    assert.equal([...Deno.readDirSync(`${dir}/cache`)].length, 1);
    // Another version is another bundle (its first line differs).
    const other = await packTool({ version: "other", cacheDir: `${dir}/cache` });
    assert.equal(other.origin, "built");
    assert.notEqual(other.sha256, first.sha256);
  });
});

Deno.test("a pack exported by the tasks' build carries the one-file bundle of the source tree", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const args = [
      "proofpack",
      "export",
      "--out",
      `${dir}/pack`,
      "--bootpack",
      bootpack,
      "--map",
      exampleMap(dir),
    ];
    const cliPath = `${ROOT}/${TASK_BUILD_ENTRY}`;
    assert.equal(cliInvocation(args, { cliPath }).mode, "build");
    const r = await runCliProcess(args, { cliPath, cwd: ROOT });
    assert.equal(r.code, 0, r.stderr);
    const carried = await Deno.readFile(`${dir}/pack/${TOOL_PATH}`);
    // Not a file of the build it ran from (a chunk is no program), but the bundle of its sources.
    const want = await packTool({ version: denoJson.version });
    assert.equal(await sha256(carried), want.sha256);
    assert.equal(parseBundleBanner(carried)?.version, denoJson.version);
  });
});

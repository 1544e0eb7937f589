import assert from "node:assert/strict";
import {
  generateSigningKeyPair,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  writeKeyPair,
} from "../../lib/proofpack/keygen.ts";
import { runCli, withTempDir } from "../_helpers.ts";

const WRITE = ["--allow-read", "--allow-write"];

Deno.test("bootpack keygen writes PKCS#8 (0600) and SPKI PEM that openssl reads, and prints the keyid", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli(["keygen", "--out", `${dir}/keys`], { permissions: WRITE });
    assert.equal(r.code, 0, r.stderr);
    const keyid = /^keyid ([0-9a-f]{64})\n$/.exec(r.stdout)?.[1];
    assert.ok(keyid, r.stdout);
    const priv = `${dir}/keys/${PRIVATE_KEY_FILE}`;
    assert.equal((await Deno.stat(priv)).mode! & 0o777, 0o600);
    const text = await new Deno.Command("openssl", {
      args: ["pkey", "-in", priv, "-noout", "-text"],
      stdout: "piped",
    }).output();
    assert.match(new TextDecoder().decode(text.stdout), /NIST CURVE: P-256|prime256v1/);
    const pub = await new Deno.Command("openssl", {
      args: ["pkey", "-pubin", "-in", `${dir}/keys/${PUBLIC_KEY_FILE}`, "-noout"],
    }).output();
    assert.equal(pub.code, 0);
  });
});

Deno.test("bootpack keygen overwrites nothing: a file, a symlink or a FIFO at either name fails", async () => {
  await withTempDir(async (dir) => {
    const victim = `${dir}/victim.txt`;
    await Deno.writeTextFile(victim, "keep");
    const cases: [string, (path: string) => Promise<void>][] = [
      ["file", (p) => Deno.writeTextFile(p, "old")],
      ["symlink", (p) => Deno.symlink(victim, p)],
      ["dangling symlink", (p) => Deno.symlink(`${dir}/nowhere`, p)],
      ["fifo", async (p) => {
        await new Deno.Command("mkfifo", { args: [p] }).output();
      }],
    ];
    for (const [i, [label, plant]] of cases.entries()) {
      for (const [j, name] of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE].entries()) {
        const out = `${dir}/k${i}-${j}`;
        await Deno.mkdir(out);
        await plant(`${out}/${name}`);
        const r = await runCli(["keygen", "--out", out], { permissions: WRITE });
        assert.equal(r.code, 1, `${label} at ${name}: ${r.stderr}`);
        assert.match(r.stderr, /KEY_EXISTS/);
        assert.equal(r.stdout, "");
        // Nothing of the pair is left beside what was planted.
        const left = [];
        for await (const e of Deno.readDir(out)) left.push(e.name);
        assert.deepEqual(left, [name], `${label} at ${name}`);
      }
    }
    assert.equal(await Deno.readTextFile(victim), "keep");
    assert.equal(
      (await runCli(["keygen"], { permissions: WRITE })).code,
      2,
    );
  });
});

Deno.test("writeKeyPair() makes a pair each time: two keys differ", async () => {
  await withTempDir(async (dir) => {
    const a = await generateSigningKeyPair();
    const b = await generateSigningKeyPair();
    assert.notEqual(a.keyid, b.keyid);
    const paths = await writeKeyPair(dir, a);
    assert.equal(await Deno.readTextFile(paths.publicKey), a.publicPem);
  });
});

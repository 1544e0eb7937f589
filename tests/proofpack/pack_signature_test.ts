import assert from "node:assert/strict";
import { generateSigningKeyPair } from "../../lib/proofpack/keygen.ts";
import { importSigningKey, signEnvelope } from "../../lib/proofpack/dsse.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "../../lib/proofpack/pack_signature.ts";
import { DSSE_FILE as SIGNED_STATEMENT_FILE } from "../../lib/proofpack/manifest.ts";
import { copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";
import { forge, PROOFPACK_PERMISSIONS, rehash, runProofpack } from "../_proofpack.ts";

interface Keys {
  readonly priv: string;
  readonly pub: string;
  readonly otherPub: string;
  readonly keyid: string;
  readonly otherPriv: string;
}

async function keys(dir: string): Promise<Keys> {
  const a = await generateSigningKeyPair();
  const b = await generateSigningKeyPair();
  const files = {
    priv: `${dir}/a.key.pem`,
    pub: `${dir}/a.pub.pem`,
    otherPriv: `${dir}/b.key.pem`,
    otherPub: `${dir}/b.pub.pem`,
  };
  await Deno.writeTextFile(files.priv, a.privatePem);
  await Deno.writeTextFile(files.pub, a.publicPem);
  await Deno.writeTextFile(files.otherPriv, b.privatePem);
  await Deno.writeTextFile(files.otherPub, b.publicPem);
  return { ...files, keyid: a.keyid };
}

async function exportPack(dir: string, out: string, sign?: string): Promise<string> {
  const { bootpack } = await copyExample(dir);
  const pack = `${dir}/${out}`;
  const r = await runProofpack([
    "export",
    "--out",
    pack,
    "--bootpack",
    bootpack,
    "--map",
    exampleMap(dir),
    ...(sign === undefined ? [] : ["--sign", sign]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return pack;
}

function verify(pack: string, pub: string): ReturnType<typeof runCli> {
  // verify needs read permission only.
  return runCli(["proofpack", "verify", pack, "--pubkey", pub], { permissions: ["--allow-read"] });
}

function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1) ?? "";
}

Deno.test("proofpack export --sign: verify --pubkey passes and names the key", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const pack = await exportPack(dir, "pack", k.priv);
    const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
    assert.match(sums, new RegExp(`  ${SIGNED_STATEMENT_FILE.replaceAll(".", "\\.")}\n`));
    const envelope = JSON.parse(await Deno.readTextFile(`${pack}/${SIGNED_STATEMENT_FILE}`));
    assert.equal(envelope.payloadType, IN_TOTO_PAYLOAD_TYPE);
    assert.equal(envelope.signatures[0].keyid, k.keyid);
    // The payload is the pack's statement file, byte for byte (verify.ps1 -PubKey checks that).
    const payload = atob(envelope.payload);
    assert.equal(payload, await Deno.readTextFile(`${pack}/statement.intoto.UNSIGNED.json`));
    const statement = JSON.parse(payload);
    const named = statement.subject.map((s: { name: string }) => s.name).sort();
    const listed = sums.trimEnd().split("\n").map((l) => l.slice(66))
      .filter((p) => p !== SIGNED_STATEMENT_FILE && p !== "statement.intoto.UNSIGNED.json").sort();
    assert.deepEqual(named, listed);
    assert.ok(named.includes("tool/bootpack.js"));
    const r = await verify(pack, k.pub);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const root = /^root: ([0-9A-F]{64})$/m.exec(r.stdout)?.[1];
    assert.equal(
      lastLine(r.stdout),
      `[PASS] proofpack ${pack} verified: ${listed.length + 2} files; signed by key ${k.keyid}; ` +
        `matches root digest ${root}`,
    );
    // Without --pubkey the signed pack still verifies (sums only), and says nothing of a key.
    const plain = await runCli(["proofpack", "verify", pack]);
    assert.equal(plain.code, 0, plain.stdout);
    assert.doesNotMatch(plain.stdout, /signed by/);
  });
});

Deno.test("proofpack verify --pubkey: wrong key, unsigned pack, tampered envelope, forged files each fail with a code", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const pack = await exportPack(dir, "pack", k.priv);
    const expectFail = async (p: string, pub: string, code: string, label: string) => {
      const r = await verify(p, pub);
      assert.equal(r.code, 1, `${label}: ${r.stdout}`);
      assert.match(r.stdout, new RegExp(`signature: FAIL ${code}: `), label);
      assert.match(lastLine(r.stdout), new RegExp(`^\\[FAIL\\] .*\\(${code}\\)$`), label);
      assert.doesNotMatch(r.stdout, /\[PASS\]/, label);
    };
    await expectFail(pack, k.otherPub, "SIGNATURE_WRONG_KEY", "wrong key");

    const unsigned = await exportPack(`${dir}`, "unsigned");
    await expectFail(unsigned, k.pub, "SIGNATURE_MISSING", "unsigned");

    // A forger rewrites an evidence file and reseals MANIFEST, statement and sums: sums-only
    // verification passes, the signature does not.
    const forged = `${dir}/forged`;
    await Deno.mkdir(forged);
    await new Deno.Command("cp", { args: ["-a", `${pack}/.`, forged] }).output();
    await forge(forged, "evidence/BUG_KB.json.txt", "[]\n");
    assert.equal((await runCli(["proofpack", "verify", forged])).code, 0, "forgery must be sealed");
    await expectFail(forged, k.pub, "SUBJECTS_MISMATCH", "forged evidence");

    // The envelope's payload changed (one subject dropped), the sums line resealed: the
    // signature no longer matches.
    const tampered = `${dir}/tampered`;
    await Deno.mkdir(tampered);
    await new Deno.Command("cp", { args: ["-a", `${pack}/.`, tampered] }).output();
    const envPath = `${tampered}/${SIGNED_STATEMENT_FILE}`;
    const env = JSON.parse(await Deno.readTextFile(envPath));
    const st = JSON.parse(atob(env.payload));
    st.subject.pop();
    env.payload = btoa(JSON.stringify(st));
    await Deno.writeTextFile(envPath, JSON.stringify(env, null, 2) + "\n");
    await rehash(tampered, SIGNED_STATEMENT_FILE);
    await expectFail(tampered, k.pub, "SIGNATURE_INVALID", "tampered envelope");

    // Re-signed by the forger's own key: the exporter's key refuses it.
    const resigned = `${dir}/resigned`;
    await Deno.mkdir(resigned);
    await new Deno.Command("cp", { args: ["-a", `${pack}/.`, resigned] }).output();
    const original = JSON.parse(await Deno.readTextFile(`${pack}/${SIGNED_STATEMENT_FILE}`));
    const forger = await importSigningKey(await Deno.readTextFile(k.otherPriv));
    const payload = Uint8Array.from(atob(original.payload), (c) => c.charCodeAt(0));
    const again = await signEnvelope({ payloadType: IN_TOTO_PAYLOAD_TYPE, payload }, {
      ...forger,
      keyid: k.keyid,
    });
    await Deno.writeTextFile(`${resigned}/${SIGNED_STATEMENT_FILE}`, JSON.stringify(again) + "\n");
    await rehash(resigned, SIGNED_STATEMENT_FILE);
    await expectFail(resigned, k.pub, "SIGNATURE_INVALID", "signed by another key under our keyid");

    // A signed statement naming one file too few, properly signed: the subjects are checked.
    const fewer = `${dir}/fewer`;
    await Deno.mkdir(fewer);
    await new Deno.Command("cp", { args: ["-a", `${pack}/.`, fewer] }).output();
    const signer = await importSigningKey(await Deno.readTextFile(k.priv));
    const short = JSON.parse(atob(original.payload));
    short.subject.shift();
    const shortEnv = await signEnvelope(
      {
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        payload: new TextEncoder().encode(JSON.stringify(short)),
      },
      signer,
    );
    await Deno.writeTextFile(`${fewer}/${SIGNED_STATEMENT_FILE}`, JSON.stringify(shortEnv) + "\n");
    await rehash(fewer, SIGNED_STATEMENT_FILE);
    await expectFail(fewer, k.pub, "SUBJECTS_MISMATCH", "one subject too few");

    // A public key that is not one, and a private key given as public: exit 1 with a code.
    const badKey = await verify(pack, k.priv);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stdout, /signature: FAIL KEY_INVALID/);
  });
});

Deno.test("proofpack export --sign with an unusable key fails before writing anything", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const { bootpack } = await copyExample(dir);
    for (const key of [k.pub, `${dir}/missing.pem`]) {
      const r = await runCli(
        ["proofpack", "export", "--out", `${dir}/out`, "--bootpack", bootpack, "--sign", key],
        { permissions: PROOFPACK_PERMISSIONS },
      );
      assert.equal(r.code, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /internal error/);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("out")),
        [],
      );
    }
  });
});

Deno.test("a signed pack's signature verifies with openssl alone", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const pack = await exportPack(dir, "pack", k.priv);
    const env = JSON.parse(await Deno.readTextFile(`${pack}/${SIGNED_STATEMENT_FILE}`));
    const body = Uint8Array.from(atob(env.payload), (c) => c.charCodeAt(0));
    const type = env.payloadType as string;
    const head = new TextEncoder().encode(`DSSEv1 ${type.length} ${type} ${body.length} `);
    await Deno.writeFile(`${dir}/pae.bin`, new Uint8Array([...head, ...body]));
    await Deno.writeFile(
      `${dir}/sig.der`,
      Uint8Array.from(atob(env.signatures[0].sig), (c) => c.charCodeAt(0)),
    );
    const r = await new Deno.Command("openssl", {
      args: ["dgst", "-sha256", "-verify", k.pub, "-signature", `${dir}/sig.der`, `${dir}/pae.bin`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(r.stdout).trim(), "Verified OK");
    const wrong = await new Deno.Command("openssl", {
      args: [
        "dgst",
        "-sha256",
        "-verify",
        k.otherPub,
        "-signature",
        `${dir}/sig.der`,
        `${dir}/pae.bin`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.notEqual(wrong.code, 0);
  });
});

Deno.test("a signed pack copied to an empty folder replays with bash replay.sh and its own tool", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const pack = await exportPack(dir, "pack", k.priv);
    const copy = `${dir}/empty/pack`;
    await Deno.mkdir(`${dir}/empty`);
    await new Deno.Command("cp", { args: ["-a", pack, copy] }).output();
    const r = await new Deno.Command("bash", {
      args: [`${copy}/replay.sh`],
      cwd: `${dir}/empty`,
      // No BOOTPACK_CLI, no checkout: replay.sh runs the pack's own tool.
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, err);
    // The tool that ran is the pack's own (replay runs it from its private verified copy).
    const ran = /replay: tool \S*\/tool\/bootpack\.js sha256 ([0-9a-f]{64})\n/.exec(err)?.[1];
    const sums = await Deno.readTextFile(`${copy}/SHA256SUMS.txt`);
    assert.ok(ran !== undefined && sums.includes(`${ran.toUpperCase()}  tool/bootpack.js\n`), err);
    assert.match(err, /replay: \[PASS\] replayed/);
  });
});

Deno.test("certify --sign with an unusable key fails before any gate runs, with a code", async () => {
  await withTempDir(async (dir) => {
    const k = await keys(dir);
    const { bootpack } = await copyExample(dir);
    const r = await runCli(
      [
        "certify",
        "--bootpack",
        bootpack,
        "--map",
        exampleMap(dir),
        "--out",
        `${dir}/report`,
        "--sign",
        k.pub,
      ],
      {
        permissions: [
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-sys=hostname,osRelease",
        ],
      },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /certify: KEY_INVALID: /);
    assert.doesNotMatch(r.stderr + r.stdout, /G0|internal error/);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("report")),
      [],
    );
  });
});

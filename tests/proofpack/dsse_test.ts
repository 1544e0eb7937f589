import assert from "node:assert/strict";
import fc from "fast-check";
import {
  derToP1363,
  importSigningKey,
  importVerifyingKey,
  keyIdOf,
  p1363ToDer,
  pae,
  pemDecode,
  signEnvelope,
  verifyEnvelope,
} from "../../lib/proofpack/dsse.ts";
import { generateSigningKeyPair } from "../../lib/proofpack/keygen.ts";
import { withTempDir } from "../_helpers.ts";

const TYPE = "application/vnd.in-toto+json";
const enc = new TextEncoder();

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => (e as { code?: string }).code === code);
}

Deno.test("pae() is the DSSE v1 encoding, lengths in bytes", () => {
  // The example of the DSSE protocol document.
  assert.equal(
    new TextDecoder().decode(pae("http://example.com/HelloWorld", enc.encode("hello world"))),
    "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
  );
  assert.equal(new TextDecoder().decode(pae("é", enc.encode("ü"))), "DSSEv1 2 é 2 ü");
});

Deno.test("p1363ToDer() and derToP1363() round-trip every r||s", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (sig) => {
      const der = p1363ToDer(sig);
      assert.deepEqual(derToP1363(der, 32), sig);
      assert.equal(der[0], 0x30);
      assert.equal(der[1], der.length - 2);
    }),
  );
});

Deno.test("derToP1363() refuses DER that is not strict", () => {
  const good = p1363ToDer(new Uint8Array(64).fill(1));
  const bad = [
    new Uint8Array([...good, 0]), // trailing byte
    good.subarray(0, good.length - 1), // truncated
    new Uint8Array([0x31, ...good.subarray(1)]), // not a SEQUENCE
    new Uint8Array([0x30, 6, 2, 2, 0, 1, 2, 1, 1]), // INTEGER with a needless 0 byte
    new Uint8Array([0x30, 6, 2, 1, 0x80, 2, 1, 1]), // negative INTEGER
    new Uint8Array([0x30, 37, 2, 33, 1, ...new Uint8Array(32), 2, 1, 1]), // too large
  ];
  for (const der of bad) {
    assert.throws(
      () => derToP1363(der, 32),
      (e: unknown) => (e as { code?: string }).code === "SIGNATURE_INVALID",
      String([...der]),
    );
  }
});

Deno.test("signEnvelope() verifies; a changed payload, type or signature fails; a wrong key is named", async () => {
  const pair = await generateSigningKeyPair();
  const other = await generateSigningKeyPair();
  const signer = await importSigningKey(pair.privatePem);
  const verifier = await importVerifyingKey(pair.publicPem);
  assert.equal(signer.keyid, pair.keyid);
  assert.equal(verifier.keyid, await keyIdOf(pemDecode(pair.publicPem, "PUBLIC KEY")));
  const env = await signEnvelope({ payloadType: TYPE, payload: enc.encode('{"a":1}') }, signer);
  assert.equal(
    new TextDecoder().decode(await verifyEnvelope(JSON.stringify(env), verifier)),
    '{"a":1}',
  );
  await rejects(
    verifyEnvelope({ ...env, payload: btoa('{"a":2}') }, verifier),
    "SIGNATURE_INVALID",
  );
  await rejects(
    verifyEnvelope({ ...env, payloadType: "text/plain" }, verifier),
    "SIGNATURE_INVALID",
  );
  const sig = env.signatures[0]!;
  const flipped = atob(sig.sig).split("");
  flipped[10] = String.fromCharCode(flipped[10]!.charCodeAt(0) ^ 1);
  await rejects(
    verifyEnvelope(
      { ...env, signatures: [{ keyid: sig.keyid, sig: btoa(flipped.join("")) }] },
      verifier,
    ),
    "SIGNATURE_INVALID",
  );
  const wrong = await importVerifyingKey(other.publicPem);
  await rejects(verifyEnvelope(env, wrong), "SIGNATURE_WRONG_KEY");
  // A keyid rewritten to the verifier's does not help: the signature is still checked.
  await rejects(
    verifyEnvelope({ ...env, signatures: [{ keyid: wrong.keyid, sig: sig.sig }] }, wrong),
    "SIGNATURE_INVALID",
  );
  await rejects(verifyEnvelope("[]", verifier), "SIGNATURE_INVALID");
  await rejects(importVerifyingKey(pair.privatePem), "KEY_INVALID");
  await rejects(importSigningKey(pair.publicPem), "KEY_INVALID");
  await rejects(
    importVerifyingKey("-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n"),
    "KEY_INVALID",
  );
});

Deno.test("signEnvelope(): openssl alone verifies the DER signature over the PAE bytes", async () => {
  const pair = await generateSigningKeyPair();
  const payload = enc.encode('{"_type":"https://in-toto.io/Statement/v1"}\n');
  const env = await signEnvelope(
    { payloadType: TYPE, payload },
    await importSigningKey(pair.privatePem),
  );
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/pub.pem`, pair.publicPem);
    // The PAE is rebuilt here by hand, not with pae(): the format is checked, not the code.
    const body = Uint8Array.from(atob(env.payload), (c) => c.charCodeAt(0));
    const head = enc.encode(`DSSEv1 ${TYPE.length} ${TYPE} ${body.length} `);
    await Deno.writeFile(`${dir}/pae.bin`, new Uint8Array([...head, ...body]));
    const der = Uint8Array.from(atob(env.signatures[0]!.sig), (c) => c.charCodeAt(0));
    await Deno.writeFile(`${dir}/sig.der`, der);
    const verify = (file: string) =>
      new Deno.Command("openssl", {
        args: ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", file],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await verify("pae.bin");
    assert.equal(new TextDecoder().decode(ok.stdout).trim(), "Verified OK");
    assert.equal(ok.code, 0);
    // Control: openssl refuses the payload alone (the signature is over the PAE, not the body).
    await Deno.writeFile(`${dir}/body.bin`, body);
    assert.notEqual((await verify("body.bin")).code, 0);
    // And openssl reads the keyid's input: the SPKI DER of the public key.
    const spki = await new Deno.Command("openssl", {
      args: ["pkey", "-pubin", "-in", "pub.pem", "-outform", "DER"],
      cwd: dir,
      stdout: "piped",
    }).output();
    assert.equal(await keyIdOf(spki.stdout), pair.keyid);
  });
});

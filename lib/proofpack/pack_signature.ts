/**
 * Signed proofpacks (SPEC §6): `statement.intoto.dsse.json` is a DSSE envelope (payload type
 * `application/vnd.in-toto+json`) whose payload is, byte for byte, the pack's in-toto Statement
 * v1 `statement.intoto.UNSIGNED.json`, whose subjects are every file of the pack but
 * `SHA256SUMS.txt`, the statement and the envelope, each with its SHA256. The envelope is listed
 * in `SHA256SUMS.txt`, so the root digest covers it too. `verify.ps1 -PubKey` checks the same
 * chain.
 *
 * What a check with the public key proves, link by link: the signature covers the payload; the
 * payload is the statement file `SHA256SUMS.txt` lists; the statement's subjects are exactly the
 * other files `SHA256SUMS.txt` lists, with the same digests; `SHA256SUMS.txt` is byte for byte the
 * one the verifier hashed (its SHA256 is the verify report's root) and the envelope matches its
 * line there; the verifier checked every file against those sums. So the pack is the one the
 * key's holder exported.
 *
 * @module
 */

import { sha256Hex } from "../core/sha256.ts";
import { decodeUtf8 } from "../core/utf8.ts";
import { readFileBytes, type ReadFileOptions } from "../io/file_read.ts";
import {
  DSSE_FILE,
  parseSha256Sums,
  parseStatementSubjects,
  STATEMENT_FILE,
  SUMS_FILE,
} from "./manifest.ts";
import {
  type Envelope,
  importVerifyingKey,
  parseEnvelope,
  SignatureError,
  signEnvelope,
  type SigningKey,
  verifyEnvelope,
  type VerifyingKey,
} from "./dsse.ts";

/** The DSSE payload type of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/**
 * Renders the signed statement: the DSSE envelope over the pack's statement, byte for byte.
 *
 * @param statement The text of `statement.intoto.UNSIGNED.json`.
 * @param key The signing key.
 * @returns The envelope's JSON text, ending with LF.
 * @example
 * ```ts
 * import { generateSigningKeyPair } from "./keygen.ts";
 * import { importSigningKey } from "./dsse.ts";
 * import { renderSignedStatement } from "./pack_signature.ts";
 * const key = await importSigningKey((await generateSigningKeyPair()).privatePem);
 * const t = await renderSignedStatement('{"_type":"https://in-toto.io/Statement/v1"}\n', key);
 * if (JSON.parse(t).payloadType !== "application/vnd.in-toto+json") throw new Error();
 * ```
 */
export async function renderSignedStatement(statement: string, key: SigningKey): Promise<string> {
  const envelope: Envelope = await signEnvelope(
    { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: new TextEncoder().encode(statement) },
    key,
  );
  return JSON.stringify(envelope, null, 2) + "\n";
}

/** Options of {@linkcode verifyPackSignature}. */
export interface VerifyPackSignatureOptions extends ReadFileOptions {
  /**
   * The root digest the pack's verification measured (the SHA256 of the `SHA256SUMS.txt` it
   * checked every file against), or `null` when it could not.
   */
  readonly root: string | null;
}

/** A signature that verified. */
export interface PackSignature {
  /** The keyid of the key that signed. */
  readonly keyid: string;
  /** How many files the statement names. */
  readonly subjects: number;
}

/**
 * Checks a pack's signature with a public key (see the module doc for what it proves).
 *
 * @param dir The pack's folder.
 * @param publicKey The SPKI PEM text, or an imported key.
 * @param options The verified root digest; read calibration and chaos.
 * @returns The signing keyid.
 * @throws {SignatureError} `KEY_INVALID`, `SIGNATURE_MISSING` (no envelope listed),
 * `SIGNATURE_INVALID` (malformed, or does not verify, or the sums changed),
 * `SIGNATURE_WRONG_KEY`, `SUBJECTS_MISMATCH` (the statement names other files or digests).
 * @example
 * ```ts ignore
 * import { verifyPackSignature } from "./pack_signature.ts";
 * const sig = await verifyPackSignature("pack", pem, { root, calibration });
 * ```
 */
export async function verifyPackSignature(
  dir: string,
  publicKey: string | VerifyingKey,
  options: VerifyPackSignatureOptions,
): Promise<PackSignature> {
  const key = typeof publicKey === "string" ? await importVerifyingKey(publicKey) : publicKey;
  if (options.root === null) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `Cannot check the signature of "${dir}": its ${SUMS_FILE} could not be verified`,
    );
  }
  const sumsBytes = await readOrFail(`${dir}/${SUMS_FILE}`, options);
  if ((await sha256Hex(sumsBytes)).toUpperCase() !== options.root.toUpperCase()) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `Cannot check the signature of "${dir}": ${SUMS_FILE} changed while it was verified`,
    );
  }
  const sums = parseSha256Sums(new TextDecoder().decode(sumsBytes));
  if (!sums.ok) {
    throw new SignatureError("SIGNATURE_INVALID", `Cannot read ${SUMS_FILE} of "${dir}"`);
  }
  const line = sums.value.find((l) => l.path === DSSE_FILE);
  if (line === undefined) {
    throw new SignatureError(
      "SIGNATURE_MISSING",
      `Cannot check the signature of "${dir}": the pack is not signed (no ${DSSE_FILE} in ${SUMS_FILE})`,
    );
  }
  const envelopeBytes = await readOrFail(`${dir}/${DSSE_FILE}`, options);
  if ((await sha256Hex(envelopeBytes)).toUpperCase() !== line.sha256.toUpperCase()) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `Cannot check the signature of "${dir}": ${DSSE_FILE} does not match ${SUMS_FILE}`,
    );
  }
  const envelope = parseEnvelope(new TextDecoder().decode(envelopeBytes));
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `Cannot use ${DSSE_FILE}: its payloadType is not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  const payload = await verifyEnvelope(envelope, key);
  const statementLine = sums.value.find((l) => l.path === STATEMENT_FILE);
  if (
    statementLine === undefined ||
    (await sha256Hex(payload)).toUpperCase() !== statementLine.sha256.toUpperCase()
  ) {
    throw new SignatureError(
      "SUBJECTS_MISMATCH",
      `The signed payload is not the pack's ${STATEMENT_FILE} listed in ${SUMS_FILE}`,
    );
  }
  const text = decodeUtf8(payload);
  if (text === null) {
    throw new SignatureError("SUBJECTS_MISMATCH", "The signed statement is not UTF-8");
  }
  const subjects = parseStatementSubjects(text);
  if (!subjects.ok) {
    throw new SignatureError(
      "SUBJECTS_MISMATCH",
      "The signed payload is not an in-toto Statement v1",
    );
  }
  const expected = sums.value.filter((l) => l.path !== DSSE_FILE && l.path !== STATEMENT_FILE);
  const mismatch = compareSubjects(subjects.value, expected);
  if (mismatch !== null) {
    throw new SignatureError(
      "SUBJECTS_MISMATCH",
      `The signed statement does not name the pack's files: ${mismatch}`,
    );
  }
  return { keyid: key.keyid, subjects: subjects.value.length };
}

function compareSubjects(
  signed: readonly { path: string; sha256: string }[],
  listed: readonly { path: string; sha256: string }[],
): string | null {
  const want = new Map(listed.map((l) => [l.path, l.sha256.toUpperCase()]));
  const seen = new Set<string>();
  for (const s of signed) {
    if (seen.has(s.path)) return `"${s.path}" is named twice`;
    seen.add(s.path);
    const sha = want.get(s.path);
    if (sha === undefined) return `"${s.path}" is signed but not in ${SUMS_FILE}`;
    if (sha !== s.sha256.toUpperCase()) return `"${s.path}" has another digest than signed`;
  }
  for (const path of want.keys()) {
    if (!seen.has(path)) return `"${path}" is in ${SUMS_FILE} but not signed`;
  }
  return null;
}

async function readOrFail(path: string, options: ReadFileOptions): Promise<Uint8Array> {
  try {
    return await readFileBytes(path, options);
  } catch (error) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `Cannot read "${path}": ${(error as Error).message}`,
    );
  }
}

/**
 * DSSE envelopes (Dead Simple Signing Envelope, v1) signed with ECDSA P-256 / SHA-256 through
 * WebCrypto, in the form in-toto and sigstore tools expect: the signature is over the
 * pre-authentication encoding ({@linkcode pae}) and DER-encoded (WebCrypto signs and verifies
 * IEEE P1363 `r||s`, so it is converted both ways), the `keyid` is the SHA-256 of the public key's
 * SPKI DER, lowercase hex. `openssl dgst -sha256 -verify pub.pem -signature sig.der pae.bin`
 * checks a signature with nothing of bootpack's.
 *
 * @module
 */

import { toHex } from "../core/sha256.ts";

/** A DSSE envelope. */
export interface Envelope {
  /** What the payload is, e.g. `application/vnd.in-toto+json`. */
  readonly payloadType: string;
  /** The payload, standard base64. */
  readonly payload: string;
  /** The signatures: `keyid` and the base64 of the DER signature. */
  readonly signatures: readonly { readonly keyid: string; readonly sig: string }[];
}

/** A private key ready to sign, with the keyid of its public half. */
export interface SigningKey {
  /** The WebCrypto private key (ECDSA P-256). */
  readonly privateKey: CryptoKey;
  /** SHA-256 of the public key's SPKI DER, lowercase hex. */
  readonly keyid: string;
}

/** A public key ready to verify, with its keyid. */
export interface VerifyingKey {
  /** The WebCrypto public key (ECDSA P-256). */
  readonly publicKey: CryptoKey;
  /** SHA-256 of its SPKI DER, lowercase hex. */
  readonly keyid: string;
}

/** Why a key or a signature was refused. */
export type SignatureCode =
  | "KEY_INVALID"
  | "SIGNATURE_INVALID"
  | "SIGNATURE_WRONG_KEY"
  | "SIGNATURE_MISSING"
  | "SUBJECTS_MISMATCH";

/** A key that cannot be read, or a signature that does not verify. */
export class SignatureError extends Error {
  /** The reason. */
  readonly code: SignatureCode;
  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What is wrong.
   */
  constructor(code: SignatureCode, message: string) {
    super(message);
    this.name = "SignatureError";
    this.code = code;
  }
}

const ALG: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGN: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const enc = new TextEncoder();

/**
 * The DSSE v1 pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
 * lengths in bytes as ASCII decimal.
 *
 * @param payloadType The payload type.
 * @param payload The payload's bytes.
 * @returns The bytes that are signed.
 * @example
 * ```ts
 * import { pae } from "./dsse.ts";
 * const b = new TextDecoder().decode(pae("t", new TextEncoder().encode("hi")));
 * if (b !== "DSSEv1 1 t 2 hi") throw new Error(b);
 * ```
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = enc.encode(payloadType);
  const head = enc.encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * Converts an IEEE P1363 ECDSA signature (`r||s`, as WebCrypto gives it) to DER.
 *
 * @param sig 64 bytes for P-256.
 * @returns `SEQUENCE { INTEGER r, INTEGER s }`, minimal encoding.
 * @throws {RangeError} When `sig` has an odd or zero length.
 * @example
 * ```ts
 * import { derToP1363, p1363ToDer } from "./dsse.ts";
 * const sig = new Uint8Array(64).fill(0x80);
 * if (derToP1363(p1363ToDer(sig), 32).join() !== sig.join()) throw new Error();
 * ```
 */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  if (sig.length === 0 || sig.length % 2 !== 0) {
    throw new RangeError(`Cannot convert a ${sig.length}-byte signature: not r||s`);
  }
  const half = sig.length / 2;
  const int = (b: Uint8Array): number[] => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = [...b.subarray(i)];
    return [
      0x02,
      ...derLength((v[0]! & 0x80 ? 1 : 0) + v.length),
      ...(v[0]! & 0x80 ? [0] : []),
      ...v,
    ];
  };
  const body = [...int(sig.subarray(0, half)), ...int(sig.subarray(half))];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

/**
 * Converts a DER ECDSA signature to IEEE P1363 (`r||s`), strictly: minimal lengths and integers,
 * positive values that fit, nothing after the sequence.
 *
 * @param der The DER signature.
 * @param size Bytes per integer (32 for P-256).
 * @returns `r||s`, `2 * size` bytes.
 * @throws {SignatureError} `SIGNATURE_INVALID` when it is not a strict DER signature.
 * @example
 * ```ts
 * import { derToP1363 } from "./dsse.ts";
 * try { derToP1363(new Uint8Array([0x30, 0]), 32); throw new Error("accepted"); }
 * catch (e) { if ((e as { code?: string }).code !== "SIGNATURE_INVALID") throw e; }
 * ```
 */
export function derToP1363(der: Uint8Array, size: number): Uint8Array {
  const bad = (why: string): never => {
    throw new SignatureError("SIGNATURE_INVALID", `Cannot read the signature: ${why}`);
  };
  let pos = 0;
  const length = (): number => {
    const first = der[pos++] ?? bad("truncated");
    if (first < 0x80) return first;
    if (first !== 0x81) bad("length not minimal");
    const n = der[pos++] ?? bad("truncated");
    if (n < 0x80) bad("length not minimal");
    return n;
  };
  if (der[pos++] !== 0x30) bad("not a DER SEQUENCE");
  const seqLen = length();
  if (pos + seqLen !== der.length) bad("bytes after the SEQUENCE, or truncated");
  const out = new Uint8Array(2 * size);
  for (const slot of [0, 1]) {
    if (der[pos++] !== 0x02) bad("not an INTEGER");
    const n = length();
    const v = der.subarray(pos, pos + n);
    pos += n;
    if (v.length !== n || n === 0) bad("truncated INTEGER");
    if (v[0]! & 0x80) bad("negative INTEGER");
    if (n > 1 && v[0] === 0 && !(v[1]! & 0x80)) bad("INTEGER not minimal");
    const digits = v[0] === 0 && n > 1 ? v.subarray(1) : v;
    if (digits.length > size) bad("INTEGER too large");
    out.set(digits, slot * size + size - digits.length);
  }
  if (pos !== der.length) bad("bytes after the integers");
  return out;
}

function derLength(n: number): number[] {
  return n < 0x80 ? [n] : [0x81, n];
}

/** What {@linkcode signEnvelope} signs. */
export interface EnvelopeContent {
  /** What the payload is, e.g. `application/vnd.in-toto+json`. */
  readonly payloadType: string;
  /** The payload's bytes. */
  readonly payload: Uint8Array;
}

/**
 * Signs a payload into a DSSE envelope.
 *
 * @param content The payload and its type.
 * @param key The signing key.
 * @returns The envelope.
 * @example
 * ```ts
 * import { generateSigningKeyPair } from "./keygen.ts";
 * import { importSigningKey, importVerifyingKey, signEnvelope, verifyEnvelope } from "./dsse.ts";
 * const pair = await generateSigningKeyPair();
 * const env = await signEnvelope({ payloadType: "t", payload: new TextEncoder().encode("hi") }, await importSigningKey(pair.privatePem));
 * const out = await verifyEnvelope(env, await importVerifyingKey(pair.publicPem));
 * if (new TextDecoder().decode(out) !== "hi") throw new Error();
 * ```
 */
export async function signEnvelope(
  content: EnvelopeContent,
  key: SigningKey,
): Promise<Envelope> {
  const { payloadType, payload } = content;
  const raw = new Uint8Array(
    await crypto.subtle.sign(SIGN, key.privateKey, pae(payloadType, payload) as BufferSource),
  );
  return {
    payloadType,
    payload: toBase64(payload),
    signatures: [{ keyid: key.keyid, sig: toBase64(p1363ToDer(raw)) }],
  };
}

/**
 * Verifies a DSSE envelope with one public key and returns its payload.
 *
 * @param envelope The envelope (parsed, or its JSON text).
 * @param key The public key.
 * @returns The payload's bytes.
 * @throws {SignatureError} `SIGNATURE_INVALID` (malformed, or the signature does not verify),
 * `SIGNATURE_WRONG_KEY` (no signature names this key).
 * @example
 * ```ts
 * import { verifyEnvelope } from "./dsse.ts";
 * import { generateSigningKeyPair } from "./keygen.ts";
 * import { importVerifyingKey } from "./dsse.ts";
 * const key = await importVerifyingKey((await generateSigningKeyPair()).publicPem);
 * await verifyEnvelope("{}", key).then(() => { throw new Error("accepted"); }, () => {});
 * ```
 */
export async function verifyEnvelope(
  envelope: Envelope | string,
  key: VerifyingKey,
): Promise<Uint8Array> {
  const e = typeof envelope === "string" ? parseEnvelope(envelope) : envelope;
  const mine = e.signatures.filter((s) => s.keyid === key.keyid);
  if (mine.length === 0) {
    throw new SignatureError(
      "SIGNATURE_WRONG_KEY",
      `Cannot verify the envelope with key ${key.keyid}: it is signed by ${
        e.signatures.map((s) => s.keyid || "(no keyid)").join(", ")
      }`,
    );
  }
  const payload = fromBase64(e.payload);
  const message = pae(e.payloadType, payload);
  for (const s of mine) {
    const raw = derToP1363(fromBase64(s.sig), 32);
    if (
      await crypto.subtle.verify(SIGN, key.publicKey, raw as BufferSource, message as BufferSource)
    ) {
      return payload;
    }
  }
  throw new SignatureError(
    "SIGNATURE_INVALID",
    `Cannot verify the envelope with key ${key.keyid}: the signature does not match its payload`,
  );
}

/**
 * Parses a DSSE envelope's JSON, strictly (every field of the right type).
 *
 * @param text The JSON text.
 * @returns The envelope.
 * @throws {SignatureError} `SIGNATURE_INVALID` when it is not an envelope.
 * @example
 * ```ts
 * import { parseEnvelope } from "./dsse.ts";
 * const e = parseEnvelope('{"payloadType":"t","payload":"aGk=","signatures":[{"keyid":"k","sig":"AA=="}]}');
 * if (e.signatures.length !== 1) throw new Error();
 * ```
 */
export function parseEnvelope(text: string): Envelope {
  const bad = (why: string): never => {
    throw new SignatureError("SIGNATURE_INVALID", `Cannot read the DSSE envelope: ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return bad(`not JSON (${(error as Error).message})`);
  }
  const r = data as Record<string, unknown> | null;
  if (typeof r !== "object" || r === null || Array.isArray(r)) return bad("not an object");
  if (typeof r["payloadType"] !== "string" || typeof r["payload"] !== "string") {
    return bad("payloadType and payload must be strings");
  }
  const sigs = r["signatures"];
  if (!Array.isArray(sigs) || sigs.length === 0) return bad("no signatures");
  const signatures = sigs.map((s) => {
    const o = s as Record<string, unknown> | null;
    if (typeof o !== "object" || o === null || typeof o["sig"] !== "string") {
      return bad("a signature without sig");
    }
    return { keyid: typeof o["keyid"] === "string" ? o["keyid"] : "", sig: o["sig"] };
  });
  return { payloadType: r["payloadType"], payload: r["payload"], signatures };
}

/**
 * Imports a PKCS#8 PEM ECDSA P-256 private key and derives the keyid of its public half.
 *
 * @param pem The `-----BEGIN PRIVATE KEY-----` text.
 * @returns The key and its keyid.
 * @throws {SignatureError} `KEY_INVALID` when it is not a PKCS#8 P-256 key.
 * @example
 * ```ts
 * import { importSigningKey } from "./dsse.ts";
 * await importSigningKey("nope").then(() => { throw new Error("accepted"); }, () => {});
 * ```
 */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  try {
    const der = pemDecode(pem, "PRIVATE KEY");
    const extractable = await crypto.subtle.importKey("pkcs8", der as BufferSource, ALG, true, [
      "sign",
    ]);
    const jwk = await crypto.subtle.exportKey("jwk", extractable);
    const pub = await crypto.subtle.importKey(
      "jwk",
      { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y!, ext: true },
      ALG,
      true,
      ["verify"],
    );
    const privateKey = await crypto.subtle.importKey("pkcs8", der as BufferSource, ALG, false, [
      "sign",
    ]);
    return {
      privateKey,
      keyid: await keyIdOf(new Uint8Array(await crypto.subtle.exportKey("spki", pub))),
    };
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw new SignatureError(
      "KEY_INVALID",
      `Cannot use the private key: not a PKCS#8 ECDSA P-256 key (${(error as Error).message})`,
    );
  }
}

/**
 * Imports an SPKI PEM ECDSA P-256 public key.
 *
 * @param pem The `-----BEGIN PUBLIC KEY-----` text.
 * @returns The key and its keyid.
 * @throws {SignatureError} `KEY_INVALID` when it is not an SPKI P-256 key.
 * @example
 * ```ts
 * import { importVerifyingKey } from "./dsse.ts";
 * await importVerifyingKey("nope").then(() => { throw new Error("accepted"); }, () => {});
 * ```
 */
export async function importVerifyingKey(pem: string): Promise<VerifyingKey> {
  try {
    const der = pemDecode(pem, "PUBLIC KEY");
    const publicKey = await crypto.subtle.importKey("spki", der as BufferSource, ALG, true, [
      "verify",
    ]);
    return { publicKey, keyid: await keyIdOf(der) };
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw new SignatureError(
      "KEY_INVALID",
      `Cannot use the public key: not an SPKI ECDSA P-256 key (${(error as Error).message})`,
    );
  }
}

/**
 * The keyid of a public key: SHA-256 of its SPKI DER, lowercase hex.
 *
 * @param spki The SPKI DER bytes.
 * @returns 64 lowercase hex digits.
 * @example
 * ```ts
 * import { keyIdOf } from "./dsse.ts";
 * if ((await keyIdOf(new Uint8Array())).length !== 64) throw new Error();
 * ```
 */
export async function keyIdOf(spki: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", spki as BufferSource);
  return toHex(new Uint8Array(digest)).toLowerCase();
}

/**
 * Encodes DER bytes as PEM (64-column base64, LF line ends).
 *
 * @param label E.g. `PUBLIC KEY`.
 * @param der The bytes.
 * @returns The PEM text, ending with LF.
 * @example
 * ```ts
 * import { pemDecode, pemEncode } from "./dsse.ts";
 * if (pemDecode(pemEncode("X", new Uint8Array([1, 2])), "X").join() !== "1,2") throw new Error();
 * ```
 */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = toBase64(der).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/**
 * Decodes the one PEM block with `label` (CRLF or LF).
 *
 * @param text The PEM text.
 * @param label E.g. `PUBLIC KEY`.
 * @returns The DER bytes.
 * @throws {SignatureError} `KEY_INVALID` when there is not exactly one such block.
 * @example
 * ```ts
 * import { pemDecode } from "./dsse.ts";
 * try { pemDecode("x", "PUBLIC KEY"); throw new Error("accepted"); }
 * catch (e) { if ((e as { code?: string }).code !== "KEY_INVALID") throw e; }
 * ```
 */
export function pemDecode(text: string, label: string): Uint8Array {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`, "g");
  const blocks = [...text.matchAll(re)];
  if (blocks.length !== 1) {
    throw new SignatureError(
      "KEY_INVALID",
      `Cannot read the key: expected one "${label}" PEM block, found ${blocks.length}`,
    );
  }
  try {
    return fromBase64(blocks[0]![1]!.replace(/\s+/g, ""));
  } catch {
    throw new SignatureError(
      "KEY_INVALID",
      `Cannot read the key: its "${label}" block is not base64`,
    );
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new SignatureError("SIGNATURE_INVALID", "Cannot read base64: it is malformed");
  }
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

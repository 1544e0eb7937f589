/**
 * `bootpack keygen`: an ECDSA P-256 key pair to sign proofpacks (SPEC §6), made with WebCrypto:
 * the private key as PKCS#8 PEM (file mode 0600), the public key as SPKI PEM, both readable by
 * openssl and .NET. Nothing is overwritten: each file is created with `createNew`, so a file, a
 * symlink or a FIFO already at either name makes it fail, and a half-written pair is removed.
 *
 * @module
 */

import { keyIdOf, pemEncode } from "./dsse.ts";

/** File name of the private key in the `--out` folder. */
export const PRIVATE_KEY_FILE = "bootpack-signing.key.pem";
/** File name of the public key in the `--out` folder. */
export const PUBLIC_KEY_FILE = "bootpack-signing.pub.pem";

/** A key pair as PEM text. */
export interface KeyPairPem {
  /** PKCS#8 private key. */
  readonly privatePem: string;
  /** SPKI public key. */
  readonly publicPem: string;
  /** SHA-256 of the SPKI DER, lowercase hex. */
  readonly keyid: string;
}

/** A key pair that cannot be written. */
export class KeygenError extends Error {
  /** `KEY_EXISTS` (a file is already there) or `KEY_WRITE_FAILED`. */
  readonly code: "KEY_EXISTS" | "KEY_WRITE_FAILED";
  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What is wrong.
   */
  constructor(code: "KEY_EXISTS" | "KEY_WRITE_FAILED", message: string) {
    super(message);
    this.name = "KeygenError";
    this.code = code;
  }
}

/**
 * Generates an ECDSA P-256 key pair.
 *
 * @returns The PEM texts and the keyid.
 * @example
 * ```ts
 * import { generateSigningKeyPair } from "./keygen.ts";
 * const p = await generateSigningKeyPair();
 * if (!p.privatePem.startsWith("-----BEGIN PRIVATE KEY-----")) throw new Error();
 * ```
 */
export async function generateSigningKeyPair(): Promise<KeyPairPem> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return {
    privatePem: pemEncode("PRIVATE KEY", pkcs8),
    publicPem: pemEncode("PUBLIC KEY", spki),
    keyid: await keyIdOf(spki),
  };
}

/**
 * Writes a key pair into `dir` (created if missing) as {@linkcode PRIVATE_KEY_FILE} (mode 0600)
 * and {@linkcode PUBLIC_KEY_FILE}, overwriting nothing.
 *
 * @param dir The folder.
 * @param pair The key pair.
 * @returns The two paths.
 * @throws {KeygenError} `KEY_EXISTS` when either name is taken, `KEY_WRITE_FAILED` otherwise;
 * nothing it wrote is left.
 * @example
 * ```ts
 * import { generateSigningKeyPair, writeKeyPair } from "./keygen.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const { privateKey } = await writeKeyPair(`${dir}/keys`, await generateSigningKeyPair());
 *   if (Deno.build.os !== "windows" && ((await Deno.stat(privateKey)).mode! & 0o777) !== 0o600) throw new Error();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeKeyPair(
  dir: string,
  pair: KeyPairPem,
): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = `${dir}/${PRIVATE_KEY_FILE}`;
  const publicKey = `${dir}/${PUBLIC_KEY_FILE}`;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new KeygenError(
      "KEY_WRITE_FAILED",
      `Cannot create "${dir}": ${(error as Error).message}`,
    );
  }
  await createFile(privateKey, pair.privatePem, 0o600);
  try {
    await createFile(publicKey, pair.publicPem, 0o644);
  } catch (error) {
    await Deno.remove(privateKey).catch(() => {});
    throw error;
  }
  return { privateKey, publicKey };
}

async function createFile(path: string, text: string, mode: number): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new KeygenError(
        "KEY_EXISTS",
        `Cannot write "${path}": it exists (nothing is overwritten)`,
      );
    }
    throw new KeygenError(
      "KEY_WRITE_FAILED",
      `Cannot write "${path}": ${(error as Error).message}`,
    );
  }
  try {
    // The mode is set at creation: the umask can only clear bits, so 0600 stays at most 0600.
    const bytes = new TextEncoder().encode(text);
    let done = 0;
    while (done < bytes.length) done += await file.write(bytes.subarray(done));
    await file.syncData();
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw new KeygenError(
      "KEY_WRITE_FAILED",
      `Cannot write "${path}": ${(error as Error).message}`,
    );
  }
  file.close();
}

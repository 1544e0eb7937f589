/**
 * SHA256 of bytes in memory with WebCrypto, written the contract's way: 64 UPPERCASE hex digits.
 *
 * @module
 */

/**
 * Computes the SHA256 of bytes held in memory (WebCrypto `crypto.subtle.digest`).
 *
 * @param bytes The data.
 * @returns 64 uppercase hexadecimal digits.
 * @example
 * ```ts
 * import { sha256Hex } from "./sha256.ts";
 * const h = await sha256Hex(new TextEncoder().encode("abc"));
 * if (!h.startsWith("BA7816BF")) throw new Error(h);
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return toHex(digest);
}

/**
 * Compares two SHA256 hex strings case-insensitively (the contract's rule).
 *
 * @param a One digest.
 * @param b The other.
 * @returns `true` when both are the same 64-digit digest.
 * @example
 * ```ts
 * import { sameSha256 } from "./sha256.ts";
 * if (!sameSha256("ab".repeat(32), "AB".repeat(32))) throw new Error();
 * ```
 */
export function sameSha256(a: string, b: string): boolean {
  return a.length === 64 && a.toUpperCase() === b.toUpperCase();
}

const HEX = "0123456789ABCDEF";

/**
 * Writes bytes as uppercase hexadecimal.
 *
 * @param bytes Any bytes.
 * @returns Two uppercase hex digits per byte.
 * @example
 * ```ts
 * import { toHex } from "./sha256.ts";
 * if (toHex(new Uint8Array([0, 255])) !== "00FF") throw new Error();
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

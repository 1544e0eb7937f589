/**
 * CLI of `keygen`: writes an ECDSA P-256 key pair to sign proofpacks (`proofpack export --sign`,
 * `certify --sign`) and to verify them (`proofpack verify --pubkey`).
 *
 * @module
 */

import {
  generateSigningKeyPair,
  KeygenError,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  writeKeyPair,
} from "../lib/proofpack/keygen.ts";
import { parseFlags, UsageError } from "./_args.ts";
import { printError, printInfo, writeStderr, writeStdout } from "./_output.ts";

const HELP = `Usage: bootpack keygen --out DIR

Writes an ECDSA P-256 key pair (WebCrypto) into DIR, created if missing:
  ${PRIVATE_KEY_FILE}   PKCS#8 PEM, mode 0600: sign with proofpack export --sign
  ${PUBLIC_KEY_FILE}   SPKI PEM: verify with proofpack verify --pubkey, or openssl
Prints the keyid (SHA-256 of the public key's SPKI DER), the name verifiers show.
Nothing is overwritten: an existing file at either name fails (KEY_EXISTS).

Options:
  --out DIR    The folder for the two files (required)
  -h, --help   Show this help
`;

/**
 * Runs `bootpack keygen`.
 *
 * @param args Arguments after the command name.
 * @returns 0 when both files were written, 1 when not, 2 on usage errors.
 * @example
 * ```ts
 * import { main } from "./keygen.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    const out = flags.values["out"];
    if (typeof out !== "string") throw new UsageError("Missing --out DIR");
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    const pair = await generateSigningKeyPair();
    const paths = await writeKeyPair(out, pair);
    writeStdout(`keyid ${pair.keyid}\n`);
    printInfo(
      `wrote ${paths.privateKey} (private, 0600) and ${paths.publicKey}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`keygen: ${error.message}`);
      writeStderr("Usage: bootpack keygen --out DIR\n");
      return 2;
    }
    if (error instanceof KeygenError) {
      printError(`keygen: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/**
 * The two scripts a proofpack carries for auditors who do not trust bootpack, whose readable
 * sources are `lib/proofpack/scripts/replay.sh` and `verify.ps1` (shellcheck and the PowerShell
 * grammar check read those; `deno task gen` carries them into `_scripts_text.ts`):
 * `replay.sh` (bash + GNU coreutils + Deno: checks the sums, then re-runs the recorded gates in a
 * read-only sandbox and compares) and `verify.ps1` (Windows PowerShell 5.1, nothing to install:
 * checks every hash). No I/O.
 *
 * @module
 */

import { REPLAY_SH_TEXT, VERIFY_PS1_TEXT } from "./_scripts_text.ts";

/**
 * Quotes a string for bash with single quotes (every byte literal).
 *
 * @param s Any string without NUL.
 * @returns The quoted word.
 * @throws {TypeError} When `s` contains NUL, which bash cannot pass.
 * @example
 * ```ts
 * import { bashQuote } from "./scripts.ts";
 * if (bashQuote("it's") !== "'it'\\''s'") throw new Error(bashQuote("it's"));
 * ```
 */
export function bashQuote(s: string): string {
  if (s.includes("\0")) throw new TypeError(`Cannot quote ${JSON.stringify(s)} for bash: NUL`);
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The text of `replay.sh` (LF line ends, passes `shellcheck`): the readable source
 * `lib/proofpack/scripts/replay.sh`, carried in the program by `deno task gen`. It is the same for
 * every pack: what it replays it derives from the pack's own evidence (the BootPack that
 * `MANIFEST.json` names), not from arguments written into it.
 *
 * What it does, in order, and stops at the first step that fails (exit 1; 2 when it cannot run):
 * 1. reads `SHA256SUMS.txt` (strict UTF-8, LF-terminated, well-formed lines, safe paths);
 * 2. walks the pack (`find`, whose errors fail): a symlink, a special file, a file not listed or a
 *    folder holding no listed file is refused, a listed file that is absent is missing;
 * 3. `sha256sum -c --strict --quiet SHA256SUMS.txt`, and MANIFEST's paths, SHA256 and sizes;
 * 4. copies the listed files into a private folder, checks the copy, and re-runs each gate there
 *    with `deno run --allow-read=<copy>` (no other permission) with the pack's `tool/bootpack.js`
 *    or `BOOTPACK_CLI`, and compares stdout and exit code with the record.
 *
 * @returns The script's text.
 * @example
 * ```ts
 * import { renderReplaySh } from "./scripts.ts";
 * const sh = renderReplaySh();
 * if (!sh.startsWith("#!/usr/bin/env bash\n")) throw new Error();
 * ```
 */
export function renderReplaySh(): string {
  return REPLAY_SH_TEXT;
}

/**
 * Renders `verify.ps1` for Windows PowerShell 5.1 (and later), ASCII only, CRLF line ends; the
 * writer adds the UTF-8 BOM the contract requires (see {@linkcode encodeVerifyPs1}).
 *
 * It reads `SHA256SUMS.txt` as UTF-8 explicitly, refuses unsafe names and reparse points
 * (symlinks, junctions) before opening any listed file, hashes each file with
 * `Get-FileHash -LiteralPath`, compares hex case-insensitively, names every missing, modified and
 * extra file, and exits 0 or 1.
 *
 * @returns The script's text (no BOM).
 * @example
 * ```ts
 * import { renderVerifyPs1 } from "./scripts.ts";
 * if (!/^[\x00-\x7f]*$/.test(renderVerifyPs1())) throw new Error("not ASCII");
 * ```
 */
export function renderVerifyPs1(): string {
  return VERIFY_PS1_TEXT.replace(/\r?\n/g, "\r\n");
}

/**
 * Encodes `verify.ps1` as UTF-8 with a BOM (contract §C.4).
 *
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { encodeVerifyPs1 } from "./scripts.ts";
 * const b = encodeVerifyPs1();
 * if (b[0] !== 0xef || b[1] !== 0xbb || b[2] !== 0xbf) throw new Error();
 * ```
 */
export function encodeVerifyPs1(): Uint8Array {
  return new TextEncoder().encode("\uFEFF" + renderVerifyPs1());
}

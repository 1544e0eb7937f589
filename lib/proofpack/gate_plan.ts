/**
 * Pure: the gate command lines a proofpack records and replays, derived from the pack's own
 * evidence (the BootPack that `MANIFEST.json` names and the POINTER inside it), never from
 * free-form arguments. Export and every verifier call this one function, so a pack whose recorded
 * arguments point anywhere else (a decoy BootPack, a file outside the pack) does not verify.
 *
 * @module
 */

import { fromLongPath } from "../bootpack/pointer_path.ts";

/** The folder of a pack that holds the evidence. */
export const EVIDENCE_DIR = "evidence";

/** Where a BootPack's KB goes in a pack, and the `--map` rule that finds it there. */
export interface KbPlacement {
  /** Pack path of the KB, e.g. `evidence/BUG_KB.json.txt`. */
  readonly kb: string;
  /** `FROM=evidence` for `--map`, or `null` when the POINTER names a bare file name. */
  readonly map: string | null;
}

/**
 * Places the KB a BootPack's POINTER names inside a pack: `evidence/<file name>`, with the
 * POINTER's folder mapped to `evidence`.
 *
 * @param pointerPath The POINTER's `Path` value.
 * @returns The placement, or why the POINTER cannot be mapped (a sentence fragment).
 * @example
 * ```ts
 * import { placeKb } from "./gate_plan.ts";
 * const p = placeKb("C:\\kb\\BUG_KB.json.txt");
 * if (typeof p === "string" || p.kb !== "evidence/BUG_KB.json.txt" || p.map !== "C:\\kb=evidence") throw new Error();
 * ```
 */
export function placeKb(pointerPath: string): KbPlacement | string {
  const plain = fromLongPath(pointerPath);
  const cut = Math.max(plain.lastIndexOf("/"), plain.lastIndexOf("\\"));
  const name = plain.slice(cut + 1);
  const from = cut === -1 ? null : plain.slice(0, cut);
  if (from !== null && (from.trim() === "" || from.includes("=") || from.trim() !== from)) {
    return "its folder cannot be written as --map FROM=evidence";
  }
  return {
    kb: `${EVIDENCE_DIR}/${name}`,
    map: from === null ? null : `${from}=${EVIDENCE_DIR}`,
  };
}

/**
 * The arguments a recorded gate runs with: `<name> <bootpack> [--map FROM=evidence]`.
 *
 * @param name `acceptance` or `selftest`.
 * @param bootpack Pack path of the BootPack.
 * @param map The `--map` rule from {@linkcode placeKb}, or `null`.
 * @returns The arguments after the CLI.
 * @example
 * ```ts
 * import { gateArgs } from "./gate_plan.ts";
 * if (gateArgs("selftest", "evidence/b.txt", null).join(" ") !== "selftest evidence/b.txt") throw new Error();
 * ```
 */
export function gateArgs(name: string, bootpack: string, map: string | null): string[] {
  return [name, bootpack, ...(map === null ? [] : ["--map", map])];
}

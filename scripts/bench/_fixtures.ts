/**
 * Generated inputs for benchmarks: KBs and BootPacks of any size, written the way users write
 * them (CRLF, pretty-printed).
 *
 * @module
 */

import { sha256Hex } from "../../lib/core/sha256.ts";
import { cliInvocation } from "../../lib/certify/cli_process.ts";
import { TASK_BUILD_ENTRY } from "../../lib/core/program.ts";
import type { BenchCommand, BenchContext } from "./_harness.ts";

/** Paths of a generated BootPack and its KB. */
export interface GeneratedBootPack {
  /** The BootPack. */
  readonly bootpack: string;
  /** The KB it points to (relative Path, so no --map is needed). */
  readonly kb: string;
  /** Size of the KB in bytes. */
  readonly kbBytes: number;
}

/**
 * Makes a KB text with `n` entries, every third blocking, about `pad` extra characters each.
 *
 * @param n Entries.
 * @param pad Extra characters per entry (to reach a size).
 * @returns The KB's text (CRLF).
 */
export function kbText(n: number, pad = 40): string {
  const entries = Array.from({ length: n }, (_, i) => ({
    id: `KB-${String(i + 1).padStart(6, "0")}`,
    title: `Generated entry ${i + 1}`,
    symptom: "x".repeat(pad),
    blocking: i % 3 === 0,
    tags: ["bench", `t${i % 17}`],
  }));
  return JSON.stringify(entries, null, 2).replaceAll("\n", "\r\n") + "\r\n";
}

/**
 * Writes `BUG_KB_<n>.json.txt` and `bootpack_<n>.txt` (up to date) into `dir`.
 *
 * @param dir Folder.
 * @param n Entries.
 * @param pad Extra characters per entry.
 * @returns The paths.
 */
export async function writeBootPack(dir: string, n: number, pad = 40): Promise<GeneratedBootPack> {
  const text = kbText(n, pad);
  const bytes = new TextEncoder().encode(text);
  const kbName = `BUG_KB_${n}.json.txt`;
  const kb = `${dir}/${kbName}`;
  await Deno.writeFile(kb, bytes);
  const sha = await sha256Hex(bytes);
  const bootpack = `${dir}/bootpack_${n}.txt`;
  await Deno.writeTextFile(
    bootpack,
    `Generated BootPack (${n} entries)\r\n\r\n[BUG_KB_JSON]\r\n\`\`\`\r\n${text}\`\`\`\r\n\r\n` +
      `[BUG_KB_JSON_POINTER]\r\nPath=${kbName}\r\nSHA256=${sha}\r\nEntries=${n}\r\n`,
  );
  return { bootpack, kb, kbBytes: bytes.length };
}

/**
 * The command that runs one read-only gate as its deno task does: the tasks' build
 * (`dist/tasks/cli.js`, which `deno task bench` builds first) with the task's flags; or, with
 * `program`, that program (`cli.ts` from source, a copy of the build).
 *
 * @param ctx The bench context (deno, repository root).
 * @param command `acceptance` or `selftest`.
 * @param bootpack The BootPack.
 * @param program The program to run instead of the tasks' build.
 * @returns The command.
 */
export function gateCommand(
  ctx: BenchContext,
  command: string,
  bootpack: string,
  program?: string,
): BenchCommand {
  return { label: `bootpack ${command}`, argv: cliArgv(ctx, [command, bootpack], program) };
}

/** The program with ARGS as its task runs it (`cliInvocation`: the task's flags from deno.json). */
function cliArgv(ctx: BenchContext, args: readonly string[], program?: string): string[] {
  const cliPath = program ?? `${ctx.root}/${TASK_BUILD_ENTRY}`;
  const inv = cliInvocation(args, { execPath: ctx.deno, cliPath });
  return [inv.command, ...inv.args];
}

/**
 * `proofpack <args>` with the program and flags of the `proofpack` task in deno.json, so that
 * the bench runs export and verify as a user's `deno task proofpack` does (export bundles the
 * pack's tool with `deno` and reads `SOURCE_DATE_EPOCH`).
 *
 * @param ctx The bench context (deno, repository root).
 * @param args Arguments after `proofpack`.
 * @returns The command line.
 */
export function proofpackArgv(ctx: BenchContext, args: readonly string[]): string[] {
  return cliArgv(ctx, ["proofpack", ...args]);
}

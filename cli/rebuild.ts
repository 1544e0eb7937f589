/**
 * CLI of `rebuild`: rewrite a BootPack's SNAPSHOT and POINTER from its KB, under the locks,
 * atomically.
 *
 * @module
 */

import type { PathMapping } from "../lib/bootpack/pointer_path.ts";
import { rebuildBootPack } from "../lib/writers/rebuild.ts";
import { UsageError } from "./_args.ts";
import {
  calibrationOf,
  chaosOf,
  COMMON_HELP,
  mapsOf,
  onePositional,
  parseCommand,
} from "./_common.ts";
import { printInfo, writeJson, writeStdout } from "./_output.ts";
import { usageFailure, writerFailure } from "./_writer.ts";

const USAGE = "Usage: bootpack rebuild <BOOTPACK> [--kb KB] [--map FROM=TO]... [--json]";

const HELP = `${USAGE}

Rewrites the BootPack's SNAPSHOT ([BUG_KB_JSON]) as an exact copy of the KB file's text (line
endings converted to the BootPack's own) and its POINTER ([BUG_KB_JSON_POINTER]) in canonical
form: Path= as written (a UNC path stays UNC), SHA256= uppercase SHA256 of the KB's bytes,
Entries= the real count. A BOM is removed. Every other byte stays as it was, line endings
included. Missing sections are appended. Afterwards acceptance --strict passes: when --kb
names another file than the POINTER's Path, Path becomes KB's absolute path. An invalid KB, a
read-only BootPack (BOOTPACK_READ_ONLY), one with several hard links, or a BootPack whose
structure cannot be rewritten safely (duplicate sections, unclosed fences): exit 1, nothing
written.

Takes the BootPack's lock, then the KB's (the one ingest takes), and replaces the BootPack
atomically (temporary file, sync, rename).

Output (stdout): rebuilt|unchanged entries=N sha256=HEX kb=PATH (or one JSON object).
A refusal with --json is one object {"code","message","file","line"} on stdout.
Exit 0 done, 1 refused or failed, 2 usage error.

Options:
  --kb KB              The KB to use (default: the POINTER's Path). Unless the POINTER's
                       Path names this same file, KB's absolute path is written as Path
  --map FROM=TO        Follow a Windows POINTER on this host (repeatable), e.g.
                       --map '\\\\DS-918\\kb=/mnt/kb'
  --json               Print one JSON object
${COMMON_HELP}

Example:
  deno task rebuild bootpack.txt --map '\\\\DS-918\\kb=/mnt/kb'
`;

/**
 * Runs `bootpack rebuild`.
 *
 * @param args Arguments after the command name.
 * @returns The exit code: 0 done, 1 refused or failed, 2 usage error.
 * @example
 * ```ts
 * import { main } from "./rebuild.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let bootpack: string;
  let maps: PathMapping[];
  let flags;
  let chaos;
  try {
    flags = parseCommand(args, {
      kb: { type: "string" },
      map: { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    bootpack = onePositional(flags, "BOOTPACK");
    maps = mapsOf(flags);
    chaos = chaosOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      return usageFailure("rebuild", error.message, USAGE, args.includes("--json"));
    }
    throw error;
  }

  try {
    const calibration = await calibrationOf(flags);
    const kb = flags.values["kb"];
    const result = await rebuildBootPack(bootpack, {
      kb: typeof kb === "string" ? kb : undefined,
      maps,
      calibration,
      chaos,
      onWait: (lockPath) => printInfo(`rebuild: waiting for the lock on "${lockPath}"`),
      onRetry: (message) => printInfo(`rebuild: ${message}`),
    });
    if (result.pathReplaced) {
      printInfo(
        `rebuild: the POINTER's Path did not name "${result.kb}" (or could not be followed here: --map keeps it); Path is now its absolute path`,
      );
    }
    if (flags.values["json"]) {
      writeJson(result, 0);
    } else {
      writeStdout(
        `${
          result.changed ? "rebuilt" : "unchanged"
        } entries=${result.entries} sha256=${result.sha256} kb=${result.kb}\n`,
      );
    }
    return 0;
  } catch (error) {
    return writerFailure("rebuild", error, flags.values["json"] === true);
  }
}

/**
 * CLI of the read-only gates `acceptance` and `selftest`.
 *
 * @module
 */

import { CalibrationError } from "../lib/core/calibration.ts";
import { runGate } from "../lib/gates/gate.ts";
import { formatGateText, gateReportJson } from "../lib/gates/format.ts";
import type { GateCommand } from "../lib/gates/verdict.ts";
import type { PathMapping } from "../lib/bootpack/pointer_path.ts";
import { UsageError } from "./_args.ts";
import {
  calibrationOf,
  chaosOf,
  COMMON_HELP,
  mapsOf,
  onePositional,
  parseCommand,
} from "./_common.ts";
import { printError, writeJson, writeStderr, writeStdout } from "./_output.ts";

const DESCRIPTION: Record<GateCommand, string> = {
  acceptance: `Read-only gate: counts the entries of the BootPack's SNAPSHOT ([BUG_KB_JSON]), checks
every format invariant, and compares with the KB its POINTER names. An unreachable
or stale pointer is a warning (--strict makes it a block).`,
  selftest: `Read-only probe: counts the entries of the external KB that the POINTER
([BUG_KB_JSON_POINTER]) names, checks the BootPack's format, and prints a diag: line
(First3, PathLength, TestPath.Raw/Dequoted/Long, OpenReadOK, KbSha, PtrSha,
PtrEntriesNote). A KB that cannot be read blocks.`,
};

function help(command: GateCommand): string {
  return `Usage: bootpack ${command} <BOOTPACK> [--strict] [--json] [--map FROM=TO]...

${DESCRIPTION[command]}

Output (stdout): one summary line
  entries=N|blocking=N|ptr_exists=B|ptr_sha_match=B|ptr_entries_note=N|json_entries=N
${
    command === "selftest"
      ? "then one diag: line, "
      : ""
  }then [WARN] CODE: lines, then one verdict line:
[PASS] text or [GATE-BLOCK] CODE: text. Exit 0 pass, 1 blocked, 2 usage error.

Options:
  --strict             Block on any warning (stale SNAPSHOT or POINTER, unreachable KB)
  --json               Print one JSON object instead of the text
  --map FROM=TO        Follow a Windows POINTER on this host, e.g.
                       --map '\\\\DS-918\\kb=/mnt/kb' (repeatable; longest match wins)
${COMMON_HELP}

Example:
  deno task ${command} examples/bootpack.txt --map '\\\\DS-918\\kb=examples'
`;
}

/**
 * Runs a gate command.
 *
 * @param command `acceptance` or `selftest`.
 * @param args Arguments after the command name.
 * @returns The exit code: 0 pass, 1 blocked, 2 usage error.
 * @example
 * ```ts
 * import { main } from "./gate.ts";
 * const code = await main("acceptance", ["--help"]);
 * if (code !== 0) throw new Error();
 * ```
 */
export async function main(command: GateCommand, args: string[]): Promise<number> {
  let bootpack: string;
  let maps: PathMapping[];
  let flags;
  try {
    flags = parseCommand(args, {
      strict: { type: "boolean" },
      json: { type: "boolean" },
      map: { type: "string", multiple: true },
    });
    if (flags.values["help"]) {
      writeStdout(help(command));
      return 0;
    }
    bootpack = onePositional(flags, "BOOTPACK");
    maps = mapsOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`${command}: ${error.message}`);
      writeStderr(`Usage: bootpack ${command} <BOOTPACK> [--strict] [--json] [--map FROM=TO]...\n`);
      return 2;
    }
    throw error;
  }
  let calibration;
  let chaos;
  try {
    chaos = chaosOf(flags);
    calibration = await calibrationOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`${command}: ${error.message}`);
      return 2;
    }
    if (error instanceof CalibrationError) {
      printError(`${command}: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }

  const report = await runGate(command, bootpack, {
    strict: flags.values["strict"] === true,
    maps,
    chaos,
    calibration,
  });
  if (flags.values["json"]) {
    writeJson(gateReportJson(report));
  } else {
    writeStdout(formatGateText(report));
    if (report.violations.length > 1) {
      for (const v of report.violations) {
        writeStderr(`${v.file ?? bootpack}:${v.line ?? 1}: ${v.code}: ${v.message}\n`);
      }
    }
  }
  return report.verdict.pass ? 0 : 1;
}

/**
 * Flags every command shares (`-h/--help`, `--chaos MODE`, `--calibration FILE`) and the way a
 * command turns them into library options.
 *
 * @module
 */

import { type Calibration, DEFAULT_CALIBRATION, loadCalibration } from "../lib/core/calibration.ts";
import { type ChaosMode, parseChaosMode } from "../lib/io/file_read.ts";
import { parsePathMapping, type PathMapping } from "../lib/bootpack/pointer_path.ts";
import { type OptionSpec, type ParsedFlags, parseFlags, UsageError } from "./_args.ts";

/** Flags that every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: "boolean", short: "h" },
  chaos: { type: "string" },
  calibration: { type: "string" },
};

/** Help text lines for {@linkcode COMMON_OPTIONS}. */
export const COMMON_HELP =
  `  --chaos MODE         Inject a fault into every file read: TIMEOUT, ERROR, PARTIAL,
                       EMPTY, CORRUPT or LATENCY (gate G3; the command must fail closed)
  --calibration FILE   Thresholds file (JSON or JSONC); default: the built-in
                       budgets/calibration.json
  -h, --help           Show this help`;

/**
 * Parses a command's arguments with the common flags added.
 *
 * @param args Arguments after the command name.
 * @param options The command's own flags.
 * @returns Parsed flags.
 * @throws {UsageError} On unknown flags.
 * @example
 * ```ts
 * import { parseCommand } from "./_common.ts";
 * if (parseCommand(["-h"], {}).values.help !== true) throw new Error();
 * ```
 */
export function parseCommand(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): ParsedFlags {
  return parseFlags(args, { ...COMMON_OPTIONS, ...options });
}

/**
 * Gives the chaos mode of `--chaos`, if any.
 *
 * @param flags Parsed flags.
 * @returns The mode, or `undefined`.
 * @throws {UsageError} For an unknown mode.
 * @example
 * ```ts
 * import { chaosOf } from "./_common.ts";
 * if (chaosOf({ values: { chaos: "empty" }, positionals: [] }) !== "EMPTY") throw new Error();
 * ```
 */
export function chaosOf(flags: ParsedFlags): ChaosMode | undefined {
  const value = flags.values["chaos"];
  if (typeof value !== "string") return undefined;
  try {
    return parseChaosMode(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Gives the calibration of `--calibration FILE`, or the built-in one.
 *
 * @param flags Parsed flags.
 * @returns The calibration.
 * @throws {import("../lib/core/calibration.ts").CalibrationError} When the file is unusable.
 * @example
 * ```ts
 * import { calibrationOf } from "./_common.ts";
 * const c = await calibrationOf({ values: {}, positionals: [] });
 * if (c.retry_count !== 3) throw new Error();
 * ```
 */
export async function calibrationOf(flags: ParsedFlags): Promise<Calibration> {
  const value = flags.values["calibration"];
  return typeof value === "string" ? await loadCalibration(value) : DEFAULT_CALIBRATION;
}

/**
 * Gives the single positional argument a command requires.
 *
 * @param flags Parsed flags.
 * @param what Its name for the message, e.g. `BOOTPACK`.
 * @returns The argument.
 * @throws {UsageError} When it is missing or there are more.
 * @example
 * ```ts
 * import { onePositional } from "./_common.ts";
 * if (onePositional({ values: {}, positionals: ["b.txt"] }, "BOOTPACK") !== "b.txt") throw new Error();
 * ```
 */
export function onePositional(flags: ParsedFlags, what: string): string {
  const [first, ...rest] = flags.positionals;
  if (first === undefined) throw new UsageError(`Missing argument ${what}`);
  if (rest.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(rest[0])}`);
  return first;
}

/**
 * Gives the `--map FROM=TO` rules, in order.
 *
 * @param flags Parsed flags.
 * @returns The mappings (none when the flag is absent).
 * @throws {UsageError} For a value that is not FROM=TO.
 * @example
 * ```ts
 * import { mapsOf } from "./_common.ts";
 * if (mapsOf({ values: { map: ["a=b"] }, positionals: [] })[0]?.to !== "b") throw new Error();
 * ```
 */
export function mapsOf(flags: ParsedFlags): PathMapping[] {
  return ((flags.values["map"] as string[] | undefined) ?? []).map((m) => {
    try {
      return parsePathMapping(m);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
}

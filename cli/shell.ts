/**
 * The part of the command-line shell that `scripts/` may use: flag parsing with its usage error,
 * the options every command shares (calibration, chaos), and the one output path (stdout for
 * data, stderr for messages, input text escaped). The implementations stay in `cli/`'s internal
 * `_` modules, which only `cli.ts` and `cli/` import (`tests/layers_test.ts` keeps it so).
 *
 * @example
 * ```ts
 * import { parseFlags, UsageError } from "./shell.ts";
 *
 * const flags = parseFlags(["--json", "pack"], { json: { type: "boolean" } });
 * if (flags.positionals[0] !== "pack" || flags.values.json !== true) throw new Error();
 * try {
 *   parseFlags(["--nope"], {});
 *   throw new Error("no usage error");
 * } catch (error) {
 *   if (!(error instanceof UsageError)) throw error;
 * }
 * ```
 *
 * @module
 */

export { type OptionSpec, type ParsedFlags, parseFlags, UsageError } from "./_args.ts";
export { calibrationOf, parseCommand } from "./_common.ts";
export { printError, printInfo, writeJson, writeStderr, writeStdout } from "./_output.ts";

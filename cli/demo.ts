/**
 * CLI of `demo`: runs the pipeline on the bundled example so that a newcomer sees every command
 * at work. Reads `examples/` from the working directory (or `--dir`), never from the program's
 * own source tree.
 *
 * @module
 */

import { runGate } from "../lib/gate.ts";
import { formatGateText } from "../lib/gate_format.ts";
import { UsageError } from "./_args.ts";
import { parseCommand } from "./_common.ts";
import { printError, writeStderr, writeStdout } from "./_output.ts";

const HELP = `Usage: bootpack demo [--dir DIR]

Runs the pipeline on the bundled example: acceptance and selftest on DIR/bootpack.txt,
whose POINTER names \\\\DS-918\\kb\\BUG_KB.json.txt, mapped to DIR/BUG_KB.json.txt.

Options:
  --dir DIR    Folder holding bootpack.txt and BUG_KB.json.txt (default: examples)
  -h, --help   Show this help
`;

/**
 * Runs `bootpack demo`.
 *
 * @param args Arguments after the command name.
 * @returns 0 when every step behaved as expected, else 1 (2 on usage errors).
 * @example
 * ```ts
 * import { main } from "./demo.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let dir: string;
  try {
    const flags = parseCommand(args, { dir: { type: "string" } });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    dir = (flags.values["dir"] as string | undefined) ?? "examples";
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`demo: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const bootpack = `${dir}/bootpack.txt`;
  const maps = [{ from: "\\\\DS-918\\kb", to: dir }];
  let ok = true;
  for (const command of ["acceptance", "selftest"] as const) {
    writeStderr(`\n$ bootpack ${command} ${bootpack} --map '\\\\DS-918\\kb=${dir}'\n`);
    const report = await runGate(command, bootpack, { maps });
    writeStdout(formatGateText(report));
    ok &&= report.verdict.pass;
  }
  if (!ok) printError(`demo: a step blocked; is ${dir}/ the bundled example?`);
  return ok ? 0 : 1;
}

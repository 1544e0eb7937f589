/**
 * CLI of `selftest`: the read-only probe of the external KB.
 *
 * @module
 */

import { main as gate } from "./gate.ts";

/**
 * Runs `bootpack selftest`.
 *
 * @param args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./selftest.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export function main(args: string[]): Promise<number> {
  return gate("selftest", args);
}

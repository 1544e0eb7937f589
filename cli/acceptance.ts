/**
 * CLI of `acceptance`: the read-only gate on the SNAPSHOT.
 *
 * @module
 */

import { main as gate } from "./gate.ts";

/**
 * Runs `bootpack acceptance`.
 *
 * @param args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./acceptance.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export function main(args: string[]): Promise<number> {
  return gate("acceptance", args);
}

/**
 * CLI of `rebuild` (placeholder until its issue lands).
 *
 * @module
 */

import { printError } from "./_output.ts";

/**
 * Runs `bootpack rebuild`.
 *
 * @param _args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./rebuild.ts";
 * await main([]);
 * ```
 */
export function main(_args: string[]): Promise<number> {
  printError("rebuild: not implemented yet");
  return Promise.resolve(1);
}

/**
 * CLI of `certify` (placeholder until its issue lands).
 *
 * @module
 */

import { printError } from "./_output.ts";

/**
 * Runs `bootpack certify`.
 *
 * @param _args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./certify.ts";
 * await main([]);
 * ```
 */
export function main(_args: string[]): Promise<number> {
  printError("certify: not implemented yet");
  return Promise.resolve(1);
}

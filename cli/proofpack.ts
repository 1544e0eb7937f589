/**
 * CLI of `proofpack` (placeholder until its issue lands).
 *
 * @module
 */

import { printError } from "./_output.ts";

/**
 * Runs `bootpack proofpack`.
 *
 * @param _args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./proofpack.ts";
 * await main([]);
 * ```
 */
export function main(_args: string[]): Promise<number> {
  printError("proofpack: not implemented yet");
  return Promise.resolve(1);
}

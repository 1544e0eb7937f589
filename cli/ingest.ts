/**
 * CLI of `ingest` (placeholder until its issue lands).
 *
 * @module
 */

import { printError } from "./_output.ts";

/**
 * Runs `bootpack ingest`.
 *
 * @param _args Arguments after the command name.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./ingest.ts";
 * await main([]);
 * ```
 */
export function main(_args: string[]): Promise<number> {
  printError("ingest: not implemented yet");
  return Promise.resolve(1);
}

/**
 * Test seams of {@link import("./atomic_write.ts").atomicReplace}, kept out of its public options:
 * the library's writers and the tests pass them in an options object typed with this, and
 * `atomicReplace` reads them from there.
 *
 * @module
 */

import type { AtomicWriteStep } from "./atomic_write.ts";

/** Hooks for fault-injection tests. */
export interface AtomicWriteSeams {
  /** Called at each step; the write waits for it. Default none. */
  readonly onStep?: (step: AtomicWriteStep) => void | Promise<void>;
  /** The rename to use. Default `Deno.rename`. For tests that inject refusals. */
  readonly rename?: (from: string, to: string) => Promise<void>;
}

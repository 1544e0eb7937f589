/**
 * Test helper: builds the single-file bundle once per test module into a temporary folder outside
 * the repository, with the same function `deno task bundle` uses.
 *
 * @module
 */

import { buildBundle } from "../lib/proofpack/tool.ts";
import { ROOT } from "./_helpers.ts";

let built: Promise<string> | undefined;

/**
 * The path of a bundle of this source tree, in its own temporary folder (removed at exit).
 *
 * @returns The bundle's absolute path.
 */
export function testBundle(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "bootpack_bundle_" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Already gone.
      }
    });
    const out = `${dir}/bootpack.js`;
    await buildBundle(out, { sourceDir: ROOT, version: "test" });
    return out;
  })();
  return built;
}

/** What a bundle run did. */
export interface BundleResult {
  /** Exit code. */
  readonly code: number;
  /** stdout. */
  readonly stdout: string;
  /** stderr. */
  readonly stderr: string;
}

/**
 * Runs `deno run --no-prompt <permissions> <bundle> <args>` from `cwd`.
 *
 * @param bundle The bundle.
 * @param permissions Permission flags.
 * @param args CLI arguments.
 * @param cwd The working directory (a folder with no source).
 * @returns Exit code and output.
 */
export async function runBundle(
  bundle: string,
  permissions: readonly string[],
  args: readonly string[],
  cwd: string,
): Promise<BundleResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", ...permissions, bundle, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

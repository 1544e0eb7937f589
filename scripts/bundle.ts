/**
 * `deno task bundle`: writes `dist/bootpack.js`, the whole program (every command) as one ES module
 * that runs anywhere Deno does, reading nothing from the source tree:
 *
 *   deno task bundle [--out FILE]
 *   deno run --allow-read dist/bootpack.js acceptance bootpack.txt
 *
 * Its first line records bootpack's version and the source commit (SPEC §8).
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { buildBundle } from "../lib/proofpack/tool.ts";
import { sha256Hex } from "../lib/core/sha256.ts";
import { messageOf } from "../lib/core/error.ts";

/** Where `deno task bundle` writes by default. */
export const BUNDLE_OUT = "dist/bootpack.js";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`bundle: ${messageOf(error)}`);
    return 2;
  }
  if (values.help) {
    console.log(`Usage: deno task bundle [--out FILE]

Writes ${BUNDLE_OUT} (or FILE): every command of bootpack in one ES module.
  --out FILE   Where to write it (default ${BUNDLE_OUT})
  -h, --help   Show this help`);
    return 0;
  }
  const out = values.out ?? BUNDLE_OUT;
  try {
    const slash = out.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(out.slice(0, slash), { recursive: true });
    const built = await buildBundle(out, { version: denoJson.version });
    console.log(`${(await sha256Hex(built.bytes)).toLowerCase()}  ${out}`);
    console.error(
      `bundle: ${built.bytes.length} bytes, source ${built.commit ?? built.commitNote}`,
    );
    return 0;
  } catch (error) {
    console.error(`bundle: ${messageOf(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exitCode = await main();

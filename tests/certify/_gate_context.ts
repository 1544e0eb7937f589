/**
 * A gate context for the gate tests (internal to tests/certify).
 *
 * @module
 */

import type { Calibration } from "../../lib/core/calibration.ts";
import { confined, type Context } from "../../lib/certify/_gates.ts";
import { packTool } from "../../lib/proofpack/tool.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { ROOT } from "../_helpers.ts";

/**
 * A gate context on a scratch folder holding copies of the bundled example. Like `certify()`, it
 * first builds the tool the gates' write-confined exports carry (cached outside the scratch).
 */
export async function contextIn(scratch: string, cal: Calibration): Promise<Context> {
  await packTool({ version: denoJson.version });
  return {
    cal,
    calibrationSource: "test calibration",
    scratch,
    source: {
      bootpackName: "bootpack.txt",
      bootpackBytes: await Deno.readFile(`${ROOT}/examples/bootpack.txt`),
      kbName: "BUG_KB.json.txt",
      kbBytes: await Deno.readFile(`${ROOT}/examples/BUG_KB.json.txt`),
      pointerPath: "\\\\DS-918\\kb\\BUG_KB.json.txt",
    },
    extra: [],
    progress: () => {},
    measurements: [],
    signal: undefined,
    run: (args, o) => confined(args, [scratch], o),
  };
}

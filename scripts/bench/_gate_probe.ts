/**
 * Times the phases of one `acceptance` inside a process, for the gates benchmark: loading the gate
 * modules, the first gate run (first reads, parse, hash, decide) and a second run of the same gate
 * (the work alone, once the code is warm). Prints one JSON line on stdout.
 *
 * Usage: deno run --allow-read scripts/bench/_gate_probe.ts BOOTPACK
 *
 * @module
 */

const t0 = performance.now();
const { runGate } = await import("../../lib/gates/gate.ts");
const { formatGateText } = await import("../../lib/gates/format.ts");
const t1 = performance.now();
const bootpack = Deno.args[0]!;
const first = formatGateText(await runGate("acceptance", bootpack));
const t2 = performance.now();
const second = formatGateText(await runGate("acceptance", bootpack));
const t3 = performance.now();
if (first !== second || !first.includes("[PASS]")) throw new Error(first);
Deno.stdout.writeSync(new TextEncoder().encode(
  JSON.stringify({
    startupMs: t0,
    loadMs: t1 - t0,
    firstRunMs: t2 - t1,
    secondRunMs: t3 - t2,
  }) + "\n",
));

import { deepEqual, equal } from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { runGate } from "../../lib/gates/gate.ts";
import type { GateReport } from "../../lib/gates/verdict.ts";
import { copyExample, ROOT, withTempDir } from "../_helpers.ts";

/** Every file takes the streaming path. */
const STREAM_ALL = { ...DEFAULT_CALIBRATION, stream_min_bytes: 1 };

function comparable(r: GateReport): unknown {
  return {
    summary: r.summary,
    diag: r.diag,
    violations: r.violations.map((v) => [v.code, v.line]),
    warnings: r.warnings.map((w) => [w.code, w.line]),
    // Same verdict and code; the JSON engines word their messages differently.
    verdict: { pass: r.verdict.pass, code: r.verdict.code },
    upToDate: r.upToDate,
  };
}

Deno.test("runGate() gives the same report on the streaming path as in memory, fixture by fixture", async () => {
  let n = 0;
  for (const kind of ["accept", "reject"]) {
    for await (const e of Deno.readDir(`${ROOT}/tests/fixtures/bootpack/${kind}`)) {
      const path = `${ROOT}/tests/fixtures/bootpack/${kind}/${e.name}`;
      for (const command of ["acceptance", "selftest"] as const) {
        const memory = await runGate(command, path);
        const streamed = await runGate(command, path, { calibration: STREAM_ALL });
        deepEqual(comparable(streamed), comparable(memory), `${command} ${e.name}`);
        n++;
      }
    }
  }
  equal(n >= 90, true);
});

Deno.test("runGate() streams the example, stale or up to date, with the same answers", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const maps = [{ from: "\\\\DS-918\\kb", to: dir }];
    for (const stale of [false, true]) {
      if (stale) {
        const entries = JSON.parse(await Deno.readTextFile(kb));
        entries.push({ id: "KB-NEW", blocking: true });
        await Deno.writeTextFile(kb, JSON.stringify(entries, null, 2));
      }
      for (const command of ["acceptance", "selftest"] as const) {
        const memory = await runGate(command, bootpack, { maps });
        const streamed = await runGate(command, bootpack, { maps, calibration: STREAM_ALL });
        deepEqual(comparable(streamed), comparable(memory), `${command} stale=${stale}`);
        equal(memory.upToDate, !stale);
      }
    }
  });
});

Deno.test("runGate() on the streaming path fails closed under every chaos mode", async () => {
  const maps = [{ from: "\\\\DS-918\\kb", to: `${ROOT}/examples` }];
  const calibration = { ...STREAM_ALL, io_timeout_ms: 50, retry_backoff_ms: 1 };
  const good = await runGate("acceptance", `${ROOT}/examples/bootpack.txt`, { maps, calibration });
  for (const chaos of ["TIMEOUT", "ERROR", "PARTIAL", "EMPTY", "CORRUPT", "LATENCY"] as const) {
    const r = await runGate("acceptance", `${ROOT}/examples/bootpack.txt`, {
      maps,
      calibration,
      chaos,
    });
    if (r.verdict.pass) deepEqual(r.summary, good.summary, chaos);
    else equal(typeof r.verdict.code, "string", chaos);
    equal(chaos === "LATENCY" ? r.verdict.pass : !r.verdict.pass, true, chaos);
  }
});

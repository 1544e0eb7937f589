import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import type { CliProcessResult } from "../../lib/certify/cli_process.ts";
import { evaluateStress, runStress, type StressRun } from "../../lib/certify/stress.ts";
import { checkEnvelope } from "../../lib/certify/variance_envelope.ts";
import { copyExample, exampleMap, ROOT, withTempDir } from "../_helpers.ts";

const CAL = { ...DEFAULT_CALIBRATION, STRESS_N: 20 };
const STEPS = ["acceptance", "selftest"];

function runsOf(n: number, tweak: (r: StressRun) => StressRun = (r) => r): StressRun[] {
  return Array.from(
    { length: n },
    (_, i) =>
      STEPS.map((step) =>
        tweak({
          iteration: i,
          step,
          code: 0,
          stdout: `${step} ok\n`,
          ms: 50 + (i % 5),
          floorMs: 20,
          floorCode: 0,
        })
      ),
  ).flat();
}

Deno.test("evaluateStress() passes identical, in-budget, tight runs", () => {
  const r = evaluateStress(STEPS, runsOf(20), CAL);
  assert.equal(r.pass, true);
  assert.equal(r.hardPassRate, 1);
  assert.equal(r.softPassRate, 1);
  assert.deepEqual(r.steps.map((s) => [s.name, s.stats.n, s.budgetMs]), [
    ["acceptance", 20, 2000],
    ["selftest", 20, 2000],
  ]);
  assert.equal(r.runs.length, 40);
});

Deno.test("evaluateStress() counts an output that differs from the first run as a hard failure", () => {
  const two = runsOf(
    20,
    (r) => (r.iteration === 7 && r.step === "selftest" ? { ...r, stdout: "x" } : r),
  );
  const r = evaluateStress(STEPS, two, CAL);
  assert.equal(r.hardPassRate, 0.95);
  assert.deepEqual(r.hardFailures, [7]);
  assert.equal(r.pass, true); // 95 % is the minimum
  const three = runsOf(20, (r) => (r.iteration % 10 === 3 ? { ...r, code: 1 } : r));
  const failed = evaluateStress(STEPS, three, CAL);
  assert.equal(failed.hardPassRate, 0.9);
  assert.equal(failed.pass, false);
  assert.equal(failed.criteria.find((c) => c.name.startsWith("hard"))?.pass, false);
});

Deno.test("evaluateStress() counts a run over its budget as a soft failure", () => {
  const slow = runsOf(
    20,
    (r) => (r.iteration < 2 && r.step === "acceptance" ? { ...r, ms: 2001 } : r),
  );
  const r = evaluateStress(STEPS, slow, CAL);
  assert.equal(r.softPassRate, 0.9);
  assert.equal(r.hardPassRate, 1);
  assert.equal(r.criteria.find((c) => c.name.startsWith("soft"))?.pass, false);
  assert.equal(r.pass, false);
});

Deno.test("evaluateStress() fails when the reference run blocks, even if every run agrees", () => {
  const r = evaluateStress(STEPS, runsOf(20, (x) => ({ ...x, code: 1 })), CAL);
  assert.equal(r.hardPassRate, 0);
  assert.equal(r.pass, false);
});

Deno.test("evaluateStress() fails missing runs and timings outside the envelope", () => {
  const missing = evaluateStress(STEPS, runsOf(19), CAL);
  assert.equal(missing.pass, false);
  assert.equal(missing.criteria[0]!.measured, "19/20");
  const spread = runsOf(20, (r) => (r.iteration % 4 === 0 ? { ...r, ms: 400 } : r));
  const wide = evaluateStress(STEPS, spread, CAL);
  assert.equal(wide.hardPassRate, 1);
  assert.equal(wide.pass, false);
  assert.ok(
    wide.criteria.some((c) =>
      c.name === "acceptance: cv against the floor's (load-normalised)" && !c.pass
    ),
  );
});

Deno.test("evaluateStress() judges the timings against the floor: a busy host passes, a slow tool fails", () => {
  // A bursty host: one iteration in ten everything takes 3x as long, runs and floors alike.
  const load = (i: number): number => (i % 10 === 2 ? 3 : 1);
  const busy = runsOf(
    20,
    (r) => ({ ...r, ms: 50 * load(r.iteration), floorMs: 20 * load(r.iteration) }),
  );
  const r = evaluateStress(STEPS, busy, CAL);
  const a = r.steps[0]!;
  const raw = checkEnvelope(a.stats, CAL.variance_envelope);
  assert.equal(raw.pass, false, "judged raw, the host's bursts would fail the gate");
  assert.equal(a.envelope.pass, true, JSON.stringify(a.envelope.criteria));
  assert.deepEqual([a.envelope.cv, a.envelope.p95OverP50], [0, 1]);
  assert.equal(r.pass, true, JSON.stringify(r.criteria.filter((c) => !c.pass)));
  // The same host, and the tool itself 10x slower in a quarter of the runs: only the runs spread.
  const slow = busy.map((x) => (x.iteration % 4 === 1 ? { ...x, ms: x.ms * 10 } : x));
  const s = evaluateStress(STEPS, slow, CAL);
  assert.equal(s.pass, false);
  assert.equal(s.hardPassRate, 1);
  for (const what of ["cv", "p95_over_p50"]) {
    const c = s.criteria.find((x) =>
      x.name === `acceptance: ${what} against the floor's (load-normalised)`
    );
    assert.equal(c?.pass, false, JSON.stringify(s.criteria));
  }
});

Deno.test("evaluateStress() fails when a floor process did not run", () => {
  const r = evaluateStress(
    STEPS,
    runsOf(20, (x) => (x.iteration === 4 ? { ...x, floorCode: 1, floorMs: 0 } : x)),
    CAL,
  );
  assert.equal(r.pass, false);
  const floor = r.criteria.find((c) => c.name.startsWith("floor processes"))!;
  assert.deepEqual([floor.measured, floor.pass], ["38/40", false]);
  assert.equal(r.steps[0]!.envelope.pass, false);
});

Deno.test("runStress() runs STRESS_N iterations, steps in order, at most `parallelism` at once", async () => {
  let running = 0;
  let peak = 0;
  const calls: string[] = [];
  const progress: number[] = [];
  const fake = async (args: readonly string[]): Promise<CliProcessResult> => {
    running++;
    peak = Math.max(peak, running);
    calls.push(args[0]!);
    await new Promise((resolve) => setTimeout(resolve, 2));
    running--;
    return { code: 0, stdout: `${args[0]}\n`, stderr: "", ms: 10, timedOut: false };
  };
  const floor = (): Promise<CliProcessResult> => {
    calls.push("floor");
    return Promise.resolve({ code: 0, stdout: "", stderr: "", ms: 5, timedOut: false });
  };
  const r = await runStress(
    STEPS.map((name) => ({ name, args: [name, "b.txt"] })),
    {
      calibration: { ...CAL, STRESS_N: 7 },
      parallelism: 3,
      run: fake,
      floor,
      onProgress: (p) => progress.push(p.done),
    },
  );
  assert.equal(r.pass, true);
  assert.equal(calls.length, 28);
  assert.equal(calls.filter((c) => c === "floor").length, 14);
  assert.equal(r.steps[0]!.normalizedStats.mean, 2);
  assert.equal(peak, 3);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(r.runs.map((x) => x.step), Array.from({ length: 7 }, () => STEPS).flat());
  await assert.rejects(() => runStress([], { calibration: CAL }), RangeError);
  await assert.rejects(
    () => runStress([{ name: "a", args: ["a"] }], { calibration: CAL, parallelism: 0 }),
    RangeError,
  );
});

interface FakeProcesses {
  run(args: readonly string[]): Promise<CliProcessResult>;
  floor(): Promise<CliProcessResult>;
  counts(): { runs: number; floors: number };
}

/** A fake run whose time comes from `msOf(call)`, and a steady floor; both count their calls. */
function fakeProcesses(
  msOf: (call: number) => number,
  stdoutOf = (_call: number): string => "ok\n",
): FakeProcesses {
  let runs = 0;
  let floors = 0;
  return {
    run: (_args: readonly string[]): Promise<CliProcessResult> => {
      const call = runs++;
      return Promise.resolve({
        code: 0,
        stdout: stdoutOf(call),
        stderr: "",
        ms: msOf(call),
        timedOut: false,
      });
    },
    floor: (): Promise<CliProcessResult> => {
      floors++;
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ms: 20, timedOut: false });
    },
    counts: () => ({ runs, floors }),
  };
}

const ONE_STEP = [{ name: "acceptance", args: ["acceptance", "b.txt"] }];

Deno.test("runStress() puts an envelope failure to a second round, which passes when it was a burst", async () => {
  // Round 1 (calls 0-19): two runs at 10x, as a burst of host load the floors missed; round 2 tight.
  const p = fakeProcesses((call) => (call === 17 || call === 18 ? 500 : 50));
  const rounds: number[] = [];
  const r = await runStress(ONE_STEP, {
    calibration: CAL,
    parallelism: 1,
    run: p.run,
    floor: p.floor,
    onProgress: (x) => rounds.push(x.round),
  });
  assert.deepEqual(p.counts(), { runs: 40, floors: 40 });
  assert.deepEqual([rounds.filter((x) => x === 1).length, rounds.filter((x) => x === 2).length], [
    20,
    20,
  ]);
  assert.equal(r.pass, true, JSON.stringify(r.criteria));
  assert.notEqual(r.firstRound, null);
  assert.equal(r.firstRound!.pass, false);
  assert.equal(r.firstRound!.steps[0]!.envelope.pass, false);
  assert.match(r.criteria[0]!.name, /reproduced/);
  assert.match(r.criteria[0]!.measured, /p95_over_p50/);
  assert.equal(r.criteria[0]!.pass, true);
});

Deno.test("runStress() fails G4 when the second round spreads too", async () => {
  // A real slowdown: every 4th run of both rounds at 10x.
  const p = fakeProcesses((call) => (call % 4 === 1 ? 500 : 50));
  const r = await runStress(ONE_STEP, { calibration: CAL, run: p.run, floor: p.floor });
  assert.deepEqual(p.counts(), { runs: 40, floors: 40 });
  assert.equal(r.pass, false);
  assert.equal(r.firstRound!.pass, false);
  assert.equal(r.criteria[0]!.pass, false);
  assert.equal(r.steps[0]!.envelope.pass, false);
});

Deno.test("runStress() gives no second round to a hard or soft failure, nor to a pass", async () => {
  const differs = fakeProcesses((call) => (call === 3 ? 500 : 50), (call) => `out ${call}\n`);
  const hard = await runStress(ONE_STEP, {
    calibration: CAL,
    run: differs.run,
    floor: differs.floor,
  });
  assert.deepEqual(differs.counts(), { runs: 20, floors: 20 });
  assert.equal(hard.pass, false);
  assert.equal(hard.firstRound, null);
  const overBudget = fakeProcesses((call) => (call % 2 === 0 ? 5000 : 50));
  const soft = await runStress(ONE_STEP, {
    calibration: CAL,
    run: overBudget.run,
    floor: overBudget.floor,
  });
  assert.equal(overBudget.counts().runs, 20);
  assert.equal(soft.pass, false);
  const tight = fakeProcesses(() => 50);
  const ok = await runStress(ONE_STEP, { calibration: CAL, run: tight.run, floor: tight.floor });
  assert.equal(tight.counts().runs, 20);
  assert.equal(ok.pass, true);
  assert.equal(ok.firstRound, null);
});

Deno.test("runStress() fails G4 when round 2's reference output is not round 1's", async () => {
  // Round 1 spreads (envelope only), round 2 is tight but prints something else throughout.
  const p = fakeProcesses(
    (call) => (call < 20 && call % 4 === 1 ? 500 : 50),
    (call) => (call < 20 ? "one\n" : "two\n"),
  );
  const r = await runStress(ONE_STEP, { calibration: CAL, run: p.run, floor: p.floor });
  assert.equal(r.pass, false);
  const same = r.criteria.find((c) => c.name.includes("reference output equals"));
  assert.deepEqual([same?.measured, same?.pass], ["different", false]);
});

Deno.test("runStress() on real processes gives identical outputs on the example", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const map = ["--map", exampleMap(dir)];
    const r = await runStress(
      [
        { name: "acceptance", args: ["acceptance", bootpack, ...map] },
        { name: "selftest", args: ["selftest", bootpack, ...map] },
      ],
      { calibration: { ...CAL, STRESS_N: 3 } },
    );
    assert.equal(r.hardPassRate, 1, JSON.stringify(r.criteria));
    assert.ok(r.steps[0]!.reference.stdout.includes("[PASS]"));
    assert.ok(r.steps[1]!.reference.stdout.startsWith("entries=4|blocking=2|ptr_exists=True"));
  });
});

/** Starts `n` processes that burn a CPU each; the returned function kills them. */
function burnCpus(n: number): () => Promise<void> {
  const burners = Array.from(
    { length: n },
    () =>
      new Deno.Command("sh", {
        args: ["-c", "while :; do :; done"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
  );
  return async () => {
    for (const b of burners) {
      try {
        b.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Promise.all(burners.map((b) => b.status));
  };
}

async function stressExample(
  dir: string,
  calibration: Record<string, unknown>,
  options: { readonly burners: number; readonly slowShare: number },
): Promise<Awaited<ReturnType<typeof runStress>>> {
  const { bootpack } = await copyExample(dir);
  await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(calibration));
  const args = [
    "acceptance",
    bootpack,
    "--map",
    exampleMap(dir),
    "--calibration",
    `${dir}/cal.json`,
  ];
  const stop = burnCpus(options.burners);
  try {
    return await runStress([{ name: "acceptance", args }], {
      calibration: calibration as unknown as typeof CAL,
      extraArgs: (i) =>
        options.slowShare > 0 && i % options.slowShare === 1 ? ["--chaos", "LATENCY"] : [],
    });
  } finally {
    await stop();
  }
}

Deno.test("runStress() passes G4 with the built-in envelope while busy loops load both cores", async () => {
  await withTempDir(async (dir) => {
    const cal = { ...DEFAULT_CALIBRATION, STRESS_N: 20 };
    const r = await stressExample(dir, cal, { burners: 2, slowShare: 0 });
    const failed = r.criteria.filter((c) => !c.pass);
    const s = r.steps[0];
    assert.equal(r.pass, true, JSON.stringify({ failed, raw: s?.values, floor: s?.floorValues }));
    assert.equal(r.hardPassRate, 1);
  });
});

Deno.test("runStress() fails G4 with the built-in envelope when LATENCY slows a quarter of the runs", async () => {
  await withTempDir(async (dir) => {
    // The slowdown sleeps (no CPU): 2 reads x 0.6 s in runs 1 and 5 of 8 (9 and 13 in round 2),
    // whatever the load, inside the 2 s budget: only the envelope can catch it.
    const cal = { ...DEFAULT_CALIBRATION, STRESS_N: 8, chaos_latency_ms: 600 };
    const r = await stressExample(dir, cal, { burners: 0, slowShare: 4 });
    // The output is still right (hard pass), only the time is not: the envelope catches it.
    assert.equal(r.hardPassRate, 1, JSON.stringify(r.criteria));
    assert.equal(r.pass, false);
    const envelope = r.steps[0]!.envelope;
    assert.equal(envelope.pass, false, JSON.stringify(r.steps[0]!.normalized));
    assert.equal(envelope.criteria.find((c) => c.key.endsWith("p95_over_p50"))?.pass, false);
    // The slowdown reproduced: round 2 (runs 9 and 13) failed too.
    assert.equal(r.firstRound?.steps[0]?.envelope.pass, false);
  });
});

Deno.test("deno task stress prints the G4 judgement and exits 0 on the example", async () => {
  await withTempDir(async (dir) => {
    // Plumbing only: three runs on a shared machine say nothing about spread.
    const loose = { max_cv: 10, max_p95_over_p50: 100 };
    await Deno.writeTextFile(
      `${dir}/cal.json`,
      JSON.stringify({ ...CAL, STRESS_N: 3, variance_envelope: loose }),
    );
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-run",
        "scripts/stress.ts",
        "--calibration",
        `${dir}/cal.json`,
        "--json",
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
    });
    const out = await cmd.output();
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(json.n, 3);
    assert.equal(json.hard_pass_rate, 1);
    assert.equal(json.steps.length, 2);
    assert.equal(json.steps[0].floor_ms.length, 3);
    assert.equal(json.steps[0].normalized.length, 3);
    assert.match(new TextDecoder().decode(out.stderr), /stress: 3\/3/);
  });
});

Deno.test("deno task stress rejects a bad --parallel with exit 2", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-run",
      "scripts/stress.ts",
      "--parallel",
      "0",
    ],
    cwd: ROOT,
  });
  const out = await cmd.output();
  assert.equal(out.code, 2);
});

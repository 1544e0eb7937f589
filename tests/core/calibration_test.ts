import assert from "node:assert/strict";
import {
  type Calibration,
  CalibrationError,
  DEFAULT_CALIBRATION,
  loadCalibration,
  parseCalibration,
  validateCalibration,
} from "../../lib/core/calibration.ts";
import { ROOT, runCli, withTempDir } from "../_helpers.ts";

/** A deep, mutable copy of the default calibration. */
function copy(): Record<string, unknown> {
  return structuredClone(DEFAULT_CALIBRATION) as unknown as Record<string, unknown>;
}

function codeOf(fn: () => unknown): { code: string; key: string | null } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CalibrationError, String(e));
    return { code: e.code, key: e.key };
  }
  throw new assert.AssertionError({ message: "accepted a bad calibration" });
}

async function rejection(fn: () => Promise<unknown>): Promise<CalibrationError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof CalibrationError, String(e));
    return e;
  }
  throw new assert.AssertionError({ message: "accepted a bad calibration" });
}

Deno.test("DEFAULT_CALIBRATION is budgets/calibration.json with every key set", async () => {
  const text = await Deno.readTextFile(`${ROOT}/budgets/calibration.json`);
  assert.deepEqual(DEFAULT_CALIBRATION, JSON.parse(text) as Calibration);
  assert.deepEqual(DEFAULT_CALIBRATION.retry_count, 3);
  assert.deepEqual(DEFAULT_CALIBRATION.STRESS_N, 100);
  assert.deepEqual(DEFAULT_CALIBRATION.concurrency_writers, 10);
  assert.deepEqual(DEFAULT_CALIBRATION.hard_pass_min, 0.95);
  assert.deepEqual(DEFAULT_CALIBRATION.soft_pass_min, 0.95);
});

Deno.test("validateCalibration() rejects a null value with CALIBRATION_NULL naming the key", () => {
  for (const key of Object.keys(DEFAULT_CALIBRATION)) {
    const bad = copy();
    bad[key] = null;
    assert.deepEqual(codeOf(() => validateCalibration(bad, "t")), {
      code: "CALIBRATION_NULL",
      key,
    });
  }
  const nested = copy();
  (nested["budgets_ms"] as Record<string, unknown>)["rebuild"] = null;
  assert.deepEqual(codeOf(() => validateCalibration(nested, "t")), {
    code: "CALIBRATION_NULL",
    key: "budgets_ms.rebuild",
  });
  const envelope = copy();
  (envelope["variance_envelope"] as Record<string, unknown>)["max_cv"] = null;
  assert.deepEqual(codeOf(() => validateCalibration(envelope, "t")), {
    code: "CALIBRATION_NULL",
    key: "variance_envelope.max_cv",
  });
});

Deno.test("validateCalibration() rejects a missing key with CALIBRATION_MISSING_KEY", () => {
  for (const key of Object.keys(DEFAULT_CALIBRATION)) {
    const bad = copy();
    delete bad[key];
    assert.deepEqual(codeOf(() => validateCalibration(bad, "t")), {
      code: "CALIBRATION_MISSING_KEY",
      key,
    });
  }
  const nested = copy();
  delete (nested["budgets_ms"] as Record<string, unknown>)["acceptance"];
  assert.deepEqual(codeOf(() => validateCalibration(nested, "t")), {
    code: "CALIBRATION_MISSING_KEY",
    key: "budgets_ms.acceptance",
  });
});

Deno.test("validateCalibration() rejects an unknown key with CALIBRATION_UNKNOWN_KEY", () => {
  const bad = { ...copy(), stress_n: 10 };
  assert.deepEqual(codeOf(() => validateCalibration(bad, "t")), {
    code: "CALIBRATION_UNKNOWN_KEY",
    key: "stress_n",
  });
  const nested = copy();
  (nested["budgets_ms"] as Record<string, unknown>)["demo"] = 10;
  assert.deepEqual(codeOf(() => validateCalibration(nested, "t")), {
    code: "CALIBRATION_UNKNOWN_KEY",
    key: "budgets_ms.demo",
  });
});

Deno.test("validateCalibration() rejects mistyped values with CALIBRATION_TYPE", () => {
  const cases: [string, unknown][] = [
    ["retry_count", "3"],
    ["retry_count", -1],
    ["retry_count", 1.5],
    ["STRESS_N", 0],
    ["STRESS_N", true],
    ["io_timeout_ms", Number.NaN],
    ["hard_pass_min", 1.5],
    ["soft_pass_min", -0.1],
    ["budgets_ms", 2000],
    ["variance_envelope", []],
  ];
  for (const [key, value] of cases) {
    const bad = copy();
    bad[key] = value;
    assert.deepEqual(codeOf(() => validateCalibration(bad, "t")), {
      code: "CALIBRATION_TYPE",
      key,
    });
  }
  const nested = copy();
  (nested["variance_envelope"] as Record<string, unknown>)["max_p95_over_p50"] = 0;
  assert.deepEqual(codeOf(() => validateCalibration(nested, "t")), {
    code: "CALIBRATION_TYPE",
    key: "variance_envelope.max_p95_over_p50",
  });
  assert.deepEqual(codeOf(() => validateCalibration([], "t")), {
    code: "CALIBRATION_TYPE",
    key: null,
  });
});

Deno.test("parseCalibration() accepts JSONC comments and trailing commas", async () => {
  const text = JSON.stringify(DEFAULT_CALIBRATION, null, 2)
    .replace("{", "{\n  // every threshold\n  /* block */")
    .replace(/\n}$/, ",\n}");
  assert.deepEqual(await parseCalibration(text, "t.jsonc"), DEFAULT_CALIBRATION);
});

Deno.test("parseCalibration() reports a syntax error with CALIBRATION_INVALID and the line", async () => {
  const e = await rejection(() => parseCalibration('{\n  "version": 1,\n  "x" 2\n}', "bad.json"));
  assert.deepEqual(e.code, "CALIBRATION_INVALID");
  assert.deepEqual(e.message.includes("bad.json") && e.message.includes("line 3"), true);
});

Deno.test("loadCalibration() fails closed on a missing file with CALIBRATION_MISSING_FILE", async () => {
  await withTempDir(async (dir) => {
    const e = await rejection(() => loadCalibration(`${dir}/nope.json`));
    assert.deepEqual(e.code, "CALIBRATION_MISSING_FILE");
    assert.deepEqual(e.message.includes(`${dir}/nope.json`), true);
  });
});

Deno.test("a command given a calibration with a null value blocks, naming the key", async () => {
  await withTempDir(async (dir) => {
    const bad = copy();
    bad["io_timeout_ms"] = null;
    await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(bad));
    const r = await runCli([
      "acceptance",
      "examples/bootpack.txt",
      "--calibration",
      `${dir}/cal.json`,
    ]);
    assert.deepEqual(r.code, 1);
    assert.deepEqual(r.stdout, "");
    assert.deepEqual(r.stderr.includes("io_timeout_ms is null"), true, r.stderr);
  });
});

Deno.test("a null in the built-in calibration is CALIBRATION_NULL naming the key, from every command", async () => {
  const { ROOT, withTempDir } = await import("../_helpers.ts");
  await withTempDir(async (dir) => {
    for (const name of ["cli.ts", "cli", "lib", "budgets", "deno.json", "deno.lock", "examples"]) {
      const cp = await new Deno.Command("cp", { args: ["-r", `${ROOT}/${name}`, dir] }).output();
      assert.equal(cp.code, 0);
    }
    const file = `${dir}/budgets/calibration.json`;
    const cal = JSON.parse(await Deno.readTextFile(file));
    cal.budgets_ms.acceptance = null;
    await Deno.writeTextFile(file, JSON.stringify(cal, null, 2));
    const commands = [
      ["acceptance", "examples/bootpack.txt"],
      ["selftest", "examples/bootpack.txt"],
      ["ingest", "--kb", "examples/BUG_KB.json.txt", "--entry", "-"],
      ["rebuild", "examples/bootpack.txt"],
      ["proofpack", "verify", "nowhere"],
      ["certify", "--bootpack", "examples/bootpack.txt"],
      ["demo"],
    ];
    for (const args of commands) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--quiet", "--allow-read", `${dir}/cli.ts`, ...args],
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${args[0]}: ${stderr}`);
      assert.match(
        stderr,
        /^bootpack: error: \w+: CALIBRATION_NULL: Cannot use calibration "budgets\/calibration.json \(built in\)": key budgets_ms.acceptance is null\n$/,
        args[0],
      );
    }
    // The examples were not touched.
    const kb = await Deno.readFile(`${dir}/examples/BUG_KB.json.txt`);
    assert.deepEqual(kb, await Deno.readFile(`${ROOT}/examples/BUG_KB.json.txt`));
  });
});

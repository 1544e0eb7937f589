import assert from "node:assert/strict";
import { type Calibration, DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import {
  CHAOS_MODES,
  type ChaosMode,
  FileReadError,
  parseChaosMode,
  readFileBytes,
  readFileStream,
} from "../../lib/io/file_read.ts";
import { retry, RetryExhaustedError } from "../../lib/core/retry.ts";
import { withTempDir } from "../_helpers.ts";

/** Fast thresholds: TIMEOUT costs 4 x 300 ms, not 4 x 5 s (a loaded machine still reads in time). */
const FAST: Calibration = {
  ...DEFAULT_CALIBRATION,
  retry_count: 3,
  retry_backoff_ms: 1,
  io_timeout_ms: 300,
  chaos_latency_ms: 5,
};

const CONTENT = new TextEncoder().encode("0123456789abcdef\r\nline two\r\n");

interface Outcome {
  readonly bytes: Uint8Array | null;
  readonly error: FileReadError | null;
  /** Attempts counted from outside: 1 + the number of onRetry calls. */
  readonly attempts: number;
}

async function readWith(
  path: string,
  chaos: ChaosMode | undefined,
  calibration = FAST,
): Promise<Outcome> {
  let retries = 0;
  try {
    const bytes = await readFileBytes(path, { calibration, chaos, onRetry: () => retries++ });
    return { bytes, error: null, attempts: 1 + retries };
  } catch (e) {
    assert.ok(e instanceof FileReadError, String(e));
    return { bytes: null, error: e, attempts: 1 + retries };
  }
}

async function withFile<T>(fn: (path: string) => Promise<T>): Promise<T> {
  return await withTempDir(async (dir) => {
    const path = `${dir}/kb.txt`;
    await Deno.writeFile(path, CONTENT);
    return await fn(path);
  });
}

Deno.test("readFileBytes() reads the whole file in one attempt without chaos", async () => {
  await withFile(async (path) => {
    const r = await readWith(path, undefined);
    assert.deepEqual(r.bytes, CONTENT);
    assert.equal(r.attempts, 1);
  });
});

Deno.test("readFileBytes() retries each transient chaos mode exactly retry_count times", async () => {
  const expected: Record<string, string> = {
    TIMEOUT: "IO_TIMEOUT",
    ERROR: "IO_ERROR",
    PARTIAL: "IO_SHORT_READ",
    EMPTY: "IO_SHORT_READ",
  };
  await withFile(async (path) => {
    for (const [mode, code] of Object.entries(expected)) {
      const r = await readWith(path, mode as ChaosMode);
      assert.equal(r.bytes, null, mode);
      assert.equal(r.error?.code, code, mode);
      assert.equal(r.error?.transient, true, mode);
      assert.equal(r.attempts, FAST.retry_count + 1, mode);
      assert.equal(r.error?.attempts, FAST.retry_count + 1, mode);
      assert.ok(r.error?.message.includes(`(${FAST.retry_count + 1} attempts)`), mode);
    }
  });
});

Deno.test("readFileBytes() bounds retries by the calibration's retry_count", async () => {
  await withFile(async (path) => {
    for (const retryCount of [0, 1, 5]) {
      const r = await readWith(path, "ERROR", { ...FAST, retry_count: retryCount });
      assert.equal(r.attempts, retryCount + 1);
      assert.equal(r.error?.attempts, retryCount + 1);
    }
  });
});

Deno.test("readFileBytes() never retries CORRUPT and returns the damaged bytes", async () => {
  await withFile(async (path) => {
    const r = await readWith(path, "CORRUPT");
    assert.equal(r.attempts, 1);
    assert.ok(r.bytes);
    assert.equal(r.bytes.length, CONTENT.length);
    const diff = [...r.bytes].flatMap((b, i) => (b === CONTENT[i] ? [] : [i]));
    assert.deepEqual(diff, [Math.floor(CONTENT.length / 2)]);
    assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(r.bytes!));
  });
});

Deno.test("readFileBytes() under LATENCY returns the right bytes in one attempt, later", async () => {
  await withFile(async (path) => {
    const slow = { ...FAST, chaos_latency_ms: 30 };
    const start = performance.now();
    const r = await readWith(path, "LATENCY", slow);
    // A lower bound only: the delay was injected (an upper bound would be a timed assertion).
    assert.ok(performance.now() - start >= 25);
    assert.deepEqual(r.bytes, CONTENT);
    assert.equal(r.attempts, 1);
  });
});

Deno.test("readFileBytes() applies io_timeout_ms to the read, not to the injected latency", async () => {
  await withFile(async (path) => {
    const r = await readWith(path, "LATENCY", { ...FAST, chaos_latency_ms: 400 });
    assert.deepEqual(r.bytes, CONTENT);
  });
});

Deno.test("readFileBytes() does not retry a missing file, a directory or an empty file", async () => {
  await withTempDir(async (dir) => {
    const missing = await readWith(`${dir}/nope`, undefined);
    assert.equal(missing.error?.code, "NOT_FOUND");
    assert.equal(missing.error?.transient, false);
    assert.equal(missing.attempts, 1);
    const folder = await readWith(dir, undefined);
    assert.equal(folder.error?.code, "NOT_A_FILE");
    assert.equal(folder.attempts, 1);
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    const empty = await readWith(`${dir}/empty`, "EMPTY");
    assert.deepEqual(empty.bytes, new Uint8Array());
    assert.equal(empty.attempts, 1);
  });
});

Deno.test("readFileBytes() under every mode returns the exact bytes or fails with a code", async () => {
  await withFile(async (path) => {
    for (const mode of CHAOS_MODES) {
      const r = await readWith(path, mode);
      if (r.bytes) {
        assert.ok(mode === "LATENCY" || mode === "CORRUPT", mode);
        assert.equal(r.bytes.length, CONTENT.length, mode);
      } else {
        assert.ok(r.error && r.attempts <= FAST.retry_count + 1, mode);
      }
    }
  });
});

Deno.test("parseChaosMode() accepts the six modes in any case and rejects others", () => {
  for (const mode of CHAOS_MODES) {
    assert.equal(parseChaosMode(mode.toLowerCase()), mode);
  }
  assert.deepEqual([...CHAOS_MODES], [
    "TIMEOUT",
    "ERROR",
    "PARTIAL",
    "EMPTY",
    "CORRUPT",
    "LATENCY",
  ]);
  assert.throws(() => parseChaosMode("SLOW"), TypeError);
});

Deno.test("retry() stops at 1 + retries attempts and never retries a non-transient error", async () => {
  let calls = 0;
  await assert.rejects(
    () =>
      retry(() => {
        calls++;
        return Promise.reject(new Error("flaky"));
      }, { retries: 3, isTransient: () => true }),
    (e: unknown) => e instanceof RetryExhaustedError && e.attempts === 4,
  );
  assert.equal(calls, 4);
  calls = 0;
  await assert.rejects(() =>
    retry(() => {
      calls++;
      return Promise.reject(new SyntaxError("corrupt"));
    }, { retries: 3, isTransient: (e) => !(e instanceof SyntaxError) }), SyntaxError);
  assert.equal(calls, 1);
  await assert.rejects(() => retry(() => Promise.resolve(1), { retries: -1 }), RangeError);
});

Deno.test("retry() doubles the backoff between attempts", async () => {
  const stamps: number[] = [];
  await assert.rejects(() =>
    retry(() => {
      stamps.push(performance.now());
      return Promise.reject(new Error("x"));
    }, { retries: 2, backoffMs: 20, isTransient: () => true })
  );
  assert.equal(stamps.length, 3);
  // Lower bounds only: 20 ms then 40 ms at least.
  assert.ok(stamps[1]! - stamps[0]! >= 18);
  assert.ok(stamps[2]! - stamps[1]! >= 38);
});

async function streamWith(path: string, chaos: ChaosMode | undefined): Promise<Outcome> {
  let retries = 0;
  let consumed = 0;
  try {
    const bytes = await readFileStream(
      path,
      { calibration: FAST, chaos, chunkSize: 7, onRetry: () => retries++ },
      async (chunks) => {
        consumed++;
        const parts: number[] = [];
        for await (const chunk of chunks) parts.push(...chunk);
        return new Uint8Array(parts);
      },
    );
    assert.equal(consumed, 1 + retries);
    return { bytes, error: null, attempts: 1 + retries };
  } catch (e) {
    assert.ok(e instanceof FileReadError, String(e));
    return { bytes: null, error: e, attempts: 1 + retries };
  }
}

Deno.test("readFileStream() counts the same attempts as readFileBytes() under every mode", async () => {
  await withFile(async (path) => {
    for (const mode of CHAOS_MODES) {
      const streamed = await streamWith(path, mode);
      const whole = await readWith(path, mode);
      assert.equal(streamed.attempts, whole.attempts, mode);
      assert.equal(streamed.error?.code, whole.error?.code, mode);
      if (mode === "LATENCY") assert.deepEqual(streamed.bytes, CONTENT);
      if (mode === "CORRUPT") {
        assert.equal(streamed.attempts, 1);
        assert.notDeepEqual(streamed.bytes, CONTENT);
      }
      if (["TIMEOUT", "ERROR", "PARTIAL", "EMPTY"].includes(mode)) {
        assert.equal(streamed.attempts, FAST.retry_count + 1, mode);
        assert.equal(streamed.error?.attempts, FAST.retry_count + 1, mode);
      }
    }
    assert.deepEqual((await streamWith(path, undefined)).bytes, CONTENT);
  });
});

Deno.test("readFileBytes() refuses a file above max_input_bytes from its size, without retrying", async () => {
  await withFile(async (path) => {
    const small = { ...FAST, max_input_bytes: CONTENT.length - 1 };
    const r = await readWith(path, undefined, small);
    assert.equal(r.error?.code, "TOO_LARGE");
    assert.equal(r.error?.transient, false);
    assert.equal(r.attempts, 1);
    const exact = await readWith(path, undefined, { ...FAST, max_input_bytes: CONTENT.length });
    assert.deepEqual(exact.bytes, CONTENT);
  });
});

Deno.test("readFileBytes() stops a read that goes past max_input_bytes (a file larger than its size says)", async () => {
  // /proc files are regular files whose stat says 0 bytes: the size check cannot see them, so
  // the read itself must stop at the limit rather than return a larger or a half file. Deno
  // opens /proc only with all permissions, so the read runs in a child process that has them.
  const script = `
    import { DEFAULT_CALIBRATION } from "${new URL(
    "../../lib/core/calibration.ts",
    import.meta.url,
  )}";
    import { readFileBytes } from "${new URL("../../lib/io/file_read.ts", import.meta.url)}";
    const out = [];
    for (const max of [1 << 20, 100]) {
      const calibration = { ...DEFAULT_CALIBRATION, max_input_bytes: max };
      try {
        out.push((await readFileBytes("/proc/self/status", { calibration })).length);
      } catch (e) {
        out.push(e.code + " " + e.attempts);
      }
    }
    Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(out)));
  `;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const got = JSON.parse(new TextDecoder().decode(r.stdout) || "null");
  assert.ok(Array.isArray(got), new TextDecoder().decode(r.stderr));
  assert.ok(typeof got[0] === "number" && got[0] > 200, `control: reads whole (${got[0]})`);
  assert.equal(got[1], "TOO_LARGE 1");
});

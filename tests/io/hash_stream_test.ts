import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { CHAOS_MODES, FileReadError, readFileStream } from "../../lib/io/file_read.ts";
import { copyFileHashed, hashFile, hashFiles } from "../../lib/io/hash_stream.ts";
import { mapPool } from "../../lib/core/pool.ts";
import { withTempDir } from "../_helpers.ts";

const calibration = { ...DEFAULT_CALIBRATION, retry_backoff_ms: 1, io_timeout_ms: 500 };

async function gnuSha256(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: ["--", path] }).output();
  assert(out.success, "sha256sum failed");
  return new TextDecoder().decode(out.stdout).slice(0, 64).toUpperCase();
}

async function randomFile(path: string, size: number): Promise<void> {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  await Deno.writeFile(path, data);
}

Deno.test("hashFile() agrees with GNU sha256sum, across chunk boundaries", async () => {
  await withTempDir(async (dir) => {
    for (const [size, chunk] of [[0, 4], [1, 4], [1000, 7], [300_000, 65536], [3 << 20, 1 << 20]]) {
      const path = `${dir}/f${size}`;
      await randomFile(path, size!);
      const d = await hashFile(path, { calibration, chunkSize: chunk! });
      assert(d.size === size, `size ${d.size}`);
      assert(d.sha256 === await gnuSha256(path), `size ${size}`);
    }
  });
});

Deno.test("hashFile() fails closed under each chaos mode, and CORRUPT changes the hash", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/f`;
    await randomFile(path, 200_000);
    const good = await gnuSha256(path);
    for (const chaos of CHAOS_MODES) {
      let result: string;
      try {
        result = (await hashFile(path, { calibration, chaos, chunkSize: 65536 })).sha256;
      } catch (error) {
        assert(error instanceof FileReadError, `${chaos}: ${error}`);
        assert(error.attempts === calibration.retry_count + 1, `${chaos}: ${error.attempts}`);
        result = error.code;
      }
      const expected: Record<string, string> = {
        TIMEOUT: "IO_TIMEOUT",
        ERROR: "IO_ERROR",
        PARTIAL: "IO_SHORT_READ",
        EMPTY: "IO_SHORT_READ",
        LATENCY: good,
      };
      if (chaos === "CORRUPT") assert(result !== good && result.length === 64, chaos);
      else assert(result === expected[chaos], `${chaos}: ${result}`);
    }
  });
});

Deno.test("readFileStream() retries a transient fault from the start", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/f`;
    await Deno.writeTextFile(path, "abcdef");
    let calls = 0;
    const text = await readFileStream(path, { calibration, chunkSize: 2 }, async (chunks) => {
      calls++;
      let s = "";
      for await (const c of chunks) {
        s += new TextDecoder().decode(c);
        if (calls === 1) throw new FileReadError("IO_ERROR", path, "flaky");
      }
      return s;
    });
    assert(text === "abcdef" && calls === 2, `${text} ${calls}`);
  });
});

Deno.test("readFileStream() does not retry a missing file or a folder", async () => {
  await withTempDir(async (dir) => {
    for (const [path, code] of [[`${dir}/nope`, "NOT_FOUND"], [dir, "NOT_A_FILE"]]) {
      try {
        await readFileStream(path!, { calibration }, () => Promise.resolve(0));
        throw new Error("no throw");
      } catch (error) {
        assert(error instanceof FileReadError && error.code === code, String(error));
        assert(error.attempts === 1);
      }
    }
  });
});

Deno.test("copyFileHashed() copies byte for byte, and refuses to overwrite", async () => {
  await withTempDir(async (dir) => {
    await randomFile(`${dir}/src`, 2_500_000);
    const d = await copyFileHashed(`${dir}/src`, `${dir}/dst`, { calibration, chunkSize: 1 << 20 });
    assert(d.sha256 === await gnuSha256(`${dir}/src`));
    assert(d.sha256 === await gnuSha256(`${dir}/dst`));
    let threw = false;
    try {
      await copyFileHashed(`${dir}/src`, `${dir}/dst`, { calibration });
    } catch (error) {
      threw = error instanceof Deno.errors.AlreadyExists;
    }
    assert(threw);
  });
});

Deno.test("copyFileHashed() under PARTIAL leaves no wrong copy claimed", async () => {
  await withTempDir(async (dir) => {
    await randomFile(`${dir}/src`, 100_000);
    try {
      await copyFileHashed(`${dir}/src`, `${dir}/dst`, { calibration, chaos: "PARTIAL" });
      throw new Error("no throw");
    } catch (error) {
      assert(error instanceof FileReadError && error.code === "IO_SHORT_READ", String(error));
    }
  });
});

Deno.test("hashFiles() keeps input order whatever finishes first", async () => {
  await withTempDir(async (dir) => {
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) {
      paths.push(`${dir}/f${i}`);
      await randomFile(paths[i]!, (12 - i) * 50_000);
    }
    const done: number[] = [];
    const ds = await hashFiles(paths, { calibration, concurrency: 4, onFile: (n) => done.push(n) });
    assert(ds.map((d) => d.path).join() === paths.join());
    for (const [i, d] of ds.entries()) assert(d.sha256 === await gnuSha256(paths[i]!));
    assert(done.join() === "1,2,3,4,5,6,7,8,9,10,11,12");
  });
});

Deno.test("hashFiles() and copyFileHashed() stay right when chunk buffers are reused across files", async () => {
  await withTempDir(async (dir) => {
    const paths: string[] = [];
    for (let i = 0; i < 16; i++) {
      paths.push(`${dir}/f${i}`);
      await randomFile(paths[i]!, 300_000);
    }
    for (let round = 0; round < 2; round++) {
      const ds = await hashFiles(paths, { calibration, concurrency: 4, chunkSize: 65536 });
      for (const [i, d] of ds.entries()) {
        assert(d.sha256 === await gnuSha256(paths[i]!), `${round}/${i}`);
      }
    }
    await Deno.mkdir(`${dir}/copies`);
    const copies = await mapPool(
      paths,
      { concurrency: 4 },
      (p, i) => copyFileHashed(p, `${dir}/copies/${i}`, { calibration, chunkSize: 65536 }),
    );
    for (const [i, d] of copies.entries()) {
      assert(d.sha256 === await gnuSha256(paths[i]!), `copy ${i}`);
      assert(d.sha256 === await gnuSha256(`${dir}/copies/${i}`), `copy file ${i}`);
    }
  });
});

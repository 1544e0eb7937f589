import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { sha256Hex } from "../../lib/core/sha256.ts";
import { CLI, copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";

/** What `deno task certify` grants. */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys=hostname,osRelease",
];

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("certify --help documents the gates and exits 0", async () => {
  const r = await runCli(["certify", "--help"], { permissions: PERMISSIONS });
  assert.equal(r.code, 0);
  for (
    const g of [
      "G0 preflight",
      "G1 concurrency",
      "G2 budget",
      "G3 chaos",
      "G4 stress",
      "G5 proofpack",
    ]
  ) {
    assert.ok(r.stdout.includes(g), g);
  }
  assert.equal(r.stderr, "");
});

Deno.test("certify without --bootpack, with --chaos or a stray argument is a usage error", async () => {
  for (
    const args of [
      ["certify"],
      ["certify", "--bootpack", "b.txt", "--chaos", "ERROR"],
      ["certify", "b.txt"],
      ["certify", "--bootpak", "b.txt"],
    ]
  ) {
    const r = await runCli(args, { permissions: PERMISSIONS });
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /Usage: bootpack certify --bootpack FILE/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("certify accepts the `--` that deno task passes through", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli([
      "certify",
      "--",
      "--bootpack",
      `${dir}/missing.txt`,
      "--out",
      `${dir}/out`,
    ], {
      permissions: PERMISSIONS,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the BootPack cannot be read/);
    assert.deepEqual(await listing(dir), []);
  });
});

Deno.test("certify refuses a report folder that is not empty, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/keep.txt`, "mine");
    const r = await runCli(
      ["certify", "--bootpack", bootpack, "--map", exampleMap(dir), "--out", `${dir}/out`],
      { permissions: PERMISSIONS },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot write the report to ".*\/out": it exists/);
    assert.deepEqual(await listing(`${dir}/out`), ["keep.txt"]);
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "out"]);
  });
});

Deno.test("certify escapes the paths it echoes: no terminal control sequence goes out raw", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const out = `${dir}/report\x1b]0;owned\x07\x1b[2J`;
    await Deno.writeTextFile(out, "a file, not a folder");
    const r = await runCli(
      ["certify", "--bootpack", bootpack, "--map", exampleMap(dir), "--out", out],
      { permissions: PERMISSIONS },
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Cannot write the report to ".*report.*": it exists \(certify never writes into or over anything\)/,
    );
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stderr + r.stdout, /[\x00-\x08\x0b-\x1f\x7f]/);
  });
});

Deno.test("certify names the way out when the POINTER cannot be followed", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const r = await runCli(["certify", "--bootpack", bootpack, "--out", `${dir}/out`], {
      permissions: PERMISSIONS,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no --map FROM=TO covers it on this host; add --map FROM=TO or --kb FILE/,
    );
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt"]);
  });
});

Deno.test("certify fails closed on a calibration with a null value, naming the key", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.writeTextFile(
      `${dir}/cal.json`,
      JSON.stringify({ ...DEFAULT_CALIBRATION, STRESS_N: null }),
    );
    const r = await runCli(
      [
        "certify",
        "--bootpack",
        bootpack,
        "--map",
        exampleMap(dir),
        "--out",
        `${dir}/out`,
        "--calibration",
        `${dir}/cal.json`,
      ],
      { permissions: PERMISSIONS },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certify: CALIBRATION_NULL: .*key STRESS_N is null/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "cal.json"]);
  });
});

/** Small and fast, loose envelope (3 runs on a shared machine say nothing about spread). */
const FAST = {
  ...DEFAULT_CALIBRATION,
  io_timeout_ms: 500,
  retry_backoff_ms: 1,
  STRESS_N: 3,
  concurrency_writers: 4,
  variance_envelope: { max_cv: 10, max_p95_over_p50: 100 },
};

interface GateJson {
  id: string;
  verdict: string;
  criteria: { criterion: string; measured: string; required: string; pass: boolean }[];
}

async function certifyExample(
  dir: string,
  calibration: unknown,
  edit?: (text: string) => string,
): Promise<
  {
    code: number;
    stdout: string;
    stderr: string;
    out: string;
    json: Record<string, unknown> | null;
    hashes: () => Promise<string[]>;
    before: string[];
  }
> {
  const { bootpack, kb } = await copyExample(dir);
  if (edit) await Deno.writeTextFile(bootpack, edit(await Deno.readTextFile(bootpack)));
  await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(calibration));
  const hashes = async (): Promise<string[]> => [
    await sha256Hex(await Deno.readFile(bootpack)),
    await sha256Hex(await Deno.readFile(kb)),
  ];
  const before = await hashes();
  const out = `${dir}/report`;
  const r = await runCli(
    [
      "certify",
      "--bootpack",
      bootpack,
      "--map",
      exampleMap(dir),
      "--out",
      out,
      "--calibration",
      `${dir}/cal.json`,
    ],
    { permissions: PERMISSIONS },
  );
  const json = await Deno.readTextFile(`${out}/certification.json`).then(JSON.parse).catch(() =>
    null
  );
  return { ...r, out, json, hashes, before };
}

Deno.test("certify on a BootPack that blocks acceptance fails G0 and runs nothing else", async () => {
  await withTempDir(async (dir) => {
    const r = await certifyExample(
      dir,
      FAST,
      (t) => t.replace("[BUG_KB_JSON]", "[SOMETHING_ELSE]"),
    );
    assert.equal(r.code, 1);
    assert.ok(r.json, r.stderr);
    const gates = r.json["gates"] as GateJson[];
    assert.equal(gates[0]!.verdict, "FAIL");
    assert.match(
      gates[0]!.criteria.find((c) => c.criterion.startsWith("acceptance"))!.measured,
      /^exit 1: \[GATE-BLOCK\] SNAPSHOT_MISSING/,
    );
    for (const g of gates.slice(1)) {
      assert.equal(g.verdict, "FAIL", g.id);
      assert.equal(g.criteria[0]!.measured, "not run: G0 preflight failed");
    }
    assert.equal(r.json["verdict"], "FAIL");
    assert.match(r.stdout, /\[GATE-BLOCK\] CERTIFY_FAILED: 0\/6 gates passed/);
    assert.match(
      r.stdout,
      /^\[FAIL\] G0 Preflight \(\d+\.\d s\): acceptance on a copy of the BootPack; selftest on a copy of the BootPack$/m,
    );
    assert.deepEqual(await r.hashes(), r.before);
  });
});

Deno.test("certify on the bundled example passes end to end and leaves the inputs byte-for-byte unchanged", async () => {
  await withTempDir(async (dir) => {
    const r = await certifyExample(dir, FAST);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await r.hashes(), r.before);
    assert.ok(r.json);
    assert.equal(r.json["verdict"], "PASS");
    const gates = r.json["gates"] as GateJson[];
    assert.deepEqual(gates.map((g) => [g.id, g.verdict]), [
      ["G0", "PASS"],
      ["G1", "PASS"],
      ["G2", "PASS"],
      ["G3", "PASS"],
      ["G4", "PASS"],
      ["G5", "PASS"],
    ]);
    assert.deepEqual(await listing(r.out), [
      "CERTIFICATION.md",
      "certification.json",
      "evidence",
      "proofpack",
      "stress_timings.svg",
    ]);
    const md = await Deno.readTextFile(`${r.out}/CERTIFICATION.md`);
    assert.match(md, /^\*\*Verdict: PASS\*\*: 6\/6 gates, 8\/8 invariants, inputs unchanged\./m);
    assert.ok(md.includes("](stress_timings.svg)"));
    // Every registered artifact has the digest the registry gives.
    for (const entry of r.json["registry"] as { path: string; sha256: string; role: string }[]) {
      if (entry.role.startsWith("input")) continue;
      assert.equal(
        await sha256Hex(await Deno.readFile(`${r.out}/${entry.path}`)),
        entry.sha256,
        entry.path,
      );
    }
    // The report's proofpack verifies on its own, and the digest printed is the export's.
    const verify = await runCli(["proofpack", "verify", `${r.out}/proofpack`], {
      permissions: ["--allow-read", "--allow-write", "--allow-run"],
    });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(r.stdout, /^root digest: [0-9A-F]{64}$/m);
    // No scratch or staging folder is left beside the report.
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "cal.json", "report"]);
  });
});

Deno.test("certify interrupted by SIGINT exits 130 and leaves no report, staging or scratch", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.mkdir(`${dir}/tmp`);
    // Default calibration: gate G3's TIMEOUT cells wait 4 x 5 s, long enough to interrupt.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...PERMISSIONS,
        CLI,
        "certify",
        "--bootpack",
        bootpack,
        "--map",
        exampleMap(dir),
        "--out",
        `${dir}/report`,
      ],
      env: { NO_COLOR: "1", TMPDIR: `${dir}/tmp` },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("G3 Chaos: running")) {
      const { value, done } = await stderr.read();
      if (done) break;
      seen += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await stderr.read();
      if (done) break;
      seen += value;
    }
    const status = await child.status;
    await child.stdout.cancel();
    assert.equal(status.code, 130, seen);
    assert.match(seen, /Cannot certify: interrupted/);
    assert.deepEqual(await listing(dir), ["BUG_KB.json.txt", "bootpack.txt", "tmp"]);
    assert.deepEqual(await listing(`${dir}/tmp`), []);
  });
});

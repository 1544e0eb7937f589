import assert from "node:assert/strict";
import { mapPool } from "../../lib/core/pool.ts";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { replayProofpack } from "../../lib/proofpack/replay.ts";
import { verifyProofpack } from "../../lib/proofpack/verify.ts";
import { CLI, ROOT, withTempDir } from "../_helpers.ts";
import {
  copyTree,
  forge,
  makePack,
  rehash,
  runProofpack,
  runReplaySh,
  runVerifyPs1,
  runVerifyPs1Each,
} from "../_proofpack.ts";

/** A tampering: what to do to a fresh copy of the pack, and what verify must name. */
interface Tamper {
  readonly name: string;
  readonly edit: (pack: string, outside: string) => Promise<void>;
  /** A line verify's stdout must contain. */
  readonly names: string;
}

async function flipByte(path: string): Promise<void> {
  const b = await Deno.readFile(path);
  const i = Math.floor(b.length / 2);
  b[i] = b[i]! ^ 0x01;
  await Deno.writeFile(path, b);
}

async function editSums(pack: string, f: (lines: string[]) => string[]): Promise<void> {
  const lines = (await Deno.readTextFile(`${pack}/SHA256SUMS.txt`)).split("\n").slice(0, -1);
  await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, f(lines).map((l) => l + "\n").join(""));
}

const CONTENT = [
  "MANIFEST.json",
  "evidence/BUG_KB.json.txt",
  "evidence/README.md",
  "evidence/bootpack.txt",
  "gates/acceptance.txt",
  "gates/commands.json",
  "gates/selftest.txt",
  "replay.sh",
  "statement.intoto.UNSIGNED.json",
  "toolchain.json",
  "verify.ps1",
];

const TAMPERS: Tamper[] = [
  ...CONTENT.map((p) => ({
    name: `one flipped byte in ${p}`,
    edit: (pack: string) => flipByte(`${pack}/${p}`),
    names: `MODIFIED ${p}`,
  })),
  {
    name: "a missing evidence file",
    edit: (pack) => Deno.remove(`${pack}/evidence/BUG_KB.json.txt`),
    names: "MISSING evidence/BUG_KB.json.txt",
  },
  {
    name: "a missing MANIFEST.json",
    edit: (pack) => Deno.remove(`${pack}/MANIFEST.json`),
    names: "MISSING MANIFEST.json",
  },
  {
    name: "an extra file",
    edit: (pack) => Deno.writeTextFile(`${pack}/evidence/extra.txt`, "planted"),
    names: "EXTRA evidence/extra.txt",
  },
  {
    name: "an extra file in a new folder",
    edit: async (pack) => {
      await Deno.mkdir(`${pack}/more`);
      await Deno.writeTextFile(`${pack}/more/x.txt`, "planted");
    },
    names: "EXTRA more/x.txt",
  },
  {
    name: "an edited MANIFEST.json, sums not updated",
    edit: async (pack) => {
      const t = await Deno.readTextFile(`${pack}/MANIFEST.json`);
      await Deno.writeTextFile(`${pack}/MANIFEST.json`, t.replace('"size": ', '"size": 1'));
    },
    names: "MODIFIED MANIFEST.json",
  },
  {
    name: "an edited MANIFEST.json with its sum updated",
    edit: async (pack) => {
      const t = await Deno.readTextFile(`${pack}/MANIFEST.json`);
      await Deno.writeTextFile(
        `${pack}/MANIFEST.json`,
        t.replace(/"sha256": "[0-9A-F]/, '"sha256": "0'),
      );
      await rehash(pack, "MANIFEST.json");
    },
    names: "INVALID MANIFEST.json: gives",
  },
  {
    name: "a ../ path in MANIFEST.json with its sum updated",
    edit: async (pack) => {
      const t = await Deno.readTextFile(`${pack}/MANIFEST.json`);
      await Deno.writeTextFile(
        `${pack}/MANIFEST.json`,
        t.replace('"path": "evidence/README.md"', '"path": "../../README.md"'),
      );
      await rehash(pack, "MANIFEST.json");
    },
    names: 'INVALID MANIFEST.json: path "../../README.md" has a ".." component',
  },
  {
    name: "an evidence file and its sum both replaced",
    edit: async (pack) => {
      await Deno.writeTextFile(`${pack}/evidence/README.md`, "forged");
      await rehash(pack, "evidence/README.md");
    },
    names: 'INVALID MANIFEST.json: gives "evidence/README.md"',
  },
  {
    name: "a ../ path in SHA256SUMS.txt",
    edit: async (pack, outside) => {
      await Deno.writeTextFile(`${outside}/secret.txt`, "outside");
      await editSums(
        pack,
        (ls) => [...ls, `${"0".repeat(64)}  ../${outside.split("/").at(-1)}/secret.txt`],
      );
    },
    names: "UNSAFE ../",
  },
  {
    name: "an absolute path in SHA256SUMS.txt",
    edit: (pack) => editSums(pack, (ls) => [...ls, `${"0".repeat(64)}  /etc/passwd`]),
    names: "UNSAFE /etc/passwd",
  },
  {
    name: "a backslash path in SHA256SUMS.txt",
    edit: (pack) => editSums(pack, (ls) => [...ls, `${"0".repeat(64)}  evidence\\x`]),
    names: "UNSAFE evidence\\x",
  },
  {
    name: "a symlink inside the pack",
    edit: (pack) => Deno.symlink("bootpack.txt", `${pack}/evidence/link.txt`),
    names: "UNSAFE evidence/link.txt: symlink",
  },
  {
    name: "a listed file replaced by a symlink to the same bytes",
    edit: async (pack, outside) => {
      await Deno.copyFile(`${pack}/evidence/README.md`, `${outside}/README.md`);
      await Deno.remove(`${pack}/evidence/README.md`);
      await Deno.symlink(`${outside}/README.md`, `${pack}/evidence/README.md`);
    },
    names: "UNSAFE evidence/README.md: symlink",
  },
  {
    name: "a symlinked folder inside the pack",
    edit: (pack, outside) => Deno.symlink(outside, `${pack}/gates/out`),
    names: "UNSAFE gates/out: symlink",
  },
  {
    name: "an empty SHA256SUMS.txt",
    edit: (pack) => Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, ""),
    names: "INVALID SHA256SUMS.txt: is empty",
  },
  {
    name: "a truncated SHA256SUMS.txt",
    edit: async (pack) => {
      const t = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
      await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, t.slice(0, Math.floor(t.length / 2)));
    },
    names: "INVALID SHA256SUMS.txt line",
  },
  {
    name: "a missing SHA256SUMS.txt",
    edit: (pack) => Deno.remove(`${pack}/SHA256SUMS.txt`),
    names: "MISSING SHA256SUMS.txt",
  },
  {
    name: "a line removed from SHA256SUMS.txt",
    edit: (pack) => editSums(pack, (ls) => ls.filter((l) => !l.endsWith("  toolchain.json"))),
    names: "EXTRA toolchain.json",
  },
  {
    name: "a flipped byte in SHA256SUMS.txt",
    edit: async (pack) => {
      // Flip a hex digit of the first line (A..F <-> other letters keep it hex).
      const t = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
      const c = t[10] === "0" ? "1" : "0";
      await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, t.slice(0, 10) + c + t.slice(11));
    },
    names: "MODIFIED MANIFEST.json",
  },
];

Deno.test("a fresh pack verifies (CLI, exit 0) and replays (replay.sh and CLI, exit 0)", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const v = await runProofpack(["verify", pack, "--root", result.root.toLowerCase()]);
    assert(v.code === 0, v.stdout + v.stderr);
    assert(
      v.stdout.endsWith(
        `root: ${result.root}\n[PASS] proofpack ${pack} verified: 11 files; matches root digest ` +
          `${result.root}\n`,
      ),
      v.stdout,
    );
    const j = await runProofpack(["verify", pack, "--json"]);
    const report = JSON.parse(j.stdout);
    assert(j.code === 0 && report.ok && report.complete && report.valid && report.matched === 11);
    const r = await runProofpack(["replay", pack], { BOOTPACK_CLI: CLI });
    assert(r.code === 0, r.stdout + r.stderr);
    assert(r.stdout.includes("acceptance: SAME") && r.stdout.includes("selftest: SAME"), r.stdout);
    const sh = await runReplaySh(pack);
    assert(sh.code === 0, sh.stderr);
    const ps = await runVerifyPs1(pack, ["-Root", result.root]);
    assert(ps.code === 0, ps.stdout + ps.stderr);
    assert(ps.stdout.endsWith(`[PASS] matches root digest ${result.root}\n`), ps.stdout);
  });
});

Deno.test("runVerifyPs1Each() gives what each verify.ps1 -File run gives, exit code and output", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const names = ["a symlink inside the pack", "an extra file", "one flipped byte in verify.ps1"];
    const copies: string[] = [];
    for (const [i, tamper] of TAMPERS.filter((t) => names.includes(t.name)).entries()) {
      const copy = `${dir}/t${i}/pack`;
      await Deno.mkdir(`${dir}/t${i}/outside`, { recursive: true });
      await copyTree(pack, copy);
      await tamper.edit(copy, `${dir}/t${i}/outside`);
      copies.push(copy);
    }
    // The untampered pack again at the end: a failure must not leak into the next run.
    const [each, files] = await Promise.all([
      runVerifyPs1Each([pack, ...copies, pack]),
      Promise.all([pack, ...copies].map((p) => runVerifyPs1(p))),
    ]);
    assert.deepEqual(each.map((r) => r.code), [0, 1, 1, 1, 0]);
    assert.deepEqual(each.map((r) => r.code), [...files, files[0]!].map((r) => r.code));
    // The same lines; a tampered verify.ps1's own errors go to stderr under -File, to the
    // output here, so that one is compared by exit code only.
    for (const i of [0, 1, 2]) assert.equal(each[i]!.stdout, files[i]!.stdout);
    assert.equal(each[4]!.stdout, files[0]!.stdout);
    assert(files[3]!.stdout + files[3]!.stderr !== "", "the tampered verify.ps1 said nothing");
  });
});

Deno.test("verify names the path and exits 1, and replay.sh exits non-zero, for each tampering", async (t) => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    // Every case is a tampered copy of the pack. Each copy gets verify and replay.sh (processes,
    // a few at a time), and all copies go through verify.ps1 in one PowerShell process, after the
    // untampered pack (the control: it must pass there); then each case is checked as a step.
    const copies = await mapPool(
      [...TAMPERS.entries()],
      { concurrency: 3 },
      async ([i, tamper]) => {
        const copy = `${dir}/t${i}/pack`;
        const outside = `${dir}/t${i}/outside`;
        await Deno.mkdir(outside, { recursive: true });
        await copyTree(pack, copy);
        await tamper.edit(copy, outside);
        return copy;
      },
    );
    const [others, [control, ...pss]] = await Promise.all([
      mapPool(
        copies,
        { concurrency: 3 },
        (copy) => Promise.all([runProofpack(["verify", copy]), runReplaySh(copy)]),
      ),
      runVerifyPs1Each([pack, ...copies]),
    ]);
    assert(control!.code === 0 && control!.stdout.includes("[PASS] "), control!.stdout);
    const results = TAMPERS.map((tamper, i) => ({
      tamper,
      v: others[i]![0],
      sh: others[i]![1],
      ps: pss[i]!,
    }));
    for (const { tamper, v, sh, ps } of results) {
      await t.step(tamper.name, () => {
        assert(v.code === 1, `verify exit ${v.code}\n${v.stdout}${v.stderr}`);
        assert(v.stdout.includes(tamper.names), `verify does not name it:\n${v.stdout}${v.stderr}`);
        assert(v.stdout.includes("[FAIL]"), v.stdout);
        assert(!v.stderr.includes("internal error"), v.stderr);
        assert(sh.code !== 0, `replay.sh exit ${sh.code}\n${sh.stderr}`);
        // verify.ps1 run for real under PowerShell 7 agrees: it fails too. A tampered verify.ps1
        // cannot be trusted to say why (a flipped byte may not even parse); it must not exit 0.
        assert(ps.code === 1, `verify.ps1 exit ${ps.code}\n${ps.stdout}`);
        if (!tamper.name.endsWith("verify.ps1")) assert(ps.stdout.includes("[FAIL]"), ps.stdout);
        // A tampered replay.sh cannot be trusted to say why; it must still not exit 0.
        if (!tamper.name.endsWith("replay.sh")) {
          assert(sh.stderr.includes("replay: FAIL"), sh.stderr);
        }
      });
    }
  });
});

Deno.test("verify shows control characters in names escaped, never raw", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.writeTextFile(`${pack}/evil\n[PASS] proofpack verified\r`, "x");
    const v = await runProofpack(["verify", pack]);
    assert(v.code === 1, v.stdout);
    assert(!v.stdout.split("\n").some((l) => l.startsWith("[PASS]")), v.stdout);
    assert(!v.stdout.includes("\r"), JSON.stringify(v.stdout));
    assert(
      v.stdout.includes("UNSAFE evil\\u000A[PASS] proofpack verified\\u000D: the name"),
      v.stdout,
    );
    const sh = await runReplaySh(pack);
    assert(sh.code === 1 && !sh.stderr.includes("\r"), JSON.stringify(sh.stderr));
    assert(
      sh.stderr.includes(
        "replay: FAIL: unsafe name (control character): $'evil\\n[PASS] proofpack verified\\r'",
      ),
      sh.stderr,
    );
  });
});

Deno.test("verify reports completeness and validity separately", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.writeTextFile(`${pack}/evidence/extra.txt`, "x");
    let r = await verifyProofpack(pack);
    assert(!r.complete && r.valid && !r.ok && r.extra.join() === "evidence/extra.txt");
    await Deno.remove(`${pack}/evidence/extra.txt`);
    await flipByte(`${pack}/evidence/README.md`);
    r = await verifyProofpack(pack);
    assert(r.complete && !r.valid && r.modified.join() === "evidence/README.md");
  });
});

Deno.test("verify refuses unsafe paths and symlinks before opening any listed file", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.symlink("bootpack.txt", `${pack}/evidence/link.txt`);
    const r = await verifyProofpack(pack);
    assert(r.unsafe.length === 1 && r.unsafe[0]!.path === "evidence/link.txt");
    // Nothing was hashed: the walk refused the pack before any listed file was opened.
    assert(
      r.matched === 0 && r.modified.length === 0 && r.problems.length === 0,
      JSON.stringify(r),
    );
  });
});

Deno.test("verify --root catches a pack rebuilt consistently by someone else", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const r = await verifyProofpack(pack, { expectedRoot: "0".repeat(64) });
    assert(!r.ok && r.problems[0]?.message.includes("is not the expected"));
    assert((await verifyProofpack(pack, { expectedRoot: result.root })).ok);
  });
});

Deno.test("replay catches a forged gate output even when every sum was recomputed", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const path = "gates/acceptance.txt";
    const t = await Deno.readTextFile(`${pack}/${path}`);
    await forge(pack, path, t.replace("entries=4", "entries=5"));
    const v = await verifyProofpack(pack);
    assert(v.ok, JSON.stringify(v)); // consistent: only the root digest or a replay tells
    assert(!(await verifyProofpack(pack, { expectedRoot: result.root })).ok);
    const r = await replayProofpack(pack, { cli: CLI });
    assert(!r.ok && r.gates[0]?.name === "acceptance" && !r.gates[0].sameOutput);
    const sh = await runReplaySh(pack);
    assert(
      sh.code === 1 && sh.stderr.includes("acceptance: output differs from gates/acceptance.txt"),
      sh.stderr,
    );
  });
});

Deno.test("verify catches a gate record or a statement that lies about the verdicts", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const copy = `${dir}/copy`;
    await copyTree(pack, copy);
    // commands.json claims a block that gates/acceptance.txt does not show.
    const commands = await Deno.readTextFile(`${pack}/gates/commands.json`);
    await forge(
      pack,
      "gates/commands.json",
      commands.replace('"verdict": "PASS"', '"verdict": "GATE-BLOCK"'),
    );
    let v = await runProofpack(["verify", pack]);
    assert(v.code === 1, v.stdout);
    assert(
      v.stdout.includes("INVALID gates/commands.json: records acceptance as GATE-BLOCK"),
      v.stdout,
    );
    // The statement's predicate is edited and its sum recomputed.
    const statement = await Deno.readTextFile(`${copy}/statement.intoto.UNSIGNED.json`);
    await Deno.writeTextFile(
      `${copy}/statement.intoto.UNSIGNED.json`,
      statement.replace('"result": "PASSED"', '"result": "FAILED"'),
    );
    await rehash(copy, "statement.intoto.UNSIGNED.json");
    v = await runProofpack(["verify", copy]);
    assert(v.code === 1, v.stdout);
    assert(
      v.stdout.includes("INVALID statement.intoto.UNSIGNED.json: does not match the pack"),
      v.stdout,
    );
  });
});

Deno.test("verify fails closed under chaos: no wrong PASS", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const calibration = { ...DEFAULT_CALIBRATION, retry_backoff_ms: 1, io_timeout_ms: 500 };
    for (const chaos of ["TIMEOUT", "ERROR", "PARTIAL", "EMPTY", "CORRUPT"] as const) {
      const r = await verifyProofpack(pack, { chaos, calibration });
      assert(!r.ok, chaos);
    }
    assert((await verifyProofpack(pack, { chaos: "LATENCY", calibration })).ok);
  });
});

Deno.test("proofpack CLI: --help on every subcommand, usage errors exit 2", async () => {
  for (const args of [["--help"], ["export", "--help"], ["verify", "-h"], ["replay", "--help"]]) {
    const r = await runProofpack(args);
    assert(
      r.code === 0 && r.stdout.startsWith("Usage: bootpack proofpack"),
      args.join(" ") + r.stderr,
    );
  }
  for (
    const args of [
      [],
      ["frobnicate"],
      ["verify"],
      ["verify", "a", "b"],
      ["export", "x.txt"],
      ["export", "--out", "o"],
      ["verify", "p", "--root", "xyz"],
      ["verify", "p", "--bogus"],
    ]
  ) {
    const r = await runProofpack(args);
    assert(r.code === 2, `${args.join(" ")}: ${r.code} ${r.stderr}`);
    assert(r.stderr.startsWith("bootpack: error: proofpack: "), r.stderr);
    assert(r.stdout === "");
  }
});

Deno.test("replay.sh takes a BOOTPACK_CLI relative to where it is started", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const out = await new Deno.Command("bash", {
      args: [`${pack}/replay.sh`],
      cwd: ROOT,
      env: { BOOTPACK_CLI: "cli.ts" },
      stderr: "piped",
    }).output();
    assert(out.code === 0, new TextDecoder().decode(out.stderr));
  });
});

Deno.test("proofpack replay needs --cli or BOOTPACK_CLI: exit 2 otherwise", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const none = await runProofpack(["replay", pack], { BOOTPACK_CLI: "" });
    assert(
      none.code === 2 && none.stdout.includes("give --cli FILE or set BOOTPACK_CLI"),
      none.stderr,
    );
    // A relative --cli is relative to the working directory (the repository root here).
    const given = await runProofpack(["replay", pack, "--cli", "cli.ts", "--json"], {
      BOOTPACK_CLI: "",
    });
    assert(given.code === 0, given.stderr);
    const report = JSON.parse(given.stdout);
    assert(
      report.ok && report.gates.length === 2 && report.gates.every((g: { ok: boolean }) => g.ok),
    );
  });
});

Deno.test("proofpack verify on a folder that does not exist: exit 1, no stack trace", async () => {
  const r = await runProofpack(["verify", "/nonexistent/pack"]);
  assert(
    r.code === 1 && r.stdout.includes("[FAIL]") && !r.stderr.includes("    at "),
    r.stdout + r.stderr,
  );
});

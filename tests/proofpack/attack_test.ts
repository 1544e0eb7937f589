/**
 * The auditor's attacks of issue 11, each run against every verifier it applies to: `proofpack
 * verify`, `proofpack replay`, the pack's `replay.sh` (bash) and `verify.ps1` (under pwsh).
 *
 * @module
 */

import assert from "node:assert/strict";
import { exportProofpack } from "../../lib/proofpack/export.ts";
import {
  parseGateCommands,
  parseManifest,
  renderGateCommands,
  renderManifest,
  renderSha256Sums,
  renderStatement,
} from "../../lib/proofpack/manifest.ts";
import { runGate } from "../../lib/gates/gate.ts";
import { formatGateText } from "../../lib/gates/format.ts";
import { CLI, type CliResult, findPwsh, ROOT, withTempDir } from "../_helpers.ts";
import {
  copyTree,
  forge,
  makePack,
  PROOFPACK_PERMISSIONS,
  rehash,
  runProofpack,
  runPwsh,
  runReplaySh,
  runVerifyPs1,
} from "../_proofpack.ts";

/** Exit codes of the four verifiers on one pack. */
interface Verdicts {
  verify: number;
  replay: number;
  replaySh: number;
  ps1: number;
  out: string;
}

async function allFour(pack: string, root?: string): Promise<Verdicts> {
  const r = root === undefined ? [] : ["--root", root];
  const [v, p, sh, ps] = await Promise.all([
    runProofpack(["verify", pack, ...r]),
    runProofpack(["replay", pack, ...r], { BOOTPACK_CLI: CLI }),
    runReplaySh(pack, r),
    runVerifyPs1(pack, root === undefined ? [] : ["-Root", root]),
  ]);
  for (const x of [v, p, sh, ps]) assert(!(x.stdout + x.stderr).includes("internal error"));
  return {
    verify: v.code,
    replay: p.code,
    replaySh: sh.code,
    ps1: ps.code,
    out: [v, p, sh, ps].map((x) => x.stdout + x.stderr).join("\n----\n"),
  };
}

function allFail(v: Verdicts): void {
  assert(v.verify === 1 && v.replay === 1 && v.replaySh === 1 && v.ps1 === 1, v.out);
}

async function sha256Upper(bytes: Uint8Array): Promise<string> {
  return Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)),
    (b) => b.toString(16).padStart(2, "0").toUpperCase(),
  ).join("");
}

/**
 * A perfect forger: rewrites MANIFEST.json, the statement and SHA256SUMS.txt from the files now
 * in the pack, with the library's own renderers. Only the root digest can tell.
 */
async function reseal(pack: string): Promise<void> {
  const own = new Set(["SHA256SUMS.txt", "MANIFEST.json", "statement.intoto.UNSIGNED.json"]);
  const content: { path: string; size: number; sha256: string }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for await (const e of Deno.readDir(rel === "" ? pack : `${pack}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (!own.has(path)) {
        const bytes = await Deno.readFile(`${pack}/${path}`);
        content.push({ path, size: bytes.length, sha256: await sha256Upper(bytes) });
      }
    }
  };
  await walk("");
  const old = parseManifest(await Deno.readTextFile(`${pack}/MANIFEST.json`));
  assert(old.ok);
  const manifest = renderManifest({ ...old.value, files: content });
  await Deno.writeTextFile(`${pack}/MANIFEST.json`, manifest);
  const mBytes = new TextEncoder().encode(manifest);
  const withManifest = [
    ...content,
    { path: "MANIFEST.json", size: mBytes.length, sha256: await sha256Upper(mBytes) },
  ];
  const c = parseGateCommands(await Deno.readTextFile(`${pack}/gates/commands.json`));
  assert(c.ok);
  const statement = renderStatement(
    withManifest,
    c.value.gates,
    withManifest.filter((e) => e.path === "gates/commands.json"),
  );
  await Deno.writeTextFile(`${pack}/statement.intoto.UNSIGNED.json`, statement);
  const sBytes = new TextEncoder().encode(statement);
  const all = [
    ...withManifest,
    {
      path: "statement.intoto.UNSIGNED.json",
      size: sBytes.length,
      sha256: await sha256Upper(sBytes),
    },
  ];
  await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, renderSha256Sums(all));
}

/** A pack whose BootPack blocks in acceptance (its SNAPSHOT is not JSON). */
async function makeBlockingPack(dir: string): Promise<string> {
  await Deno.mkdir(`${dir}/src`);
  const text = await Deno.readTextFile(`${ROOT}/examples/bootpack.txt`);
  await Deno.writeTextFile(
    `${dir}/src/bootpack.txt`,
    text.replace('"id": "KB-001",', '"id": "KB-001",,'),
  );
  await Deno.copyFile(`${ROOT}/examples/BUG_KB.json.txt`, `${dir}/src/BUG_KB.json.txt`);
  const r = await exportProofpack(`${dir}/pack`, {
    bootpack: `${dir}/src/bootpack.txt`,
    maps: [{ from: "\\\\DS-918\\kb", to: `${dir}/src` }],
    createdAt: new Date(0),
  });
  assert(r.gates[0]?.verdict === "GATE-BLOCK");
  return `${dir}/pack`;
}

Deno.test("attack: extra folders, empty or nested, fail every verifier (--root included)", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    for (const [i, extra] of ["evidence/APPROVED by security 2026-12-01", "x/y/z"].entries()) {
      const copy = `${dir}/c${i}`;
      await copyTree(pack, copy);
      await Deno.mkdir(`${copy}/${extra}`, { recursive: true });
      const v = await allFour(copy, result.root);
      allFail(v);
      assert(v.out.includes(extra.split("/")[0]!), v.out);
    }
  });
});

Deno.test("attack: forged gate arguments pointing at a decoy BootPack, resealed", async () => {
  await withTempDir(async (dir) => {
    const pack = await makeBlockingPack(dir);
    const root = await sha256Upper(await Deno.readFile(`${pack}/SHA256SUMS.txt`));
    // The forger plants a BootPack that passes, points the record at it and reseals the sums.
    await Deno.copyFile(`${ROOT}/examples/bootpack.txt`, `${pack}/evidence/decoy.txt`);
    const c = parseGateCommands(await Deno.readTextFile(`${pack}/gates/commands.json`));
    assert(c.ok);
    const gates = [];
    for (const g of c.value.gates) {
      const report = await runGate(g.name as "acceptance", "evidence/decoy.txt", {
        maps: [{ from: "\\\\DS-918\\kb", to: "evidence" }],
        cwd: pack,
      });
      assert(report.verdict.pass);
      await Deno.writeTextFile(`${pack}/${g.output}`, formatGateText(report));
      gates.push({
        ...g,
        args: g.args.map((a) => a === "evidence/bootpack.txt" ? "evidence/decoy.txt" : a),
        verdict: "PASS" as const,
        exit_code: 0,
        warnings: report.warnings.length,
      });
    }
    await Deno.writeTextFile(`${pack}/gates/commands.json`, renderGateCommands(gates));
    await reseal(pack);
    const v = await allFour(pack);
    // Every verifier that reads the gate record refuses it; verify.ps1 checks hashes only and
    // says so: its PASS is "self-consistent only", and --root catches the forgery.
    assert(v.verify === 1 && v.replay === 1 && v.replaySh === 1, v.out);
    assert(v.out.includes("but the pack's evidence gives"), v.out);
    assert(v.ps1 === 0 && v.out.includes("[PASS] self-consistent only"), v.out);
    allFail(await allFour(pack, root));
  });
});

Deno.test("attack: a recorded BLOCK replayed is reported as a reproduced block, never [PASS]", async () => {
  await withTempDir(async (dir) => {
    const pack = await makeBlockingPack(dir);
    const p = await runProofpack(["replay", pack], { BOOTPACK_CLI: CLI });
    assert(p.code === 0, p.stdout + p.stderr);
    assert(!/^\[PASS\]/m.test(p.stdout) && p.stdout.includes("[REPRODUCED-BLOCK]"), p.stdout);
    const sh = await runReplaySh(pack);
    assert(sh.code === 0, sh.stderr);
    assert(!sh.stderr.includes("[PASS]") && sh.stderr.includes("[REPRODUCED-BLOCK]"), sh.stderr);
    const st = JSON.parse(await Deno.readTextFile(`${pack}/statement.intoto.UNSIGNED.json`));
    assert(st.predicate.result === "FAILED");
  });
});

Deno.test("attack: a pack with no gates never says PASSED in its statement", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    await exportProofpack(`${dir}/pack`, { files: [`${dir}/a.txt`] });
    const st = JSON.parse(await Deno.readTextFile(`${dir}/pack/statement.intoto.UNSIGNED.json`));
    assert(st.predicate.result !== "PASSED" && st.predicate.passedTests.length === 0);
  });
});

Deno.test("attack: FIFOs, in the pack or given to export, never stall and always fail", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const fifo = await new Deno.Command("mkfifo", { args: [`${pack}/evidence/pipe`] }).output();
    assert(fifo.success);
    const v = await allFour(pack);
    allFail(v);
    assert(v.out.includes("evidence/pipe"), v.out);
    await new Deno.Command("mkfifo", { args: [`${dir}/pipe`] }).output();
    const e = await runProofpack(["export", "--out", `${dir}/out`, `${dir}/pipe`]);
    assert(e.code === 1 && e.stderr.includes("SOURCE_NOT_FILE"), e.stderr);
  });
});

Deno.test("attack: a comma and a symlink in the pack's path cannot widen the sandbox", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.mkdir(`${dir}/a,b`);
    await copyTree(pack, `${dir}/a,b/pack`);
    await Deno.symlink(`${dir}/a,b`, `${dir}/link`);
    for (const where of [`${dir}/a,b/pack`, `${dir}/link/pack`]) {
      const p = await runProofpack(["replay", where], { BOOTPACK_CLI: CLI });
      assert(p.code === 0 && p.stdout.includes("acceptance: SAME"), p.stdout + p.stderr);
      const sh = await runReplaySh(where);
      assert(sh.code === 0, sh.stderr);
    }
  });
});

Deno.test("attack: an unreadable extra folder fails replay.sh run as an unprivileged user", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.mkdir(`${pack}/evidence/hidden`);
    await Deno.writeTextFile(`${pack}/evidence/hidden/x.txt`, "x");
    await Deno.chmod(dir, 0o755);
    await new Deno.Command("chmod", { args: ["-R", "a+rX", dir] }).output();
    await Deno.chmod(`${pack}/evidence/hidden`, 0o000);
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", `${pack}/replay.sh`],
      cwd: "/",
      env: { BOOTPACK_CLI: CLI, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.code === 1 && stderr.includes("cannot list the whole pack"), stderr);
    // Root reads it anyway, and the other verifiers still refuse the extra folder.
    allFail(await allFour(pack));
  });
});

Deno.test("replay.sh accepts what verify accepts: binary-mode lines, a file named 'a  MANIFEST.json'", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a  MANIFEST.json`, "not the manifest");
    await exportProofpack(`${dir}/pack`, { files: [`${dir}/a  MANIFEST.json`] });
    const sums = await Deno.readTextFile(`${dir}/pack/SHA256SUMS.txt`);
    await Deno.writeTextFile(`${dir}/pack/SHA256SUMS.txt`, sums.replace(/^(.{64}) {2}/gm, "$1 *"));
    const v = await allFour(`${dir}/pack`);
    assert(v.verify === 0 && v.replay === 0 && v.replaySh === 0 && v.ps1 === 0, v.out);
  });
});

Deno.test("replay.sh and verify.ps1 check MANIFEST sizes, as verify does", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const m = await Deno.readTextFile(`${pack}/MANIFEST.json`);
    // The same MANIFEST on one line, with one size changed: the layout does not matter, sizes do.
    const data = JSON.parse(m);
    data.files[0].size += 1;
    await Deno.writeTextFile(`${pack}/MANIFEST.json`, JSON.stringify(data));
    await reseal(pack); // re-renders MANIFEST from the files: put the lie back after it
    await Deno.writeTextFile(`${pack}/MANIFEST.json`, JSON.stringify(data));
    const sums = (await Deno.readTextFile(`${pack}/SHA256SUMS.txt`)).split("\n");
    const hex = await sha256Upper(await Deno.readFile(`${pack}/MANIFEST.json`));
    await Deno.writeTextFile(
      `${pack}/SHA256SUMS.txt`,
      sums.map((l) => l.endsWith("  MANIFEST.json") ? `${hex}  MANIFEST.json` : l).join("\n"),
    );
    const v = await allFour(pack);
    assert(v.verify === 1 && v.replaySh === 1 && v.ps1 === 1, v.out);
  });
});

Deno.test("verify.ps1 refuses a BOM or UTF-16 sums file and compares names ordinally", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const sums = await Deno.readFile(`${pack}/SHA256SUMS.txt`);
    const bom = `${dir}/bom`;
    await copyTree(pack, bom);
    await Deno.writeFile(`${bom}/SHA256SUMS.txt`, new Uint8Array([0xef, 0xbb, 0xbf, ...sums]));
    allFail(await allFour(bom));
    const utf16 = `${dir}/utf16`;
    await copyTree(pack, utf16);
    const text = new TextDecoder().decode(sums);
    const le = new Uint8Array(2 + text.length * 2);
    le.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) le[2 + 2 * i] = text.charCodeAt(i);
    await Deno.writeFile(`${utf16}/SHA256SUMS.txt`, le);
    allFail(await allFour(utf16));
    const upper = `${dir}/upper`;
    await copyTree(pack, upper);
    await Deno.writeTextFile(`${upper}/evidence/BOOTPACK.txt`, "planted beside bootpack.txt");
    const v = await allFour(upper);
    allFail(v);
    assert(v.out.includes("EXTRA: evidence/BOOTPACK.txt"), v.out);
  });
});

Deno.test("export refuses names .NET folds together and bidirectional controls", async () => {
  await withTempDir(async (dir) => {
    const pairs = [["s.txt", "\u017f.txt"], ["I.txt", "\u0131.txt"], ["K.txt", "\u212a.txt"]];
    for (const [i, [a, b]] of pairs.entries()) {
      await Deno.mkdir(`${dir}/${i}`);
      await Deno.writeTextFile(`${dir}/${i}/${a}`, "a");
      await Deno.mkdir(`${dir}/${i}/b`);
      await Deno.writeTextFile(`${dir}/${i}/b/${b}`, "b");
      const e = await runProofpack([
        "export",
        "--out",
        `${dir}/out${i}`,
        `${dir}/${i}/${a}`,
        `${dir}/${i}/b/${b}`,
      ]);
      assert(e.code === 1 && /NAME_CLASH|NAME_UNSAFE/.test(e.stderr), e.stderr);
    }
    await Deno.writeTextFile(`${dir}/gpj.\u202etxt`, "x");
    const e = await runProofpack(["export", "--out", `${dir}/outb`, `${dir}/gpj.\u202etxt`]);
    assert(e.code === 1 && e.stderr.includes("NAME_UNSAFE"), e.stderr);
  });
});

Deno.test("proofpack verify /nonexistent --json says complete false; no internal error", async () => {
  const r = await runProofpack(["verify", "/nonexistent/pack", "--json"]);
  const report = JSON.parse(r.stdout);
  assert(r.code === 1 && report.complete === false && report.ok === false, r.stdout);
  const h = await runProofpack(["--help"]);
  assert(h.code === 0 && h.stdout.includes("--map"), h.stdout);
});

Deno.test("attack: a 1,000,000-line SHA256SUMS.txt: verify and replay.sh fail in bounded memory", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const f = await Deno.open(`${pack}/SHA256SUMS.txt`, { append: true });
    const line = (i: number): string => `${"AB".repeat(32)}  evidence/m/${i}.txt\n`;
    for (let i = 0; i < 1_000_000; i += 10_000) {
      let chunk = "";
      for (let j = i; j < i + 10_000; j++) chunk += line(j);
      await f.write(new TextEncoder().encode(chunk));
    }
    f.close();
    // A heap of 96 MiB for an 88 MB sums file: reading it whole would not fit.
    const v = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--v8-flags=--max-old-space-size=96",
        "--allow-read",
        CLI,
        "proofpack",
        "verify",
        pack,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(v.stdout);
    assert(v.code === 1 && out.includes("999000 more listed files are missing"), out.slice(-2000));
    const sh = await runReplaySh(pack);
    assert(sh.code === 1 && sh.stderr.includes("999900 more missing"), sh.stderr.slice(-2000));
  });
});

async function openssl(args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("openssl", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return out.stdout;
}

/** Adds `path`'s line to the pack's SHA256SUMS.txt (byte order); returns the new root digest. */
async function listInSums(pack: string, path: string): Promise<string> {
  const hex = async (b: Uint8Array<ArrayBuffer>): Promise<string> =>
    Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", b)),
      (x) => x.toString(16).padStart(2, "0").toUpperCase(),
    ).join("");
  const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
  const lines = sums.trimEnd().split("\n");
  lines.push(`${await hex(await Deno.readFile(`${pack}/${path}`))}  ${path}`);
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  const text = lines.join("\n") + "\n";
  await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, text);
  return await hex(new TextEncoder().encode(text));
}

/** Signs the pack's statement as a DSSE envelope with openssl alone (the test vector). */
async function signWithOpenssl(pack: string, key: string, keyid: string): Promise<void> {
  const payload = await Deno.readFile(`${pack}/statement.intoto.UNSIGNED.json`);
  const type = "application/vnd.in-toto+json";
  const head = new TextEncoder().encode(`DSSEv1 ${type.length} ${type} ${payload.length} `);
  const pae = new Uint8Array([...head, ...payload]);
  const sig = await openssl(["dgst", "-sha256", "-sign", key], pae);
  const b64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b));
  await Deno.writeTextFile(
    `${pack}/statement.intoto.dsse.json`,
    JSON.stringify({
      payloadType: type,
      payload: b64(payload),
      signatures: [{ keyid, sig: b64(sig) }],
    }),
  );
}

Deno.test("verify.ps1 -PubKey checks the DSSE envelope (openssl test vector) under pwsh", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    for (const name of ["a", "b"]) {
      await openssl([
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        `${dir}/${name}.pem`,
      ]);
      await openssl([
        "ec",
        "-in",
        `${dir}/${name}.pem`,
        "-pubout",
        "-out",
        `${dir}/${name}.pub.pem`,
      ]);
    }
    await signWithOpenssl(pack, `${dir}/a.pem`, "key-a");
    // The envelope is a file of the pack like any other: listed in the sums, so the root changes.
    const root = await listInSums(pack, "statement.intoto.dsse.json");
    assert(root !== result.root);
    const ok = await runVerifyPs1(pack, ["-Root", root, "-PubKey", `${dir}/a.pub.pem`]);
    assert(ok.code === 0, ok.stdout + ok.stderr);
    assert(ok.stdout.includes(`[PASS] signed by key key-a; matches root digest ${root}`));
    // Another key's public half: refused. So is a pack whose envelope was not signed.
    const other = await runVerifyPs1(pack, ["-PubKey", `${dir}/b.pub.pem`]);
    assert(other.code === 1 && other.stdout.includes("not signed by this key"), other.stdout);
    // The envelope unsigned by the signer: a flipped byte in the signed payload.
    const env = JSON.parse(await Deno.readTextFile(`${pack}/statement.intoto.dsse.json`));
    const forged = atob(env.payload).replace('"PASSED"', '"FAILED"');
    env.payload = btoa(forged);
    await Deno.writeTextFile(`${pack}/statement.intoto.dsse.json`, JSON.stringify(env));
    await rehash(pack, "statement.intoto.dsse.json");
    const bad = await runVerifyPs1(pack, ["-PubKey", `${dir}/a.pub.pem`]);
    assert(bad.code === 1, bad.stdout);
    await Deno.remove(`${pack}/statement.intoto.dsse.json`);
    const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
    await Deno.writeTextFile(
      `${pack}/SHA256SUMS.txt`,
      sums.split("\n").filter((l) => l.slice(66) !== "statement.intoto.dsse.json").join("\n"),
    );
    const none = await runVerifyPs1(pack, ["-PubKey", `${dir}/a.pub.pem`]);
    assert(none.code === 1 && none.stdout.includes("not signed"), none.stdout);
  });
});

/** Bundles this repository's CLI into one file (what the pack's `tool/bootpack.js` is). */
async function bundle(to: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "-o", to, CLI],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("replay and replay.sh run the pack's own tool/bootpack.js when it is listed, and say so", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.mkdir(`${pack}/tool`);
    await bundle(`${pack}/tool/bootpack.js`);
    await reseal(pack);
    const p = await runProofpack(["replay", pack], { BOOTPACK_CLI: "" });
    assert(p.code === 0, p.stdout + p.stderr);
    assert(/^tool: tool\/bootpack\.js \(pack\) sha256 [0-9A-F]{64}$/m.test(p.stdout), p.stdout);
    assert(p.stdout.includes("acceptance: SAME") && p.stdout.includes("selftest: SAME"), p.stdout);
    const sh = await new Deno.Command("bash", {
      args: [`${pack}/replay.sh`],
      cwd: "/",
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(sh.stderr);
    assert(sh.code === 0, err);
    assert(/replay: tool \S+\/tool\/bootpack\.js sha256 [0-9a-f]{64}/.test(err), err);
  });
});

Deno.test("attack: an unreadable extra folder fails proofpack verify run as an unprivileged user", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await bundle(`${dir}/bootpack.js`);
    await Deno.mkdir(`${pack}/evidence/hidden`);
    await Deno.mkdir(`${dir}/deno_dir`);
    await new Deno.Command("chmod", { args: ["-R", "a+rwX", dir] }).output();
    await Deno.chmod(`${pack}/evidence/hidden`, 0o000);
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", Deno.execPath(), "run"]
        .concat(["--no-prompt", "--allow-read", `${dir}/bootpack.js`, "proofpack", "verify", pack]),
      cwd: "/",
      env: { DENO_DIR: `${dir}/deno_dir`, HOME: dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert(out.code === 1, stdout + new TextDecoder().decode(out.stderr));
    assert(stdout.includes('Cannot list "evidence/hidden"'), stdout);
    assert(stdout.includes("completeness: FAIL"), stdout);
    // proofpack replay, with the task's permissions, refuses before it replays anything.
    const replay = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", Deno.execPath(), "run"]
        .concat(["--no-prompt", ...PROOFPACK_PERMISSIONS, `${dir}/bootpack.js`])
        .concat(["proofpack", "replay", pack]),
      cwd: "/",
      env: {
        DENO_DIR: `${dir}/deno_dir`,
        HOME: dir,
        NO_COLOR: "1",
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const replayed = new TextDecoder().decode(replay.stdout) +
      new TextDecoder().decode(replay.stderr);
    assert(replay.code === 1, replayed);
    assert(replayed.includes('Cannot list "evidence/hidden"'), replayed);
    assert(!replayed.includes("[PASS]") && !replayed.includes("SAME"), replayed);
  });
});

Deno.test("attack: recorded arguments alone rewritten (outputs kept), resealed", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.copyFile(`${ROOT}/examples/bootpack.txt`, `${pack}/evidence/decoy.txt`);
    const c = await Deno.readTextFile(`${pack}/gates/commands.json`);
    await Deno.writeTextFile(
      `${pack}/gates/commands.json`,
      c.replaceAll('"evidence/bootpack.txt"', '"evidence/decoy.txt"'),
    );
    await reseal(pack);
    const v = await allFour(pack);
    assert(v.verify === 1 && v.replay === 1 && v.replaySh === 1, v.out);
    assert(v.out.includes("other arguments than the pack's evidence gives"), v.out);
    assert(v.ps1 === 0 && v.out.includes("[PASS] self-consistent only"), v.out);
  });
});

Deno.test("the bundled program writes the scripts from their sources, with no source tree to read", async () => {
  await withTempDir(async (dir) => {
    await bundle(`${dir}/bootpack.js`);
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    // Read permission on the scratch folder only: the repository is out of reach.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        `${dir}/bootpack.js`,
      ]
        .concat(["proofpack", "export", "--out", `${dir}/pack`, `${dir}/a.txt`]),
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const src = `${ROOT}/lib/proofpack/scripts`;
    assert.equal(
      await Deno.readTextFile(`${dir}/pack/replay.sh`),
      await Deno.readTextFile(`${src}/replay.sh`),
    );
    const ps1 = await Deno.readFile(`${dir}/pack/verify.ps1`);
    assert.deepEqual([...ps1.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(
      new TextDecoder().decode(ps1.subarray(3)),
      (await Deno.readTextFile(`${src}/verify.ps1`)).replace(/\r?\n/g, "\r\n"),
    );
  });
});

/**
 * A `PATH` whose first folder wraps `cmd`: the first time it is called with `when` among its
 * arguments (or at all, for `""`), it runs `hook` (bash) before the real `cmd`, or after it with
 * `after`. The swap lands at a known point of replay.sh, deterministically.
 */
async function hookedPath(
  dir: string,
  cmd: string,
  when: string,
  hook: string,
  after = false,
): Promise<string> {
  const real = new TextDecoder().decode(
    (await new Deno.Command("bash", { args: ["-c", `command -v ${cmd}`] }).output()).stdout,
  ).trim();
  assert(real.startsWith("/"), `no ${cmd}`);
  const bin = `${dir}/hook-bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(`${dir}/hook.sh`, hook);
  await Deno.writeTextFile(
    `${bin}/${cmd}`,
    `#!/usr/bin/env bash
if [[ ! -e '${dir}/hook.done' && " $* " == *' ${when}'* ]]; then
  : >'${dir}/hook.done'
  ${after ? `'${real}' "$@" && status=0 || status=$?` : ""}
  bash '${dir}/hook.sh'
  ${after ? "exit $status" : ""}
fi
exec '${real}' "$@"
`,
  );
  await Deno.chmod(`${bin}/${cmd}`, 0o755);
  return `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
}

async function readmeOf(pack: string): Promise<string> {
  const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
  return sums.split("\n").find((l) => l.endsWith("README.md"))!.slice(66);
}

Deno.test("attack: a link or FIFO swapped in after replay.sh's walk, before its copy, fails without a stall", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const readme = `${pack}/${await readmeOf(pack)}`;
    await Deno.copyFile(readme, `${dir}/same-bytes.md`);
    const swaps = {
      link: `rm -f '${readme}' && ln -s '${dir}/same-bytes.md' '${readme}'`,
      fifo: `rm -f '${readme}' && mkfifo '${readme}'`,
    };
    for (const [kind, swap] of Object.entries(swaps)) {
      await Deno.remove(`${dir}/hook.done`).catch(() => {});
      await Deno.remove(`${dir}/hook-bin`, { recursive: true }).catch(() => {});
      // replay.sh copies the listed files with `cp --parents`, after its walk.
      const path = await hookedPath(dir, "cp", "--parents", swap);
      const sh = await runReplaySh(pack, [], { PATH: path });
      assert(await Deno.stat(`${dir}/hook.done`), `${kind}: the swap did not run`);
      assert.equal(sh.code, 1, `${kind}: ${sh.stderr}`);
      assert.match(sh.stderr, /swapped in after the walk/, kind);
      await Deno.remove(readme);
      await Deno.copyFile(`${dir}/same-bytes.md`, readme);
    }
    // Put back, the pack replays: the hook alone changes nothing.
    await Deno.remove(`${dir}/hook.done`);
    const clean = await runReplaySh(pack, [], {
      PATH: await hookedPath(dir, "cp", "--parents", "true"),
    });
    assert.equal(clean.code, 0, clean.stderr);
  });
});

Deno.test("attack: the sums and a file swapped for a resealed forgery after replay.sh read the sums fail", async () => {
  await withTempDir(async (dir) => {
    const { pack, result } = await makePack(dir);
    const rel = await readmeOf(pack);
    await copyTree(pack, `${dir}/forged`);
    await forge(`${dir}/forged`, rel, "forged\n");
    const swap = ["SHA256SUMS.txt", "MANIFEST.json", "statement.intoto.UNSIGNED.json", rel]
      .map((f) => `cat '${dir}/forged/${f}' >'${pack}/${f}'`).join(" && ");
    // The first sha256sum computes the root digest; the forgery lands right after it.
    const path = await hookedPath(dir, "sha256sum", "", swap, true);
    const sh = await runReplaySh(pack, ["--root", result.root], { PATH: path });
    assert(await Deno.stat(`${dir}/hook.done`), "the swap did not run");
    assert.equal(sh.code, 1, sh.stderr);
    assert.doesNotMatch(sh.stderr, /\[PASS\]/);
    // The forgery alone, read from the start, is refused by the root digest as well.
    await Deno.remove(`${dir}/hook.done`);
    const direct = await runReplaySh(pack, ["--root", result.root]);
    assert.equal(direct.code, 1, direct.stderr);
    assert.match(direct.stderr, /root digest/);
  });
});

Deno.test("attack: an unreadable extra folder fails verify.ps1 run as an unprivileged user", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    await Deno.mkdir(`${pack}/evidence/hidden`);
    await Deno.writeTextFile(`${pack}/evidence/hidden/x.txt`, "x");
    // PowerShell as a .NET tool lives under root's home, which nobody may enter: a hard-linked
    // copy of its tool folder (a plain copy where links cannot cross file systems) is enough.
    const tools = findPwsh().replace(/\/pwsh$/, "");
    const linked = await new Deno.Command("cp", { args: ["-al", tools, `${dir}/pwsh`] }).output();
    if (!linked.success) {
      const copied = await new Deno.Command("cp", { args: ["-a", tools, `${dir}/pwsh`] }).output();
      assert(copied.success, new TextDecoder().decode(copied.stderr));
    }
    await Deno.mkdir(`${dir}/home`);
    await new Deno.Command("chmod", { args: ["a+rwx", dir, `${dir}/home`] }).output();
    await new Deno.Command("chmod", { args: ["-R", "a+rX", pack] }).output();
    await Deno.chmod(`${pack}/evidence/hidden`, 0o000);
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", `${dir}/pwsh/pwsh`]
        .concat(["-NoProfile", "-NonInteractive", "-File", `${pack}/verify.ps1`, "-Pack", pack]),
      cwd: "/",
      env: { HOME: `${dir}/home`, NO_COLOR: "1", DOTNET_CLI_TELEMETRY_OPTOUT: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert(out.code === 1, stdout + new TextDecoder().decode(out.stderr));
    assert(stdout.includes("INVALID: cannot list"), stdout);
    assert(stdout.includes("evidence/hidden"), stdout);
    assert(!stdout.includes("[PASS]"), stdout);
  });
});

/**
 * Runs verify.ps1 under pwsh with a `Get-ChildItem` of our own first (a function takes precedence
 * over the cmdlet): it lists as the cmdlet does, and right after listing `folder` runs `swap`.
 */
function verifyPs1Hooked(pack: string, folder: string, swap: string): Promise<CliResult> {
  // verify.ps1 sets strict mode, which reaches the function: $swapped must exist beforehand.
  const hook = "$global:swapped = $false; function global:Get-ChildItem { " +
    "$r = Microsoft.PowerShell.Management\\Get-ChildItem @args; " +
    `if (-not $global:swapped -and ($args -join ' ').Contains('${folder}')) { ` +
    `$global:swapped = $true; ${swap} }; $r }`;
  return runPwsh([
    "-Command",
    `${hook}; & '${pack}/verify.ps1' -Pack '${pack}'; exit $LASTEXITCODE`,
  ]);
}

Deno.test("attack: a file swapped for a link to the same bytes after verify.ps1's walk is CHANGED", async () => {
  await withTempDir(async (dir) => {
    const { pack } = await makePack(dir);
    const rel = await readmeOf(pack);
    const file = `${pack}/${rel}`;
    const folder = file.slice(0, file.lastIndexOf("/"));
    await Deno.copyFile(file, `${dir}/same-bytes.md`);
    // The hook alone changes nothing.
    const clean = await verifyPs1Hooked(pack, folder, "$null = 1");
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const swap = `Remove-Item -LiteralPath '${file}'; ` +
      `New-Item -ItemType SymbolicLink -Path '${file}' -Target '${dir}/same-bytes.md' | Out-Null`;
    const r = await verifyPs1Hooked(pack, folder, swap);
    assert((await Deno.lstat(file)).isSymlink, "the swap did not run");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert(r.stdout.includes(`CHANGED: ${rel}`), r.stdout);
    assert(!r.stdout.includes("[PASS]"), r.stdout);
  });
});

import assert from "node:assert/strict";
import { COMMAND_KEEPS, keptKinds } from "../../cli/_permissions.ts";
import { PERMISSIONS } from "../../scripts/compile.ts";
import { copyExample, exampleMap, ROOT, runCli, withTempDir } from "../_helpers.ts";
import { runBundle, testBundle } from "../_bundle.ts";
import { TASK_BUILD_ENTRY } from "../../lib/core/program.ts";

type Probe = Record<string, { state: string; attempt: string }>;

const GATE_LINES = [
  ["acceptance", "bootpack.txt"],
  ["selftest", "bootpack.txt"],
  ["proofpack", "verify", "pack"],
];

function assertReadOnly(probe: Probe, label: string): void {
  for (const kind of ["write", "run", "env", "sys", "net"]) {
    assert.equal(probe[kind]?.attempt, "NotCapable", `${label}: ${kind} ${JSON.stringify(probe)}`);
    assert.notEqual(probe[kind]?.state, "granted", `${label}: ${kind}`);
  }
  assert.equal(probe["read"]?.attempt, "ok", label);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("cli.ts under -A: the gates cannot write, run, read the environment or the system", async () => {
  await withTempDir(async (dir) => {
    for (const [i, line] of GATE_LINES.entries()) {
      const file = `${dir}/probe-${i}.txt`;
      const r = await runCli(["--permission-probe", file, ...line], { permissions: ["-A"] });
      assert.equal(r.code, 0, r.stderr);
      assertReadOnly(JSON.parse(r.stdout), line.join(" "));
      assert.equal(await exists(file), false, `${line.join(" ")} wrote ${file}`);
    }
  });
});

Deno.test("cli.ts under -A: the probe sees what a writer keeps (the control that can fail)", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/probe.txt`;
    const r = await runCli(["--permission-probe", file, "ingest"], { permissions: ["-A"] });
    const probe: Probe = JSON.parse(r.stdout);
    assert.equal(probe["write"]?.attempt, "ok");
    assert.equal(await exists(file), true);
    assert.equal(probe["run"]?.attempt, "NotCapable");
    const certify: Probe = JSON.parse(
      (await runCli(["--permission-probe", `${dir}/c.txt`, "certify"], { permissions: ["-A"] }))
        .stdout,
    );
    assert.equal(certify["run"]?.attempt, "ok");
    assert.equal(certify["net"]?.attempt, "NotCapable");
  });
});

Deno.test("cli.ts under -A: acceptance still passes on the example after the revocation", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const r = await runCli(["acceptance", bootpack, "--map", exampleMap(dir)], {
      permissions: ["-A"],
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[PASS\] /m);
  });
});

Deno.test("the tasks' build under -A: the gates cannot write, run, read the environment or the system", async () => {
  const entry = `${ROOT}/${TASK_BUILD_ENTRY}`;
  await withTempDir(async (dir) => {
    for (const [i, line] of [...GATE_LINES, ["ingest"]].entries()) {
      const file = `${dir}/probe-${i}.txt`;
      const o = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          "--unstable-lazy-dynamic-imports",
          entry,
          "--permission-probe",
          file,
          ...line,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      const probe: Probe = JSON.parse(new TextDecoder().decode(o.stdout));
      if (line[0] === "ingest") {
        // The control: a writer keeps write.
        assert.equal(probe["write"]?.attempt, "ok");
        assert.equal(await exists(file), true);
      } else {
        assertReadOnly(probe, `build ${line.join(" ")}`);
        assert.equal(await exists(file), false, `${line.join(" ")} wrote ${file}`);
      }
    }
  });
});

Deno.test("the bundle under -A, run from a folder with no source: the gates are read-only", async () => {
  const bundle = await testBundle();
  await withTempDir(async (dir) => {
    for (const [i, line] of GATE_LINES.entries()) {
      const file = `${dir}/probe-${i}.txt`;
      const r = await runBundle(bundle, ["-A"], ["--permission-probe", file, ...line], dir);
      assert.equal(r.code, 0, r.stderr);
      assertReadOnly(JSON.parse(r.stdout), `bundle ${line.join(" ")}`);
      assert.equal(await exists(file), false);
    }
    const control = await runBundle(
      bundle,
      ["-A"],
      ["--permission-probe", `${dir}/w`, "rebuild"],
      dir,
    );
    assert.equal(JSON.parse(control.stdout)["write"].attempt, "ok");
  });
});

Deno.test("keptKinds(): each command keeps only kinds its deno task grants", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  for (const [key, kinds] of Object.entries(COMMAND_KEEPS)) {
    const task = tasks[key.split(" ")[0]!];
    assert.ok(task, key);
    const granted = new Set(
      [...(task.command as string).matchAll(/--allow-([a-z]+)/g)].map((m) => m[1]),
    );
    for (const k of kinds) {
      assert.ok(granted.has(k), `${key} keeps ${k}, its task does not grant it`);
    }
  }
  assert.deepEqual(keptKinds(["acceptance"]), ["read"]);
  assert.deepEqual(keptKinds(["selftest", "--help"]), ["read"]);
  assert.deepEqual(keptKinds(["proofpack", "verify"]), ["read"]);
  assert.deepEqual(keptKinds(["nope"]), []);
  assert.deepEqual(keptKinds([]), []);
  // What the binary and the bundle carry covers what each command keeps, and nothing else.
  const baked = new Set(PERMISSIONS.map((p) => /^--allow-([a-z]+)/.exec(p)?.[1]).filter(Boolean));
  const kept = new Set(Object.values(COMMAND_KEEPS).flat());
  assert.deepEqual([...baked].sort(), [...kept].sort());
});

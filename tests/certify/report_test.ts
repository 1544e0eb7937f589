import assert from "node:assert/strict";
import {
  type CertificationReport,
  certificationVerdict,
  type GateId,
  type GateOutcome,
  INVARIANTS,
  renderCertificationJson,
  renderCertificationMarkdown,
} from "../../lib/certify/report.ts";

const SHA = "A".repeat(64);

function gate(id: GateId, pass = true): GateOutcome {
  return {
    id,
    name: `Gate ${id}`,
    proves: `what ${id} proves`,
    pass,
    ms: 1234.56,
    criteria: [{ criterion: `${id} criterion`, measured: "1 | 2", required: "<= 3", pass }],
    evidence: `evidence/${id}.json`,
  };
}

function report(overrides: Partial<CertificationReport> = {}): CertificationReport {
  return {
    identification: {
      tool: "bootpack 0.1.0",
      mode: "source",
      date: "2026-02-12T14:08:58Z",
      host: "DS-918",
      os: "linux x86_64 (6.1)",
      cpus: 2,
      runtime: "deno 2.9.6, V8 15, TypeScript 6",
      command: "bootpack certify --bootpack examples/bootpack.txt --map '\\\\DS-918\\kb=examples'",
      calibrationSource: "built in (budgets/calibration.json)",
    },
    inputs: [
      {
        role: "BootPack",
        path: "examples/bootpack.txt",
        sha256Before: SHA,
        sha256After: SHA,
        bytes: 10,
      },
      {
        role: "KB",
        path: "examples/BUG_KB.json.txt",
        sha256Before: SHA,
        sha256After: SHA,
        bytes: 20,
      },
    ],
    calibration: { "budgets_ms.acceptance": 2000, retry_count: 3, STRESS_N: 100 },
    gates: (["G0", "G1", "G2", "G3", "G4", "G5"] as const).map((id) => gate(id)),
    registry: [
      { path: "examples/bootpack.txt", sha256: SHA, bytes: 10, role: "input BootPack" },
      ...(["G0", "G1", "G2", "G3", "G4", "G5"] as const).map((id) => ({
        path: `evidence/${id}.json`,
        sha256: "B".repeat(64),
        bytes: 100,
        role: `evidence ${id}`,
      })),
    ],
    chart: "stress_timings.svg",
    totalMs: 61_000,
    ...overrides,
  };
}

Deno.test("certificationVerdict() passes only with six passing gates and unchanged inputs", () => {
  assert.deepEqual(certificationVerdict(report()), {
    pass: true,
    gatesPassed: 6,
    invariantsPassed: INVARIANTS.length,
    inputsUnchanged: true,
  });
  const oneFails = report({
    gates: report().gates.map((g) => (g.id === "G3" ? gate("G3", false) : g)),
  });
  const v = certificationVerdict(oneFails);
  assert.equal(v.pass, false);
  assert.equal(v.gatesPassed, 5);
  assert.equal(v.invariantsPassed, INVARIANTS.length - 2); // the two checked by G3
  const missing = report({ gates: report().gates.slice(0, 5) });
  assert.equal(certificationVerdict(missing).pass, false);
});

Deno.test("certificationVerdict() fails when an input changed or cannot be read again", () => {
  const [bp, kb] = report().inputs;
  const changed = report({ inputs: [bp!, { ...kb!, sha256After: "C".repeat(64) }] });
  assert.deepEqual([
    certificationVerdict(changed).pass,
    certificationVerdict(changed).inputsUnchanged,
  ], [
    false,
    false,
  ]);
  const gone = report({ inputs: [bp!, { ...kb!, sha256After: null }] });
  assert.equal(certificationVerdict(gone).pass, false);
  assert.equal(certificationVerdict(report({ inputs: [] })).pass, false);
});

Deno.test("renderCertificationMarkdown() gives the verdict, every gate's criteria, evidence and chart", () => {
  const md = renderCertificationMarkdown(report());
  assert.ok(md.startsWith("# Certification: examples/bootpack.txt\n"));
  assert.match(md, /^\*\*Verdict: PASS\*\*: 6\/6 gates, 8\/8 invariants, inputs unchanged\./m);
  for (const id of ["G0", "G1", "G2", "G3", "G4", "G5"]) {
    assert.ok(md.includes(`### ${id} Gate ${id}: PASS`), id);
    assert.ok(
      md.includes(`[\`evidence/${id}.json\`](evidence/${id}.json) (SHA256 \`${"B".repeat(64)}\`)`),
      id,
    );
  }
  assert.ok(md.includes("| G0 criterion | 1 \\| 2 | <= 3 | PASS |"), "table cells escape |");
  assert.ok(md.includes("](stress_timings.svg)"));
  assert.ok(md.indexOf("](stress_timings.svg)") > md.indexOf("### G4"));
  for (const inv of INVARIANTS) assert.ok(md.includes(`| ${inv.id} |`), inv.id);
  assert.ok(md.includes("| `budgets_ms.acceptance` | 2000 |"));
  assert.ok(md.includes("| total | 61.00 s |"));
  assert.ok(md.includes("VERDICT: PASS  gates 6/6  invariants 8/8  inputs unchanged"));
  assert.ok(
    md.includes(
      "`bootpack certify --bootpack examples/bootpack.txt --map '\\\\DS-918\\kb=examples'`",
    ),
  );
});

Deno.test("renderCertificationMarkdown() says FAIL and marks the failed criteria", () => {
  const md = renderCertificationMarkdown(
    report({ gates: report().gates.map((g) => (g.id === "G2" ? gate("G2", false) : g)) }),
  );
  assert.match(md, /^\*\*Verdict: FAIL\*\*: 5\/6 gates/m);
  assert.ok(md.includes("### G2 Gate G2: FAIL"));
  assert.ok(md.includes("| G2 criterion | 1 \\| 2 | <= 3 | **FAIL** |"));
});

Deno.test("renderCertificationMarkdown() escapes HTML in measured text", () => {
  const g = {
    ...gate("G0"),
    criteria: [{ criterion: "x", measured: "<script>", required: "y", pass: true }],
  };
  const md = renderCertificationMarkdown(report({ gates: [g, ...report().gates.slice(1)] }));
  assert.ok(md.includes("&lt;script>"));
  assert.ok(!md.includes("<script>"));
});

Deno.test("renderCertificationJson() is stable and carries verdict, gates, invariants, registry", () => {
  const text = renderCertificationJson(report());
  assert.equal(text, renderCertificationJson(report()));
  const doc = JSON.parse(text);
  assert.equal(doc.format, "bootpack-certification/1");
  assert.equal(doc.verdict, "PASS");
  assert.deepEqual(doc.summary, {
    gates_passed: 6,
    gates: 6,
    invariants_passed: INVARIANTS.length,
    invariants: INVARIANTS.length,
    inputs_unchanged: true,
  });
  assert.deepEqual(doc.gates.map((g: { id: string }) => g.id), [
    "G0",
    "G1",
    "G2",
    "G3",
    "G4",
    "G5",
  ]);
  assert.equal(doc.gates[0].ms, 1234.6);
  assert.equal(doc.gates[0].evidence_sha256, "B".repeat(64));
  assert.equal(doc.timings_ms.total, 61000);
  assert.equal(doc.invariants.length, INVARIANTS.length);
  assert.equal(doc.registry.length, 7);
  assert.equal(doc.inputs[1].unchanged, true);
});

Deno.test(
  "INVARIANTS name real modules and test files of this repository",
  async () => {
    const root = new URL("../..", import.meta.url);
    const ids = new Set<string>();
    for (const inv of INVARIANTS) {
      assert.ok(!ids.has(inv.id), `duplicate ${inv.id}`);
      ids.add(inv.id);
      assert.ok(inv.tests.length > 0 && inv.modules.length > 0 && inv.checkedBy.length > 0, inv.id);
      for (const file of [...inv.modules, ...inv.tests]) {
        const info = await Deno.stat(new URL(file, root)).catch(() => null);
        assert.ok(info?.isFile, `${inv.id}: ${file} does not exist`);
      }
    }
  },
);

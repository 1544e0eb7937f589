/**
 * The certification report of `certify`, pure: its data model, the invariants it vouches for, and
 * its two renderings, `CERTIFICATION.md` (for people and auditors) and `certification.json` (for
 * scripts). Same report, same bytes. No I/O.
 *
 * @module
 */

/** Identifiers of the hardening gates (SPEC §7). */
export type GateId = GateOutcome["id"];

/** One criterion of a gate, measured. */
export type GateCriterion = GateOutcome["criteria"][number];

/** An invariant the certification vouches for. */
export interface Invariant {
  /** Stable identifier, e.g. `INV-RETRY-BOUND-01`. */
  readonly id: string;
  /** Short name. */
  readonly name: string;
  /** The property, in one sentence. */
  readonly statement: string;
  /** Modules that implement it. */
  readonly modules: readonly string[];
  /** Test files that prove it (in the repository). */
  readonly tests: readonly string[];
  /** Gates that check it at certification time (`INPUTS` for the input hashes). */
  readonly checkedBy: readonly (GateId | "INPUTS")[];
}

/** The invariants every certification reports, with the tests that prove them. */
export const INVARIANTS: readonly Invariant[] = [
  {
    id: "INV-CALIBRATION-01",
    name: "Single source of thresholds",
    statement:
      "Every threshold comes from budgets/calibration.json; a missing file or a missing, unknown, null or mistyped key fails closed naming the key.",
    modules: ["lib/core/calibration.ts", "lib/certify/gate_g2.ts"],
    tests: ["tests/core/calibration_test.ts", "tests/certify/gate_g2_test.ts"],
    checkedBy: ["G2"],
  },
  {
    id: "INV-BUDGET-01",
    name: "Budget enforcement",
    statement:
      "An operation slower than its budgets_ms, or with a null, missing or mistyped budget, fails G2.",
    modules: ["lib/certify/budget.ts"],
    tests: ["tests/certify/budget_test.ts"],
    checkedBy: ["G2"],
  },
  {
    id: "INV-RETRY-BOUND-01",
    name: "Bounded retry",
    statement:
      "A transient read fault is tried at most 1 + retry_count times; corruption is never retried.",
    modules: ["lib/core/retry.ts", "lib/io/file_read.ts"],
    tests: ["tests/io/file_read_test.ts"],
    checkedBy: ["G3"],
  },
  {
    id: "INV-FAILCLOSED-01",
    name: "Fail-closed under chaos",
    statement:
      "Under every fault mode every command gives the right answer or a block: never a wrong PASS, never a partial write.",
    modules: ["lib/io/file_read.ts", "lib/certify/chaos_matrix.ts"],
    tests: ["tests/certify/chaos_matrix_test.ts", "tests/io/file_read_test.ts"],
    checkedBy: ["G3"],
  },
  {
    id: "INV-WRITERS-01",
    name: "Locked, atomic writers",
    statement:
      "Concurrent ingest and rebuild lose no update, leave the old or the new file, never a mix, and leave no lock or temporary file.",
    modules: [
      "lib/io/file_lock.ts",
      "lib/io/atomic_write.ts",
      "lib/writers/writer.ts",
      "lib/certify/concurrency.ts",
    ],
    tests: [
      "tests/io/file_lock_test.ts",
      "tests/io/atomic_write_test.ts",
      "tests/writers/ingest_concurrency_test.ts",
      "tests/scripts/concurrency_test.ts",
      "tests/certify/concurrency_test.ts",
      "tests/certify/certify_test.ts",
    ],
    checkedBy: ["G1"],
  },
  {
    id: "INV-ENTROPY-01",
    name: "Determinism and variance envelope",
    statement:
      "Repeated runs print identical output; their timings stay within budget, and their spread, over the spread of floor processes run between them, inside the variance envelope.",
    modules: [
      "lib/certify/stress.ts",
      "lib/certify/load_normalize.ts",
      "lib/certify/stats.ts",
      "lib/certify/variance_envelope.ts",
    ],
    tests: [
      "tests/certify/stress_test.ts",
      "tests/certify/load_normalize_test.ts",
      "tests/certify/stats_test.ts",
      "tests/certify/variance_envelope_test.ts",
    ],
    checkedBy: ["G4"],
  },
  {
    id: "INV-PROOFPACK-EXPORT-01",
    name: "Exportable, verifiable proofpack",
    statement:
      "An exported proofpack verifies; a tampered copy (modified, missing or extra file) fails verification.",
    modules: ["lib/proofpack/export.ts", "lib/proofpack/verify.ts"],
    tests: ["tests/proofpack/export_test.ts", "tests/proofpack/verify_test.ts"],
    checkedBy: ["G5"],
  },
  {
    id: "INV-READONLY-INPUT-01",
    name: "Certification never writes its inputs",
    statement:
      "certify works on scratch copies, its commands may write only there: the user's BootPack and KB are byte-for-byte unchanged.",
    modules: ["lib/certify/certify.ts", "lib/certify/_gates.ts"],
    tests: ["tests/certify/certify_test.ts"],
    checkedBy: ["INPUTS"],
  },
];

/** Everything `certify` established. */
export interface CertificationReport {
  /** Host, runtime, tool, date. */
  readonly identification: {
    /** Tool name and version, e.g. `bootpack 0.1.0`. */
    readonly tool: string;
    /** `build` (the tasks: deno run dist/tasks/cli.js), `source` (deno run cli.ts), `bundle` or `binary`. */
    readonly mode: string;
    /** ISO 8601 UTC date and time the certification started. */
    readonly date: string;
    /** Host name, or a note why it is not known. */
    readonly host: string;
    /** OS, architecture and release. */
    readonly os: string;
    /** Logical CPUs. */
    readonly cpus: number;
    /** Deno, V8 and TypeScript versions. */
    readonly runtime: string;
    /** The command line that produced the report. */
    readonly command: string;
    /** Where the calibration came from. */
    readonly calibrationSource: string;
  };
  /** The user's files, hashed before and after. */
  readonly inputs: readonly {
    /** `BootPack` or `KB`. */
    readonly role: string;
    /** The path as given. */
    readonly path: string;
    /** SHA256 before the gates ran. */
    readonly sha256Before: string;
    /** SHA256 after (`null` when it could not be read again). */
    readonly sha256After: string | null;
    /** Size in bytes. */
    readonly bytes: number;
  }[];
  /** The calibration used, key by key (dotted keys). */
  readonly calibration: Readonly<Record<string, number>>;
  /** The gates in order G0…G5. */
  readonly gates: readonly {
    /** `G0`…`G5`. */
    readonly id: "G0" | "G1" | "G2" | "G3" | "G4" | "G5";
    /** Short name, e.g. `Preflight`. */
    readonly name: string;
    /** What the gate proves (SPEC §7). */
    readonly proves: string;
    /** Every criterion met. */
    readonly pass: boolean;
    /** Wall-clock time of the gate in ms. */
    readonly ms: number;
    /** The criteria. */
    readonly criteria: readonly {
      /** What is checked. */
      readonly criterion: string;
      /** What was measured. */
      readonly measured: string;
      /** What is required (with the calibration key when there is one). */
      readonly required: string;
      /** Met. */
      readonly pass: boolean;
    }[];
    /** Evidence file, relative to the report's folder (e.g. `evidence/G0_preflight.json`). */
    readonly evidence: string;
  }[];
  /** SHA256 registry of every artifact (evidence, calibration, chart, inputs). */
  readonly registry: readonly {
    /** Path relative to the report's folder (`/` separators), or the input's path as given. */
    readonly path: string;
    /** 64 uppercase hex digits. */
    readonly sha256: string;
    /** Size in bytes. */
    readonly bytes: number;
    /** What it is, e.g. `evidence G3`, `input BootPack`. */
    readonly role: string;
  }[];
  /** File name of the stress chart beside the report, when one was drawn. */
  readonly chart: string | null;
  /** Total wall-clock time in ms. */
  readonly totalMs: number;
}

/** One file of the SHA256 registry. */
export type RegistryEntry = CertificationReport["registry"][number];

/** An input file of the certification, hashed before and after. */
export type InputRecord = CertificationReport["inputs"][number];

/** The host, runtime and tool that produced the report. */
export type Identification = CertificationReport["identification"];

/** One gate's outcome. */
export type GateOutcome = CertificationReport["gates"][number];

/** The verdict of a report. */
export interface CertificationVerdict {
  /** Every gate passed and the inputs are unchanged. */
  readonly pass: boolean;
  /** Gates passed. */
  readonly gatesPassed: number;
  /** Invariants whose checks passed. */
  readonly invariantsPassed: number;
  /** The inputs are byte-for-byte unchanged. */
  readonly inputsUnchanged: boolean;
}

/**
 * Decides a report: PASS when all six gates pass and every input is unchanged.
 *
 * @param report The report.
 * @returns The verdict and its counts.
 * @example
 * ```ts
 * import { certificationVerdict } from "./report.ts";
 * const v = certificationVerdict({ gates: [], inputs: [] });
 * if (v.pass) throw new Error("no gate cannot pass");
 * ```
 */
export function certificationVerdict(
  report: Pick<CertificationReport, "gates" | "inputs">,
): CertificationVerdict {
  const ids: GateId[] = ["G0", "G1", "G2", "G3", "G4", "G5"];
  const passed = new Set(report.gates.filter((g) => g.pass).map((g) => g.id));
  const inputsUnchanged = report.inputs.length > 0 &&
    report.inputs.every((i) => i.sha256After !== null && i.sha256After === i.sha256Before);
  const invariantsPassed = INVARIANTS.filter((inv) => invariantPass(inv, passed, inputsUnchanged))
    .length;
  return {
    pass: ids.every((id) => passed.has(id)) && report.gates.length === ids.length &&
      inputsUnchanged,
    gatesPassed: ids.filter((id) => passed.has(id)).length,
    invariantsPassed,
    inputsUnchanged,
  };
}

function invariantPass(inv: Invariant, passed: Set<GateId>, inputsUnchanged: boolean): boolean {
  return inv.checkedBy.every((g) => (g === "INPUTS" ? inputsUnchanged : passed.has(g)));
}

/**
 * Renders `certification.json`: the report, its verdict and the invariants, as stable JSON
 * (2-space indentation, keys in a fixed order, times rounded to 0.1 ms).
 *
 * @param report The report.
 * @returns The JSON text, ending with a newline.
 * @example
 * ```ts
 * import { renderCertificationJson } from "./report.ts";
 * const text = renderCertificationJson({
 *   identification: { tool: "bootpack 0.1.0", mode: "source", date: "2026-01-01T00:00:00Z",
 *     host: "h", os: "linux", cpus: 2, runtime: "deno 2", command: "certify", calibrationSource: "built in" },
 *   inputs: [], calibration: {}, gates: [], registry: [], chart: null, totalMs: 1,
 * });
 * if (JSON.parse(text).verdict !== "FAIL") throw new Error();
 * ```
 */
export function renderCertificationJson(report: CertificationReport): string {
  const verdict = certificationVerdict(report);
  const passed = new Set(report.gates.filter((g) => g.pass).map((g) => g.id));
  const doc = {
    format: "bootpack-certification/1",
    verdict: verdict.pass ? "PASS" : "FAIL",
    summary: {
      gates_passed: verdict.gatesPassed,
      gates: 6,
      invariants_passed: verdict.invariantsPassed,
      invariants: INVARIANTS.length,
      inputs_unchanged: verdict.inputsUnchanged,
    },
    identification: report.identification,
    inputs: report.inputs.map((i) => ({
      role: i.role,
      path: i.path,
      bytes: i.bytes,
      sha256_before: i.sha256Before,
      sha256_after: i.sha256After,
      unchanged: i.sha256After === i.sha256Before,
    })),
    gates: report.gates.map((g) => ({
      id: g.id,
      name: g.name,
      proves: g.proves,
      verdict: g.pass ? "PASS" : "FAIL",
      ms: round(g.ms),
      evidence: g.evidence,
      evidence_sha256: report.registry.find((r) => r.path === g.evidence)?.sha256 ?? null,
      criteria: g.criteria,
    })),
    invariants: INVARIANTS.map((inv) => ({
      ...inv,
      verdict: invariantPass(inv, passed, verdict.inputsUnchanged) ? "PASS" : "FAIL",
    })),
    timings_ms: {
      ...Object.fromEntries(report.gates.map((g) => [g.id, round(g.ms)])),
      total: round(report.totalMs),
    },
    calibration: report.calibration,
    registry: report.registry,
    chart: report.chart,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/**
 * Renders `CERTIFICATION.md`: verdict first, then identification, inputs, each gate with its
 * criteria, measured results and evidence, the stress chart, the invariants with their tests, the
 * SHA256 registry, the calibration and the timings, and how to check the report.
 *
 * @param report The report.
 * @returns The Markdown text, ending with a newline.
 * @example
 * ```ts
 * import { renderCertificationMarkdown } from "./report.ts";
 * const md = renderCertificationMarkdown({
 *   identification: { tool: "bootpack 0.1.0", mode: "source", date: "2026-01-01T00:00:00Z",
 *     host: "h", os: "linux", cpus: 2, runtime: "deno 2", command: "certify", calibrationSource: "built in" },
 *   inputs: [], calibration: {}, gates: [], registry: [], chart: null, totalMs: 1,
 * });
 * if (!md.includes("**Verdict: FAIL**")) throw new Error(md);
 * ```
 */
export function renderCertificationMarkdown(report: CertificationReport): string {
  const v = certificationVerdict(report);
  return [
    ...headerSection(report, v),
    ...gatesSection(report),
    ...invariantsSection(report, v),
    ...closingSection(report, v),
  ].join("\n") + "\n";
}

type Verdict = ReturnType<typeof certificationVerdict>;

function headerSection(report: CertificationReport, v: Verdict): string[] {
  const id = report.identification;
  return [
    `# Certification: ${cell(report.inputs[0]?.path ?? "BootPack")}`,
    "",
    `**Verdict: ${
      v.pass ? "PASS" : "FAIL"
    }**: ${v.gatesPassed}/6 gates, ${v.invariantsPassed}/${INVARIANTS.length} invariants, inputs ${
      v.inputsUnchanged ? "unchanged" : "CHANGED OR UNREADABLE"
    }. Certification run ${id.date} on ${cell(id.host)} by ${cell(id.tool)}.`,
    "",
    "## Identification",
    "",
    "| attribute | value |",
    "| --- | --- |",
    `| Date (UTC) | ${cell(id.date)} |`,
    `| Tool | ${cell(id.tool)} (${cell(id.mode)}) |`,
    `| Runtime | ${cell(id.runtime)} |`,
    `| Host | ${cell(id.host)} |`,
    `| OS | ${cell(id.os)}, ${id.cpus} logical CPUs |`,
    `| Command | ${code(id.command)} |`,
    `| Calibration | ${cell(id.calibrationSource)} |`,
    `| Gates | ${v.gatesPassed}/6 PASS |`,
    `| Invariants | ${v.invariantsPassed}/${INVARIANTS.length} PASS |`,
    `| Total time | ${seconds(report.totalMs)} |`,
    "",
    "## Inputs",
    "",
    "The gates ran on scratch copies. Each input was hashed before and after the certification.",
    "",
    "| role | path | bytes | SHA256 before | SHA256 after | unchanged |",
    "| --- | --- | ---: | --- | --- | --- |",
    ...report.inputs.map((i) =>
      `| ${cell(i.role)} | ${code(i.path)} | ${i.bytes} | \`${i.sha256Before}\` | \`${
        i.sha256After ?? "unreadable"
      }\` | ${i.sha256After === i.sha256Before ? "yes" : "**NO**"} |`
    ),
  ];
}

function gatesSection(report: CertificationReport): string[] {
  const out: string[] = [
    "",
    "## Gates",
    "",
    "| gate | proves | verdict | time | evidence |",
    "| --- | --- | --- | ---: | --- |",
    ...report.gates.map((g) =>
      `| ${g.id} ${cell(g.name)} | ${cell(g.proves)} | ${g.pass ? "PASS" : "**FAIL**"} | ${
        seconds(g.ms)
      } | [\`${g.evidence}\`](${g.evidence}) |`
    ),
  ];
  for (const g of report.gates) {
    const sha = report.registry.find((r) => r.path === g.evidence)?.sha256;
    out.push(
      "",
      `### ${g.id} ${cell(g.name)}: ${g.pass ? "PASS" : "FAIL"}`,
      "",
      `${g.proves}. Evidence: [\`${g.evidence}\`](${g.evidence})${
        sha ? ` (SHA256 \`${sha}\`)` : ""
      }; time ${seconds(g.ms)}.`,
      "",
      "| criterion | measured | required | verdict |",
      "| --- | --- | --- | --- |",
      ...g.criteria.map((c) =>
        `| ${cell(c.criterion)} | ${cell(c.measured)} | ${cell(c.required)} | ${
          c.pass ? "PASS" : "**FAIL**"
        } |`
      ),
    );
    if (g.id === "G4" && report.chart) {
      out.push(
        "",
        `![Stress timings of each command, one dot per run: the raw timings in ms against the measured mean ± sd and the variance envelope widened by the floor processes' spread, then each run over its floor](${report.chart})`,
      );
    }
  }
  return out;
}

function invariantsSection(report: CertificationReport, v: Verdict): string[] {
  const passed = new Set(report.gates.filter((g) => g.pass).map((g) => g.id));
  return [
    "",
    "## Invariants",
    "",
    "| ID | name | property | modules | tests | checked by | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...INVARIANTS.map((inv) =>
      `| ${inv.id} | ${cell(inv.name)} | ${cell(inv.statement)} | ${
        inv.modules.map((m) => `\`${m}\``).join(", ")
      } | ${inv.tests.map((t) => `\`${t}\``).join(", ")} | ${inv.checkedBy.join(", ")} | ${
        invariantPass(inv, passed, v.inputsUnchanged) ? "PASS" : "**FAIL**"
      } |`
    ),
    "",
    "## SHA256 registry",
    "",
    "| SHA256 | bytes | file | role |",
    "| --- | ---: | --- | --- |",
    ...report.registry.map((r) =>
      `| \`${r.sha256}\` | ${r.bytes} | ${code(r.path)} | ${cell(r.role)} |`
    ),
    "",
    "`CERTIFICATION.md` and `certification.json` are covered by the proofpack exported beside them",
    "(`proofpack/MANIFEST.json`, `proofpack/SHA256SUMS.txt`).",
  ];
}

function closingSection(report: CertificationReport, v: Verdict): string[] {
  return [
    "",
    "## Calibration",
    "",
    "| key | value |",
    "| --- | ---: |",
    ...Object.entries(report.calibration).map(([k, val]) => `| ${code(k)} | ${val} |`),
    "",
    "## Timings per gate",
    "",
    "| gate | time |",
    "| --- | ---: |",
    ...report.gates.map((g) => `| ${g.id} ${cell(g.name)} | ${seconds(g.ms)} |`),
    `| total | ${seconds(report.totalMs)} |`,
    "",
    "## How to check this report",
    "",
    "```sh",
    "bootpack proofpack verify proofpack                 # every file against MANIFEST.json",
    "(cd proofpack && sha256sum -c SHA256SUMS.txt)       # the same with coreutils",
    "bootpack proofpack replay proofpack --cli cli.ts    # re-runs acceptance and selftest, compares",
    "```",
    "",
    "From a source checkout, `deno task proofpack verify|replay` runs the same commands.",
    "",
    "```text",
    `VERDICT: ${
      v.pass ? "PASS" : "FAIL"
    }  gates ${v.gatesPassed}/6  invariants ${v.invariantsPassed}/${INVARIANTS.length}  inputs ${
      v.inputsUnchanged ? "unchanged" : "CHANGED"
    }`,
    "```",
  ];
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/<(?=[A-Za-z/!?])/g, "&lt;").replace(/\r?\n/g, " ");
}

/** A code span for a Markdown table cell. */
function code(text: string): string {
  const body = text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  return body.includes("`") ? `\`\` ${body} \`\`` : `\`${body}\``;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

import assert from "node:assert/strict";
import {
  parseGateCommands,
  parseManifest,
  parseSha256Sums,
  parseStatementSubjects,
  renderGateCommands,
  renderManifest,
  renderSha256Sums,
  renderStatement,
} from "../../lib/proofpack/manifest.ts";

const A = "ab".repeat(32);
const B = "CD".repeat(32);

Deno.test("renderSha256Sums() writes GNU lines, uppercase, sorted by bytes, LF", () => {
  const text = renderSha256Sums([
    { path: "b.txt", sha256: A },
    { path: "B.md", sha256: B },
    { path: "a/z.txt", sha256: B },
  ]);
  assert(
    text === `${B}  B.md\n${B}  a/z.txt\n${A.toUpperCase()}  b.txt\n`,
    JSON.stringify(text),
  );
});

Deno.test("renderSha256Sums() refuses unsafe names, clashes, bad digests and itself", () => {
  for (
    const entries of [
      [{ path: "../x", sha256: A }],
      [{ path: "a", sha256: A }, { path: "A", sha256: A }],
      [{ path: "a", sha256: "xyz" }],
      [{ path: "SHA256SUMS.txt", sha256: A }],
    ]
  ) {
    let threw = false;
    try {
      renderSha256Sums(entries);
    } catch (error) {
      threw = error instanceof TypeError;
    }
    assert(threw, JSON.stringify(entries));
  }
});

Deno.test("parseSha256Sums() reads back what renderSha256Sums() writes, binary marker too", () => {
  const r = parseSha256Sums(renderSha256Sums([{ path: "e/x", sha256: A }]) + `${B} *y\n`);
  assert(r.ok, JSON.stringify(r));
  assert(r.value.map((l) => `${l.line}:${l.path}`).join() === "1:e/x,2:y");
});

Deno.test("parseSha256Sums() rejects empty, truncated and malformed lists with line and path", () => {
  const cases: [string, string, number | null, string | null][] = [
    ["", "INVALID", null, null],
    [`${A}  x`, "INVALID", 1, null],
    [`${A}  x\n${A}  y`, "INVALID", 2, null],
    [`${A}  x\r\n`, "UNSAFE_PATH", 1, "x\r"],
    [`${A} x\n`, "INVALID", 1, null],
    [`${A.slice(2)}  x\n`, "INVALID", 1, null],
    [`${A}  ../x\n`, "UNSAFE_PATH", 1, "../x"],
    [`${A}  /etc/passwd\n`, "UNSAFE_PATH", 1, "/etc/passwd"],
    [`${A}  C:/x\n`, "UNSAFE_PATH", 1, "C:/x"],
    [`${A}  a\n${A}  A\n`, "UNSAFE_PATH", 2, "A"],
    [`${A}  SHA256SUMS.txt\n`, "INVALID", 1, "SHA256SUMS.txt"],
    ["\n", "INVALID", 1, null],
  ];
  for (const [text, code, line, path] of cases) {
    const r = parseSha256Sums(text);
    assert(!r.ok, JSON.stringify(text));
    const p = r.problems[0]!;
    assert(
      p.code === code && p.line === line && p.path === path && p.file === "SHA256SUMS.txt",
      `${JSON.stringify(text)}: ${JSON.stringify(p)}`,
    );
  }
});

Deno.test("renderManifest() and parseManifest() round-trip; edits to its shape are found", () => {
  const m = {
    format: "bootpack-proofpack/1",
    created: "2023-11-14T22:13:20Z",
    tool: { name: "bootpack", version: "0.1.0" },
    files: [{ path: "z", size: 3, sha256: A }, { path: "a", size: 0, sha256: B }],
  };
  const text = renderManifest(m);
  const back = parseManifest(text);
  assert(back.ok);
  assert(back.value.files.map((f) => f.path).join() === "a,z");
  assert(back.value.files[1]!.sha256 === A.toUpperCase());
  const json = JSON.parse(text);
  for (
    const edit of [
      (j: Record<string, unknown>) => (j["format"] = "other"),
      (j: Record<string, unknown>) => ((j["files"] as { path: string }[])[0]!.path = "../a"),
      (j: Record<string, unknown>) => ((j["files"] as { size: number }[])[0]!.size = -1),
      (j: Record<string, unknown>) => ((j["files"] as { path: string }[])[1]!.path = "A"),
      (j: Record<string, unknown>) => delete j["files"],
    ]
  ) {
    const copy = structuredClone(json);
    edit(copy);
    assert(!parseManifest(JSON.stringify(copy)).ok, JSON.stringify(copy));
  }
  const unsafe = parseManifest(text.replace('"path": "a"', '"path": "/abs"'));
  assert(!unsafe.ok && unsafe.problems[0]?.code === "UNSAFE_PATH");
  assert(unsafe.problems[0]?.path === "/abs");
  assert(!parseManifest("not json").ok);
});

Deno.test("renderStatement() writes an in-toto Statement v1 with a test-result predicate", () => {
  const gates = [
    {
      name: "acceptance",
      args: ["acceptance", "evidence/b.txt"],
      exit_code: 0,
      output: "gates/acceptance.txt",
      verdict: "PASS" as const,
      warnings: 0,
    },
    {
      name: "selftest",
      args: ["selftest", "evidence/b.txt"],
      exit_code: 1,
      output: "gates/selftest.txt",
      verdict: "GATE-BLOCK" as const,
      warnings: 0,
    },
  ];
  const s = JSON.parse(
    renderStatement([{ path: "b", sha256: A }, { path: "a", sha256: B }], gates, [
      { path: "gates/commands.json", sha256: A },
    ]),
  );
  assert(s._type === "https://in-toto.io/Statement/v1");
  assert(s.predicateType === "https://in-toto.io/attestation/test-result/v0.1");
  assert(s.subject.map((x: { name: string }) => x.name).join() === "a,b");
  assert(s.subject[1].digest.sha256 === A.toLowerCase());
  assert(s.predicate.result === "FAILED");
  assert(s.predicate.passedTests.join() === "acceptance");
  assert(s.predicate.failedTests.join() === "selftest");
  assert(s.predicate.configuration[0].name === "gates/commands.json");
  const back = parseStatementSubjects(JSON.stringify(s));
  assert(back.ok && back.value.length === 2);
  assert(!parseStatementSubjects("{}").ok);
  const commands = parseGateCommands(renderGateCommands(gates));
  assert(commands.ok && commands.value.gates[1]?.exit_code === 1);
  assert(!parseGateCommands(renderGateCommands(gates).replace("gates/selftest.txt", "../x")).ok);
});

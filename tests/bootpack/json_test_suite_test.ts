import { equal, ok } from "node:assert/strict";
import { parseKb } from "../../lib/bootpack/kb_parse.ts";
import { decodeUtf8 } from "../../lib/core/utf8.ts";
import { runGate } from "../../lib/gates/gate.ts";
import type { GateReport } from "../../lib/gates/verdict.ts";
import { ROOT, withTempDir } from "../_helpers.ts";

const SUITE = `${ROOT}/tests/fixtures/JSONTestSuite/test_parsing`;

/** Codes by which a KB reader refuses text as JSON (not as a KB shape). */
const NOT_JSON = /(^|_)(JSON_INVALID|INVALID_UTF8|BOM|EMPTY)$/;

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  for await (const e of Deno.readDir(SUITE)) {
    if (e.isFile && e.name.endsWith(".json")) {
      out.push({ name: e.name, bytes: await Deno.readFile(`${SUITE}/${e.name}`) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The KB JSON reader as the gates use it: strict UTF-8, then `parseKb`. */
function readerAccepts(bytes: Uint8Array): boolean {
  const text = decodeUtf8(bytes);
  if (text === null) return false;
  const r = parseKb(text);
  return r.ok || !NOT_JSON.test(r.diagnostic.code);
}

function cat(...parts: (Uint8Array | string)[]): Uint8Array {
  const enc = new TextEncoder();
  const bytes = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The test file as the value of an entry: `[{"value":\n<file>\n}]`. */
function wrapped(bytes: Uint8Array): Uint8Array {
  return cat('[{"value":\n', bytes, "\n}]\n");
}

/** Whether a gate report says the JSON (of the KB or the SNAPSHOT) is not JSON. */
function gateRejects(report: GateReport): boolean {
  return [...report.violations, ...report.warnings].some((d) => NOT_JSON.test(d.code));
}

Deno.test("the KB JSON reader accepts every y_ file of JSONTestSuite and rejects every n_ file", async () => {
  const all = await cases();
  ok(all.length > 300, `${all.length} cases`);
  const wrong: string[] = [];
  for (const c of all) {
    const accepted = readerAccepts(c.bytes);
    if (c.name.startsWith("y_") && !accepted) wrong.push(`${c.name}: rejected`);
    if (c.name.startsWith("n_") && accepted) wrong.push(`${c.name}: accepted`);
  }
  equal(wrong.join("\n"), "");
});

Deno.test("both gates agree with the KB JSON reader on every JSONTestSuite file as an entry", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/BUG_KB.json.txt`;
    const snap = `${dir}/snapshot.txt`;
    const ptr = `${dir}/pointer.txt`;
    // The SNAPSHOT holds the case; the KB the POINTER names holds it in the other BootPack.
    await Deno.writeTextFile(
      ptr,
      "[BUG_KB_JSON]\n```\n[]\n```\n\n[BUG_KB_JSON_POINTER]\nPath=BUG_KB.json.txt\n" +
        `SHA256=${"0".repeat(64)}\nEntries=1\n`,
    );
    const wrong: string[] = [];
    let n = 0;
    for (const c of await cases()) {
      const entry = wrapped(c.bytes);
      const accepts = readerAccepts(entry);
      if (c.name.startsWith("y_") && !accepts) wrong.push(`${c.name}: reader rejects as entry`);
      if (c.name.startsWith("n_") && accepts) wrong.push(`${c.name}: reader accepts as entry`);
      await Deno.writeFile(kb, entry);
      const selftest = await runGate("selftest", ptr);
      if (gateRejects(selftest) === accepts) wrong.push(`${c.name}: selftest on the KB disagrees`);
      const acceptance = await runGate("acceptance", ptr);
      if (gateRejects(acceptance) === accepts) {
        wrong.push(`${c.name}: acceptance on the KB disagrees`);
      }
      await Deno.writeFile(
        snap,
        cat(
          "[BUG_KB_JSON]\n```\n",
          entry,
          "```\n\n[BUG_KB_JSON_POINTER]\nPath=none.txt\n",
          `SHA256=${"0".repeat(64)}\nEntries=1\n`,
        ),
      );
      const snapshot = await runGate("acceptance", snap);
      if (gateRejects(snapshot) === accepts) {
        wrong.push(`${c.name}: acceptance on the SNAPSHOT disagrees (${snapshot.verdict.code})`);
      }
      n++;
    }
    ok(n > 300);
    equal(wrong.join("\n"), "");
  });
});

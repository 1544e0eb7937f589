import { deepEqual } from "node:assert/strict";
import fc from "fast-check";
import { BootPackScanner } from "../../lib/bootpack/_scan.ts";
import { ROOT } from "../_helpers.ts";

const FIXTURES = `${ROOT}/tests/fixtures/bootpack`;

function scan(text: string, cuts: number[]): { result: unknown; json: string } {
  let json = "";
  const scanner = new BootPackScanner({ write: (piece) => json += piece });
  let at = 0;
  for (const cut of cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b)) {
    scanner.push(text.slice(at, cut));
    at = Math.max(at, cut);
  }
  scanner.push(text.slice(at));
  return { result: scanner.finish(), json };
}

async function corpus(): Promise<string[]> {
  const texts: string[] = [];
  for (const kind of ["accept", "reject"]) {
    for await (const e of Deno.readDir(`${FIXTURES}/${kind}`)) {
      const text = new TextDecoder().decode(await Deno.readFile(`${FIXTURES}/${kind}/${e.name}`));
      texts.push(text.replace(/^\uFEFF/, ""));
    }
  }
  return texts.sort();
}

Deno.test("BootPackScanner gives the same result however the text is cut into chunks", async () => {
  const texts = await corpus();
  fc.assert(
    fc.property(
      fc.constantFrom(...texts),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.boolean(),
      (text, cuts, crlf) => {
        const t = crlf ? text.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n") : text;
        const whole = scan(t, []);
        const cut = scan(t, cuts);
        deepEqual(cut.result, whole.result);
        deepEqual(cut.json, whole.json);
      },
    ),
    { numRuns: 1500 },
  );
});

Deno.test("BootPackScanner hands the sink exactly the text between the fences", () => {
  const text = 'x\r\n[BUG_KB_JSON]\r\n\r\n```\r\n[\r\n  {"a": 1}\r\n]\r\n```\r\ntail\r\n';
  const { result, json } = scan(text, [7, 30]);
  deepEqual(json, '[\r\n  {"a": 1}\r\n]\r\n');
  const r = result as { snapshot: { jsonStart: number; jsonEnd: number; jsonFirstLine: number } };
  deepEqual(text.slice(r.snapshot.jsonStart, r.snapshot.jsonEnd), json);
  deepEqual(r.snapshot.jsonFirstLine, 5);
});

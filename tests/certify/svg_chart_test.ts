import assert from "node:assert/strict";
import { type ChartSeries, renderStressChart } from "../../lib/certify/svg_chart.ts";
import { summarize } from "../../lib/certify/stats.ts";
import { checkEnvelope } from "../../lib/certify/variance_envelope.ts";

const ENVELOPE = { max_cv: 0.5, max_p95_over_p50: 3 };

function series(name: string, values: number[], budgetMs: number | null = 2000): ChartSeries {
  const stats = summarize(values);
  return { name, values, stats, envelope: checkEnvelope(stats, ENVELOPE), budgetMs };
}

const A = series("acceptance", [60, 62, 58, 61, 400, 59]);
const S = series("selftest", [70, 71, 69, 72, 70, 75]);

/** Checks that every tag opened is closed in order (a small well-formedness check). */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name);
    else stack.push(name!);
  }
  assert.deepEqual(stack, []);
}

Deno.test("renderStressChart() gives the same bytes for the same input", () => {
  assert.equal(renderStressChart([A, S]), renderStressChart([A, S]));
  assert.notEqual(renderStressChart([A, S]), renderStressChart([S, A]));
});

Deno.test("renderStressChart() draws one dot per run and one panel per series", () => {
  const svg = renderStressChart([A, S]);
  assert.equal(svg.match(/<circle /g)?.length, 12);
  assert.equal(svg.match(/<g id="panel-/g)?.length, 2);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith("</svg>\n"));
  assertBalanced(svg);
});

Deno.test("renderStressChart() marks runs above the p95 limit in red and says so", () => {
  const svg = renderStressChart([A]);
  // p50 = 60.5, limit = 181.5: only the 400 ms run is above it.
  assert.equal(svg.match(/fill="#cb181d"\/>/g)?.length, 1);
  assert.ok(svg.includes("p95 limit 181.5 ms"));
  assert.ok(svg.includes("acceptance: 116.7 ± 138.8 ms (n=6), OUTSIDE the envelope"));
  assert.ok(renderStressChart([S]).includes("inside the envelope"));
});

Deno.test("renderStressChart() carries the figures in <title> and <desc>", () => {
  const svg = renderStressChart([S], { title: "G4 <stress>" });
  assert.ok(svg.includes('<title id="chart-title">G4 &#60;stress&#62;</title>'));
  assert.match(svg, /<desc id="chart-desc">selftest: n=6, mean 71\.2 ms, sd 2\.1 ms, p50 70\.5 ms/);
});

Deno.test("renderStressChart() draws the budget on the scale, or notes it above", () => {
  assert.ok(renderStressChart([series("x", [60, 61], 100)]).includes("budget 100 ms"));
  const far = renderStressChart([series("x", [60, 61], 2000)]);
  assert.ok(far.includes("budget 2000 ms (above the scale)"));
  assert.ok(!renderStressChart([series("x", [60, 61], null)]).includes("budget"));
});

Deno.test("renderStressChart() escapes names and rejects empty input", () => {
  const svg = renderStressChart([series('a&b"<', [1, 2])]);
  assert.ok(svg.includes("a&#38;b&#34;&#60;"));
  assertBalanced(svg);
  assert.throws(() => renderStressChart([]), RangeError);
  assert.throws(() => renderStressChart([{ ...S, values: [] }]), RangeError);
});

Deno.test("renderStressChart() draws a series shown, not judged, without an envelope", () => {
  const raw: ChartSeries = { ...S, name: "selftest (raw)", envelope: null };
  const norm: ChartSeries = {
    ...series("selftest (load-normalised)", [2.1, 2.3, 2]),
    unit: "x floor",
  };
  const svg = renderStressChart([raw, norm]);
  assert.ok(svg.includes("selftest (raw): 71.2 ± 2.1 ms (n=6), shown, not judged"));
  assert.ok(
    svg.includes("selftest (load-normalised): 2.13 ± 0.15 x floor (n=3), inside the envelope"),
  );
  assert.equal(svg.match(/p95 limit/g)?.length, 1);
  assert.match(svg, /selftest \(raw\): n=6, mean 71\.2 ms.*not judged/);
  assertBalanced(svg);
});

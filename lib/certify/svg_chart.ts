/**
 * The stress chart of the certification report, pure: each series' values (one dot per run, in run
 * order) drawn against the measured mean ± sd, p50, p95 and, for a judged series, the calibrated
 * variance envelope, as a self-contained SVG. G4 draws two panels per command: the raw timings in
 * ms (not judged: the host's load moves them) and the load-normalised timings (run time / floor
 * time), which the envelope judges. Same input, same bytes. No I/O.
 *
 * @module
 */

import type { Stats } from "./stats.ts";
import type { EnvelopeCheck } from "./variance_envelope.ts";

/** One series of the chart: a command's raw or load-normalised timings. */
export interface ChartSeries {
  /** The panel's name, e.g. `acceptance (raw)`. */
  readonly name: string;
  /** The values' unit, e.g. `ms` or `x floor`. Default `ms`. */
  readonly unit?: string;
  /** The values, in run order. */
  readonly values: readonly number[];
  /** Their statistics. */
  readonly stats: Stats;
  /** The envelope check of those statistics; `null` for a series shown, not judged. */
  readonly envelope: EnvelopeCheck | null;
  /** The command's budget, in the series' unit, drawn when it falls on the scale. */
  readonly budgetMs: number | null;
}

/** Options of {@linkcode renderStressChart}. */
export interface StressChartOptions {
  /** Chart title. Default `Stress timings against the variance envelope`. */
  readonly title?: string;
  /** Width in px. Default `760`. */
  readonly width?: number;
}

const PANEL_HEIGHT = 230;
const MARGIN = { left: 64, right: 176, top: 46, bottom: 34 };
const HEADER = 34;

const COLOURS = {
  allowed: "#d9f2d9",
  measured: "#9ecae1",
  mean: "#08519c",
  p50: "#6a51a3",
  p95: "#d94801",
  limit: "#cb181d",
  budget: "#636363",
  dotPass: "#08306b",
  dotOut: "#cb181d",
  grid: "#e0e0e0",
  text: "#222222",
};

/**
 * Renders the stress timings as an SVG document: one panel per series, runs on the x axis,
 * milliseconds on the y axis; the allowed band `mean ± max_cv·mean` in green, the measured band
 * `mean ± sd` in blue, the mean, p50 and p95 as lines, the largest allowed p95
 * (`max_p95_over_p50 · p50`) as a dashed red line, and the budget when it is on the scale. Dots
 * above the p95 limit are red. A `<title>` and `<desc>` carry the figures for screen readers.
 *
 * @param series One entry per command.
 * @param options Title and width.
 * @returns The SVG text (UTF-8, ends with a newline).
 * @throws {RangeError} When there is no series or a series has no values.
 * @example
 * ```ts
 * import { renderStressChart } from "./svg_chart.ts";
 * import { summarize } from "./stats.ts";
 * import { checkEnvelope } from "./variance_envelope.ts";
 * const values = [50, 55, 52, 61, 49];
 * const stats = summarize(values);
 * const svg = renderStressChart([{
 *   name: "acceptance", values, stats, budgetMs: 2000,
 *   envelope: checkEnvelope(stats, { max_cv: 0.5, max_p95_over_p50: 3 }),
 * }]);
 * if (!svg.startsWith("<svg") || !svg.includes("acceptance")) throw new Error();
 * ```
 */
export function renderStressChart(
  series: readonly ChartSeries[],
  options: StressChartOptions = {},
): string {
  if (series.length === 0) throw new RangeError('Cannot draw "[]": no series');
  const width = options.width ?? 760;
  const title = options.title ?? "Stress timings against the variance envelope";
  const height = HEADER + series.length * PANEL_HEIGHT;
  const desc = series.map((s) => {
    const u = s.unit ?? "ms";
    const d = u === "ms" ? 1 : 2;
    const e = s.envelope;
    return `${s.name}: n=${s.stats.n}, mean ${f(s.stats.mean, d)} ${u}, sd ${
      f(s.stats.sd, d)
    } ${u}, p50 ${f(s.stats.p50, d)} ${u}, p95 ${f(s.stats.p95, d)} ${u}, ${
      e === null
        ? "not judged"
        : `cv ${f(e.cv, 3)}, p95/p50 ${f(e.p95OverP50, 2)}, envelope ${e.pass ? "PASS" : "FAIL"}`
    }`;
  }).join("; ");
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="chart-title chart-desc">`,
    `<title id="chart-title">${xml(title)}</title>`,
    `<desc id="chart-desc">${xml(desc)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold" fill="${COLOURS.text}">${
      xml(title)
    }</text>`,
  ];
  series.forEach((s, i) => parts.push(panel(s, HEADER + i * PANEL_HEIGHT, width)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

interface Frame {
  readonly s: ChartSeries;
  readonly unit: string;
  readonly top: number;
  readonly x0: number;
  readonly y0: number;
  readonly plotW: number;
  readonly plotH: number;
  readonly yMax: number;
  readonly step: number;
  readonly budgetOnScale: boolean;
  readonly y: (v: number) => number;
  readonly x: (i: number) => number;
}

function frameOf(s: ChartSeries, top: number, width: number): Frame {
  const { stats, envelope } = s;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const highest = Math.max(
    stats.max,
    envelope?.band.high ?? 0,
    envelope?.p95Limit ?? 0,
    stats.mean + stats.sd,
  );
  const budgetOnScale = s.budgetMs !== null && s.budgetMs <= highest * 1.5;
  const top08 = Math.max(highest, budgetOnScale ? s.budgetMs! : 0) * 1.08;
  const step = niceStep(top08 / 5);
  const yMax = step * Math.ceil(top08 / step);
  const n = s.values.length;
  return {
    s,
    unit: s.unit ?? "ms",
    top,
    x0,
    y0,
    plotW,
    plotH,
    yMax,
    step,
    budgetOnScale,
    y: (v) => y0 + plotH - (Math.min(v, yMax) / yMax) * plotH,
    x: (i) => x0 + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW),
  };
}

function panel(s: ChartSeries, top: number, width: number): string {
  if (s.values.length === 0) throw new RangeError(`Cannot draw "${s.name}": no values`);
  const fr = frameOf(s, top, width);
  return [
    `<g id="panel-${xml(s.name.replace(/[^\w-]+/g, "-"))}">`,
    ...heading(fr),
    ...axes(fr),
    ...marks(fr),
    ...legend(fr),
    "</g>",
  ].join("\n");
}

function heading({ s, unit, top, x0, budgetOnScale }: Frame): string[] {
  const { stats, envelope } = s;
  const d = unit === "ms" ? 1 : 2;
  const verdict = envelope === null
    ? "shown, not judged"
    : envelope.pass
    ? "inside the envelope"
    : "OUTSIDE the envelope";
  const judged = envelope === null
    ? ""
    : `, cv ${f(envelope.cv, 3)} (max ${f(envelope.criteria[0]?.limit ?? 0, 3)}), p95/p50 ${
      f(envelope.p95OverP50, 2)
    } (max ${f(envelope.criteria[1]?.limit ?? 0, 2)})`;
  return [
    `<text x="${x0}" y="${top + 18}" font-size="13" font-weight="bold" fill="${COLOURS.text}">${
      xml(s.name)
    }: ${f(stats.mean, d)} ± ${f(stats.sd, d)} ${xml(unit)} (n=${stats.n}), ${verdict}</text>`,
    `<text x="${x0}" y="${top + 33}" fill="${COLOURS.text}">p50 ${f(stats.p50, d)} ${
      xml(unit)
    }, p95 ${f(stats.p95, d)} ${xml(unit)}${judged}${
      s.budgetMs !== null && !budgetOnScale ? `, budget ${s.budgetMs} ms (above the scale)` : ""
    }</text>`,
  ];
}

function axes({ unit, x0, y0, plotW, plotH, yMax, step, y, s }: Frame): string[] {
  const out: string[] = [];
  for (let v = 0; v <= yMax + step / 2; v += step) {
    out.push(
      `<line x1="${x0}" y1="${f(y(v))}" x2="${x0 + plotW}" y2="${
        f(y(v))
      }" stroke="${COLOURS.grid}"/>`,
      `<text x="${x0 - 6}" y="${f(y(v) + 4)}" text-anchor="end" fill="${COLOURS.text}">${
        f(v, step < 1 ? 1 : 0)
      }</text>`,
    );
  }
  out.push(
    `<text x="${x0 - 48}" y="${f(y0 + plotH / 2)}" transform="rotate(-90 ${x0 - 48} ${
      f(y0 + plotH / 2)
    })" text-anchor="middle" fill="${COLOURS.text}">${xml(unit)}</text>`,
    `<text x="${f(x0 + plotW / 2)}" y="${
      y0 + plotH + 26
    }" text-anchor="middle" fill="${COLOURS.text}">run 1 to ${s.values.length}</text>`,
  );
  return out;
}

function marks({ s, x0, y0, plotW, plotH, y, x, budgetOnScale }: Frame): string[] {
  const { stats, envelope } = s;
  const band = (low: number, high: number, fill: string, opacity: string): string =>
    `<rect x="${x0}" y="${f(y(high))}" width="${plotW}" height="${
      f(Math.max(0, y(low) - y(high)))
    }" fill="${fill}" fill-opacity="${opacity}"/>`;
  const hline = (v: number, colour: string, dash: string): string =>
    `<line x1="${x0}" y1="${f(y(v))}" x2="${x0 + plotW}" y2="${
      f(y(v))
    }" stroke="${colour}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
  const out: string[] = [];
  if (envelope !== null) {
    out.push(band(envelope.band.low, envelope.band.high, COLOURS.allowed, "1"));
  }
  out.push(
    band(Math.max(0, stats.mean - stats.sd), stats.mean + stats.sd, COLOURS.measured, "0.6"),
    hline(stats.mean, COLOURS.mean, ""),
    hline(stats.p50, COLOURS.p50, "2 3"),
    hline(stats.p95, COLOURS.p95, "2 3"),
  );
  if (envelope !== null) out.push(hline(envelope.p95Limit, COLOURS.limit, "7 4"));
  if (budgetOnScale) out.push(hline(s.budgetMs!, COLOURS.budget, "10 3 2 3"));
  s.values.forEach((v, i) => {
    const out_ = envelope !== null && v > envelope.p95Limit;
    out.push(
      `<circle cx="${f(x(i))}" cy="${f(y(v))}" r="2.2" fill="${
        out_ ? COLOURS.dotOut : COLOURS.dotPass
      }"/>`,
    );
  });
  out.push(
    `<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`,
  );
  return out;
}

function legend({ s, unit, x0, y0, plotW, budgetOnScale }: Frame): string[] {
  const { stats, envelope } = s;
  const d = unit === "ms" ? 1 : 2;
  const lx = x0 + plotW + 14;
  const items: [string, string, string][] = [];
  if (envelope !== null) {
    items.push([
      "band",
      COLOURS.allowed,
      `envelope ±${f(envelope.criteria[0]?.limit ?? 0, 2)}·mean`,
    ]);
  }
  items.push(
    ["band", COLOURS.measured, "measured mean ± sd"],
    ["line", COLOURS.mean, `mean ${f(stats.mean, d)} ${unit}`],
    ["dots", COLOURS.p50, `p50 ${f(stats.p50, d)} ${unit}`],
    ["dots", COLOURS.p95, `p95 ${f(stats.p95, d)} ${unit}`],
  );
  if (envelope !== null) {
    items.push(["dash", COLOURS.limit, `p95 limit ${f(envelope.p95Limit, d)} ${unit}`]);
  }
  if (budgetOnScale) items.push(["dash", COLOURS.budget, `budget ${s.budgetMs} ms`]);
  const dash = (kind: string): string =>
    kind === "dots" ? ' stroke-dasharray="2 3"' : kind === "dash" ? ' stroke-dasharray="7 4"' : "";
  return items.flatMap(([kind, colour, label], i) => {
    const ly = y0 + 8 + i * 18;
    return [
      kind === "band"
        ? `<rect x="${lx}" y="${ly - 6}" width="18" height="10" fill="${colour}"/>`
        : `<line x1="${lx}" y1="${ly}" x2="${
          lx + 18
        }" y2="${ly}" stroke="${colour}" stroke-width="2"${dash(kind)}/>`,
      `<text x="${lx + 24}" y="${ly + 4}" fill="${COLOURS.text}">${xml(label)}</text>`,
    ];
  });
}

/** A round step (1, 2 or 5 times a power of ten) at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Fixed-point text, never `-0`: the SVG's bytes depend on the input only. */
function f(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "nan";
  const s = n.toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

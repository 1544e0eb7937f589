/**
 * A small, deterministic SVG line chart for benchmark curves (cost against size, log-log), so
 * that docs/benchmarks.md shows at a glance whether cost grows linearly.
 *
 * @module
 */

/** One curve. */
export interface Series {
  /** Legend text. */
  readonly name: string;
  /** Points, x ascending. */
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** Options of {@linkcode lineChartSvg}. */
export interface ChartOptions {
  /** Title above the plot. */
  readonly title: string;
  /** Label of the x axis. */
  readonly xLabel: string;
  /** Label of the y axis. */
  readonly yLabel: string;
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/**
 * Draws series on log-log axes with decade grid lines and a dashed "linear" reference line
 * (slope 1) through the first point of the first series.
 *
 * @param series The curves.
 * @param options Title and labels.
 * @returns SVG text.
 */
export function lineChartSvg(series: readonly Series[], options: ChartOptions): string {
  const W = 640, H = 400, L = 70, R = 170, T = 40, B = 50;
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const lx = (v: number): number => Math.log10(v);
  const x0 = Math.floor(lx(Math.min(...all.map((p) => p.x))));
  const x1 = Math.ceil(lx(Math.max(...all.map((p) => p.x))));
  const y0 = Math.floor(lx(Math.min(...all.map((p) => p.y))));
  const y1 = Math.ceil(lx(Math.max(...all.map((p) => p.y))));
  const sx = (v: number): number => L + ((lx(v) - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const sy = (v: number): number => H - B - ((lx(v) - y0) / Math.max(1, y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`,
  ];
  for (let d = x0; d <= x1; d++) {
    const x = sx(10 ** d).toFixed(1);
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - B + 16}" text-anchor="middle">${num(10 ** d)}</text>`);
  }
  for (let d = y0; d <= y1; d++) {
    const y = sy(10 ** d).toFixed(1);
    out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#ddd"/>`);
    out.push(
      `<text x="${L - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        num(10 ** d)
      }</text>`,
    );
  }
  out.push(
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`,
  );
  out.push(
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${
      (T + H - B) / 2
    })">${esc(options.yLabel)}</text>`,
  );
  const first = series[0]?.points[0];
  if (first) {
    // Slope 1 through the first point, stopped at the plot's top or right edge.
    let xEnd = 10 ** x1;
    let yEnd = first.y * (xEnd / first.x);
    if (yEnd > 10 ** y1) {
      yEnd = 10 ** y1;
      xEnd = first.x * (yEnd / first.y);
    }
    out.push(
      `<line x1="${sx(first.x).toFixed(1)}" y1="${sy(first.y).toFixed(1)}" x2="${
        sx(xEnd).toFixed(1)
      }" y2="${sy(yEnd).toFixed(1)}" stroke="#999" stroke-dasharray="4 4"/>`,
    );
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of s.points) {
      out.push(
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    }
    const ly = T + 14 + i * 18;
    out.push(
      `<line x1="${W - R + 12}" y1="${ly}" x2="${
        W - R + 32
      }" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
    );
    out.push(`<text x="${W - R + 38}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  const ly = T + 14 + series.length * 18;
  out.push(
    `<line x1="${W - R + 12}" y1="${ly}" x2="${
      W - R + 32
    }" y2="${ly}" stroke="#999" stroke-dasharray="4 4"/>`,
  );
  out.push(`<text x="${W - R + 38}" y="${ly}" dominant-baseline="middle">linear (slope 1)</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/**
 * The benchmark's chart as a standalone SVG (no dependencies, no scripts, no external fonts):
 * stacked panels of horizontal bars, one row per server, the median run as the bar, the spread
 * over the repeated runs (min–max) as a whisker, the reference server's median as a dashed line
 * and the issue's goals, where there are any, as dotted lines. Light background, so it reads on
 * GitHub in both themes.
 */

/** A median and its spread over the repeated runs; null when no run of that target succeeded. */
export type Stat = { median: number; min: number; max: number } | null;

export interface ChartRow {
  name: string;
  isReference: boolean;
  value: Stat;
  /** Why there is no value (shown instead of a bar). */
  note?: string;
  /** Bar colour; by default grey for the reference, a palette colour for the others. */
  color?: string;
  /** The issue's goal for this row, marked across the row. */
  goal?: number;
}

export interface ChartPanel {
  title: string;
  /** e.g. "lower is better". */
  hint?: string;
  unit: string;
  rows: ChartRow[];
  /** Draw the reference row's median as a dashed line across the panel (default true). */
  referenceLine?: boolean;
  /** The axis ends here at most; longer bars are cut and marked (their figures stay exact). */
  axisCap?: number;
}

export interface ChartInput {
  title: string;
  subtitle?: string;
  panels: ChartPanel[];
}

const WIDTH = 760;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 130;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_WIDTH = WIDTH - PLOT_LEFT - VALUE_WIDTH;
const ROW_HEIGHT = 26;
const BAR_HEIGHT = 16;
const PANEL_GAP = 18;
const FONT =
  'font-family="-apple-system, BlinkMacSystemFont, Segoe UI, Helvetica, Arial, sans-serif"';

export const PALETTE = ['#2f6db5', '#3b9a57', '#c4582a', '#7b52ab', '#b8860b'];
const REFERENCE_COLOR = '#8a8a8a';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) =>
      ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[
        c
      ] as string,
  );
}

/** 75300 → "75.3k", 12.34 → "12.3", 0.5 → "0.50". */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 10_000)
    return `${(value / 1000).toFixed(abs >= 100_000 ? 0 : 1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(1);
  return value.toFixed(2);
}

/** Axis labels: 20, 2.5, 15k. */
function formatTick(value: number): string {
  if (Math.abs(value) >= 10_000)
    return `${Number((value / 1000).toPrecision(6))}k`;
  return String(Number(value.toPrecision(6)));
}

/** Round axis steps (1, 2, 5 × 10^k) giving at most about `count` intervals up to `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ??
    10 * power;
  const ticks: number[] = [];
  for (let i = 0; i <= count + 1 && (i === 0 || ticks[i - 1] < max); i++)
    ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

const round = (n: number) => Number(n.toFixed(1));

function panelSvg(
  panel: ChartPanel,
  top: number,
): { svg: string; height: number } {
  const parts: string[] = [];
  const rowsTop = top + 40;
  const plotHeight = panel.rows.length * ROW_HEIGHT;
  const values = panel.rows.flatMap((row) =>
    row.value ? [row.value.median, row.value.max, row.value.min] : [],
  );
  const goals = panel.rows.flatMap((row) =>
    row.goal !== undefined && Number.isFinite(row.goal) ? [row.goal] : [],
  );
  const axisMax = Math.max(...values.filter(Number.isFinite), ...goals, 0);
  const capped = panel.axisCap !== undefined && axisMax * 1.05 > panel.axisCap;
  const ticks = niceTicks(capped ? (panel.axisCap as number) : axisMax * 1.05);
  const scaleMax = ticks[ticks.length - 1] || 1;
  const x = (value: number) =>
    round(
      PLOT_LEFT +
        (Math.min(Math.max(0, value), scaleMax) / scaleMax) * PLOT_WIDTH,
    );

  parts.push(
    `<text x="12" y="${top + 16}" font-size="14" font-weight="600" fill="#1f2328">${escapeXml(panel.title)}` +
      (panel.hint
        ? ` <tspan font-weight="400" fill="#57606a">(${escapeXml(panel.hint)})</tspan>`
        : '') +
      `</text>`,
  );
  for (const tick of ticks) {
    parts.push(
      `<line x1="${x(tick)}" y1="${rowsTop - 4}" x2="${x(tick)}" y2="${rowsTop + plotHeight}" stroke="#e5e7eb" stroke-width="1"/>`,
      `<text x="${x(tick)}" y="${rowsTop + plotHeight + 14}" font-size="10" fill="#57606a" text-anchor="middle">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="${PLOT_LEFT + PLOT_WIDTH}" y="${rowsTop + plotHeight + 28}" font-size="10" fill="#57606a" text-anchor="end">${escapeXml(panel.unit)}</text>`,
  );

  let paletteIndex = 0;
  panel.rows.forEach((row, i) => {
    const y = rowsTop + i * ROW_HEIGHT;
    const middle = y + ROW_HEIGHT / 2;
    const color =
      row.color ??
      (row.isReference
        ? REFERENCE_COLOR
        : PALETTE[paletteIndex++ % PALETTE.length]);
    parts.push(
      `<text x="${LABEL_WIDTH}" y="${middle + 4}" font-size="12" fill="#1f2328" text-anchor="end">${escapeXml(row.name)}</text>`,
    );
    if (row.goal !== undefined && Number.isFinite(row.goal)) {
      parts.push(
        `<line x1="${x(row.goal)}" y1="${y + 2}" x2="${x(row.goal)}" y2="${y + ROW_HEIGHT - 2}" stroke="#cf222e" stroke-width="2" stroke-dasharray="2 2"/>`,
      );
    }
    const stat = row.value;
    if (!stat || !Number.isFinite(stat.median)) {
      parts.push(
        `<text x="${PLOT_LEFT + 4}" y="${middle + 4}" font-size="12" fill="#cf222e">${escapeXml(row.note ?? 'failed')}</text>`,
      );
      return;
    }
    const barTop = round(middle - BAR_HEIGHT / 2);
    parts.push(
      `<rect x="${PLOT_LEFT}" y="${barTop}" width="${round(Math.max(1, x(stat.median) - PLOT_LEFT))}" height="${BAR_HEIGHT}" fill="${color}" rx="2"/>`,
    );
    if (stat.median > scaleMax) {
      // Cut: two white slashes near the end of the bar.
      const end = PLOT_LEFT + PLOT_WIDTH;
      for (const dx of [-14, -9])
        parts.push(
          `<line x1="${end + dx}" y1="${barTop + BAR_HEIGHT + 2}" x2="${end + dx + 4}" y2="${barTop - 2}" stroke="#ffffff" stroke-width="2"/>`,
        );
    }
    if (
      Number.isFinite(stat.min) &&
      Number.isFinite(stat.max) &&
      stat.max > stat.min
    ) {
      parts.push(
        `<line x1="${x(stat.min)}" y1="${middle}" x2="${x(stat.max)}" y2="${middle}" stroke="#1f2328" stroke-width="1.2"/>`,
        `<line x1="${x(stat.min)}" y1="${middle - 4}" x2="${x(stat.min)}" y2="${middle + 4}" stroke="#1f2328" stroke-width="1.2"/>`,
        `<line x1="${x(stat.max)}" y1="${middle - 4}" x2="${x(stat.max)}" y2="${middle + 4}" stroke="#1f2328" stroke-width="1.2"/>`,
      );
    }
    const spread =
      Number.isFinite(stat.min) &&
      Number.isFinite(stat.max) &&
      stat.max > stat.min
        ? `  (${formatValue(stat.min)}–${formatValue(stat.max)})`
        : '';
    parts.push(
      `<text x="${PLOT_LEFT + PLOT_WIDTH + 8}" y="${middle + 4}" font-size="12" fill="#1f2328"><tspan font-weight="600">${formatValue(stat.median)}</tspan><tspan fill="#57606a" font-size="10" xml:space="preserve">${escapeXml(spread)}</tspan></text>`,
    );
  });

  const reference = panel.rows.find((row) => row.isReference)?.value;
  if (
    panel.referenceLine !== false &&
    reference &&
    Number.isFinite(reference.median)
  ) {
    parts.push(
      `<line x1="${x(reference.median)}" y1="${rowsTop - 6}" x2="${x(reference.median)}" y2="${rowsTop + plotHeight}" stroke="${REFERENCE_COLOR}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<text x="${x(reference.median)}" y="${rowsTop - 8}" font-size="10" fill="#57606a" text-anchor="middle">reference</text>`,
    );
  }
  return { svg: parts.join('\n'), height: 40 + plotHeight + 34 };
}

/** The whole chart: a title, then the panels one under the other. */
export function renderChart(input: ChartInput): string {
  const parts: string[] = [];
  let top = 0;
  parts.push(
    `<text x="12" y="22" font-size="16" font-weight="700" fill="#1f2328">${escapeXml(input.title)}</text>`,
  );
  top = 30;
  if (input.subtitle) {
    parts.push(
      `<text x="12" y="42" font-size="11" fill="#57606a">${escapeXml(input.subtitle)}</text>`,
    );
    top = 52;
  }
  for (const panel of input.panels) {
    top += PANEL_GAP / 2;
    const { svg, height } = panelSvg(panel, top);
    parts.push(svg);
    top += height + PANEL_GAP / 2;
  }
  const legendY = top + 4;
  parts.push(
    `<text x="12" y="${legendY + 10}" font-size="10" fill="#57606a">Bar: median run; whisker: min–max over the repeated runs; dashed grey: the reference's median; dotted red: the issue's goal for that row; // : cut.</text>`,
  );
  const height = legendY + 22;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    parts.join('\n') +
    `\n</svg>\n`
  );
}

/** Grouped horizontal bar charts as plain SVG text, for docs/benchmarks.md. */

export interface Bar {
  label: string;
  value: number;
  color: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface BarChart {
  title: string;
  /** Unit after each value, such as `req/s`. */
  unit: string;
  groups: BarGroup[];
  /** Decimals of the printed values. */
  decimals?: number;
}

const WIDTH = 760;
const LABEL_WIDTH = 200;
const BAR_HEIGHT = 18;
const BAR_GAP = 4;
const GROUP_GAP = 16;
const TOP = 40;

export function renderBarChart(chart: BarChart): string {
  const values = chart.groups.flatMap((group) => group.bars.map((bar) => bar.value));
  const maximum = Math.max(...values.filter(Number.isFinite), 1);
  const plotWidth = WIDTH - LABEL_WIDTH - 120;
  const decimals = chart.decimals ?? 0;

  const parts: string[] = [];
  let y = TOP;
  for (const group of chart.groups) {
    parts.push(text(8, y + 13, group.label, 'bold'));
    y += BAR_HEIGHT + BAR_GAP;
    for (const bar of group.bars) {
      const width = Number.isFinite(bar.value) ? (bar.value / maximum) * plotWidth : 0;
      parts.push(
        text(20, y + 13, bar.label),
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.color}"/>`,
        text(LABEL_WIDTH + width + 6, y + 13, `${formatValue(bar.value, decimals)} ${chart.unit}`),
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }

  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    text(8, 22, chart.title, 'bold', 14),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function formatValue(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

function text(x: number, y: number, content: string, weight = 'normal', size = 12): string {
  return `<text x="${x.toFixed(1)}" y="${y}" font-weight="${weight}" font-size="${size}">${escapeXml(content)}</text>`;
}

function escapeXml(content: string): string {
  return content
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

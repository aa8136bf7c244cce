/**
 * Charts as SVG text, written by hand (no browser, no dependency): grouped
 * bars (throughput ratios per workload and mode) and log-log lines (cost
 * against the size of a nested list).
 */

export interface Series {
  name: string;
  color: string;
}

export interface BarGroup {
  label: string;
  /** One value per series; null is drawn as "n/a". */
  values: (number | null)[];
}

/** Colours per mode, readable on white and distinct for common colour blindness (Okabe-Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#CC79A7', '#009E73', '#555555', '#D55E00', '#56B4E9'];

const FONT = 'font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** A round tick step at or above `value`: 1, 2, 2.5 or 5 x 10^n. */
export function niceStep(value: number): number {
  if (!(value > 0)) return 1;
  const base = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= value) return m * base;
  return 10 * base;
}

function legend(series: readonly Series[], x: number, y: number, width: number, dashed?: string): string {
  const items: string[] = [];
  let cx = x;
  let cy = y;
  const entries: (Series & { dashed?: boolean })[] = [...series, ...(dashed ? [{ name: dashed, color: '#111', dashed: true }] : [])];
  for (const s of entries) {
    const w = 22 + s.name.length * 6.4;
    if (cx + w > x + width) {
      cx = x;
      cy += 18;
    }
    if (s.dashed)
      items.push(
        `<line x1="${r1(cx)}" y1="${r1(cy - 3)}" x2="${r1(cx + 14)}" y2="${r1(cy - 3)}" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      );
    else items.push(`<rect x="${r1(cx)}" y="${r1(cy - 9)}" width="12" height="12" rx="2" fill="${s.color}"/>`);
    items.push(`<text x="${r1(cx + 19)}" y="${r1(cy + 1)}" font-size="12" ${FONT} fill="#222">${escapeXml(s.name)}</text>`);
    cx += w + 14;
  }
  return items.join('\n');
}

export function groupedBarChart(options: {
  title: string;
  subtitle?: string;
  series: readonly Series[];
  groups: readonly BarGroup[];
  yLabel: string;
  /** A dashed reference line (e.g. 1 for the baseline's ratio). */
  reference?: { value: number; label: string };
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 1000;
  const height = options.height ?? 480;
  const margin = { top: options.subtitle ? 64 : 48, right: 20, bottom: 96, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const values = options.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const step = niceStep((Math.max(options.reference?.value ?? 0, ...values, 0.0001) * 1.1) / 5);
  const ticks = Math.max(1, Math.ceil((Math.max(options.reference?.value ?? 0, ...values, 0.0001) * 1.1) / step));
  const yMax = ticks * step;
  const y = (v: number) => margin.top + plotH - (Math.max(0, v) / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${margin.left}" y="26" font-size="17" font-weight="600" ${FONT} fill="#111">${escapeXml(options.title)}</text>`);
  if (options.subtitle) out.push(`<text x="${margin.left}" y="46" font-size="12" ${FONT} fill="#555">${escapeXml(options.subtitle)}</text>`);

  // Grid and y axis.
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    const yy = r1(y(v));
    out.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="${i === 0 ? '#333' : '#e3e3e3'}" stroke-width="1"/>`);
    out.push(`<text x="${margin.left - 8}" y="${yy + 4}" font-size="11" text-anchor="end" ${FONT} fill="#444">${Number(v.toFixed(2))}</text>`);
  }
  const midY = margin.top + plotH / 2;
  out.push(
    `<text x="16" y="${r1(midY)}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${r1(midY)})" ${FONT} fill="#333">${escapeXml(options.yLabel)}</text>`,
  );

  // Bars.
  const groupW = plotW / Math.max(1, options.groups.length);
  const inner = groupW * 0.8;
  const barW = inner / Math.max(1, options.series.length);
  options.groups.forEach((group, g) => {
    const gx = margin.left + g * groupW + (groupW - inner) / 2;
    group.values.forEach((value, s) => {
      const x = gx + s * barW;
      const color = options.series[s]?.color ?? '#888';
      if (value === null || !Number.isFinite(value)) {
        out.push(
          `<text x="${r1(x + barW / 2 + 3)}" y="${r1(y(0) - 4)}" font-size="10" text-anchor="start" transform="rotate(-90 ${r1(x + barW / 2 + 3)} ${r1(y(0) - 4)})" ${FONT} fill="#888">n/a</text>`,
        );
        return;
      }
      const top = y(value);
      out.push(
        `<rect x="${r1(x + 1)}" y="${r1(top)}" width="${r1(Math.max(1, barW - 2))}" height="${r1(y(0) - top)}" fill="${color}"><title>${escapeXml(`${group.label}, ${options.series[s]?.name}: ${value.toFixed(2)}`)}</title></rect>`,
      );
      const label = value >= 10 ? value.toFixed(0) : value.toFixed(2);
      out.push(`<text x="${r1(x + barW / 2)}" y="${r1(top - 4)}" font-size="${barW < 22 ? 8 : 10}" text-anchor="middle" ${FONT} fill="#222">${label}</text>`);
    });
    const lx = margin.left + g * groupW + groupW / 2;
    const lines = group.label.split('\n');
    lines.forEach((line, i) => {
      out.push(
        `<text x="${r1(lx)}" y="${r1(margin.top + plotH + 16 + i * 13)}" font-size="11" text-anchor="middle" ${FONT} fill="#222">${escapeXml(line)}</text>`,
      );
    });
  });

  if (options.reference) {
    const yy = r1(y(options.reference.value));
    out.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="#111" stroke-width="1" stroke-dasharray="5 4"/>`);
  }
  out.push(legend(options.series, margin.left, height - 24, plotW, options.reference?.label));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface LinePanel {
  title: string;
  yLabel: string;
  /** Points per series (one series per entry of `series`); y <= 0 is drawn on the bottom axis and labelled 0. */
  points: ([number, number][] | null)[];
  /** A dashed line of slope 1 (linear growth) through this point. */
  linearFrom?: [number, number];
}

/** Side-by-side panels sharing a log x axis, each with a log y axis. */
export function logLogPanels(options: {
  title: string;
  subtitle?: string;
  series: readonly Series[];
  xLabel: string;
  panels: readonly LinePanel[];
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 1000;
  const height = options.height ?? 440;
  const top = options.subtitle ? 84 : 64;
  const bottom = 84;
  const gap = 70;
  const left = 64;
  const panelW = (width - left - 20 - gap * (options.panels.length - 1)) / options.panels.length;
  const plotH = height - top - bottom;
  const allX = options.panels.flatMap((p) => p.points.flatMap((pts) => (pts ?? []).map(([x]) => x))).filter((x) => x > 0);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...allX, 1)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...allX, 10)));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="26" font-size="17" font-weight="600" ${FONT} fill="#111">${escapeXml(options.title)}</text>`);
  if (options.subtitle) out.push(`<text x="${left}" y="46" font-size="12" ${FONT} fill="#555">${escapeXml(options.subtitle)}</text>`);

  options.panels.forEach((panel, p) => {
    const px = left + p * (panelW + gap);
    const ys = panel.points.flatMap((pts) => (pts ?? []).map(([, yv]) => yv)).filter((v) => v > 0);
    const yMinExp = Math.floor(Math.log10(Math.min(...ys, 1)));
    const yMaxExp = Math.max(yMinExp + 1, Math.ceil(Math.log10(Math.max(...ys, 1))));
    const hasZero = panel.points.some((pts) => (pts ?? []).some(([, yv]) => yv <= 0));
    const floorExp = hasZero ? yMinExp - 1 : yMinExp;
    const xs = (x: number) => px + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * panelW;
    const yv = (v: number) => top + plotH - ((Math.log10(v <= 0 ? 10 ** floorExp : v) - floorExp) / (yMaxExp - floorExp)) * plotH;
    out.push(`<text x="${r1(px)}" y="${top - 10}" font-size="13" font-weight="600" ${FONT} fill="#222">${escapeXml(panel.title)}</text>`);
    const tickLabel = (v: number) => (v >= 1 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(1))));
    for (let e = floorExp; e <= yMaxExp; e++) {
      const yy = r1(yv(10 ** e));
      const label = hasZero && e === floorExp ? '0' : tickLabel(10 ** e);
      out.push(`<line x1="${r1(px)}" y1="${yy}" x2="${r1(px + panelW)}" y2="${yy}" stroke="${e === floorExp ? '#333' : '#e3e3e3'}"/>`);
      out.push(`<text x="${r1(px - 6)}" y="${yy + 4}" font-size="11" text-anchor="end" ${FONT} fill="#444">${label}</text>`);
      // Few decades: label 2 and 5 too.
      if (yMaxExp - floorExp <= 2 && e < yMaxExp && !(hasZero && e === floorExp)) {
        for (const m of [2, 5]) {
          const ym = r1(yv(m * 10 ** e));
          out.push(`<line x1="${r1(px)}" y1="${ym}" x2="${r1(px + panelW)}" y2="${ym}" stroke="#f0f0f0"/>`);
          out.push(`<text x="${r1(px - 6)}" y="${ym + 4}" font-size="10" text-anchor="end" ${FONT} fill="#777">${tickLabel(m * 10 ** e)}</text>`);
        }
      }
    }
    for (let e = Math.log10(xMin); e <= Math.log10(xMax); e++) {
      const xx = r1(xs(10 ** e));
      out.push(`<line x1="${xx}" y1="${top}" x2="${xx}" y2="${top + plotH}" stroke="#eee"/>`);
      out.push(`<text x="${xx}" y="${top + plotH + 16}" font-size="11" text-anchor="middle" ${FONT} fill="#444">${(10 ** e).toLocaleString('en-US')}</text>`);
    }
    out.push(
      `<text x="${r1(px + panelW / 2)}" y="${top + plotH + 34}" font-size="12" text-anchor="middle" ${FONT} fill="#333">${escapeXml(options.xLabel)}</text>`,
    );
    const midY = top + plotH / 2;
    out.push(
      `<text x="${r1(px - 44)}" y="${r1(midY)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${r1(px - 44)} ${r1(midY)})" ${FONT} fill="#333">${escapeXml(panel.yLabel)}</text>`,
    );
    if (panel.linearFrom) {
      const [x0, y0] = panel.linearFrom;
      // Clipped to the panel: from x0 until the line leaves the top.
      const x1 = Math.min(xMax, x0 * (10 ** yMaxExp / y0));
      out.push(
        `<line x1="${r1(xs(x0))}" y1="${r1(yv(y0))}" x2="${r1(xs(x1))}" y2="${r1(yv((y0 * x1) / x0))}" stroke="#999" stroke-width="1.5" stroke-dasharray="5 4"><title>linear growth</title></line>`,
      );
    }
    panel.points.forEach((pts, s) => {
      if (!pts || pts.length === 0) return;
      const color = options.series[s]?.color ?? '#888';
      const path = pts.map(([x, v], i) => `${i ? 'L' : 'M'}${r1(xs(x))},${r1(yv(v))}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const [x, v] of pts) {
        out.push(
          `<circle cx="${r1(xs(x))}" cy="${r1(yv(v))}" r="3.5" fill="${color}"><title>${escapeXml(`${options.series[s]?.name}: ${x} → ${Number(v.toPrecision(3))}`)}</title></circle>`,
        );
      }
    });
  });
  out.push(legend(options.series, left, height - 20, width - left - 20, options.panels.some((p) => p.linearFrom) ? 'linear growth' : undefined));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * A flame graph as SVG text, from folded stacks (`a;b;c` -> ms): each frame a
 * box as wide as the time spent in it and below it, callers under callees,
 * coloured by category, with the frame, its time and share as a tooltip.
 * Static (no script), so it renders anywhere an image does, GitHub included.
 */
import { escapeXml } from './chart.js';
import { CATEGORIES, type Category } from './profile.js';

interface Frame {
  label: string;
  ms: number;
  children: Map<string, Frame>;
}

const COLORS: Record<Category, string> = {
  'cache core (prisma-write-through)': '#D55E00',
  'app (src)': '#E69F00',
  'Prisma Client': '#0072B2',
  'Prisma query compiler (wasm)': '#56B4E9',
  'pg driver': '#009E73',
  ioredis: '#CC79A7',
  'GraphQL execution (graphql-js)': '#F0E442',
  'Apollo Server': '#c9b458',
  'HTTP framework & parsing': '#b3b3b3',
  'Node core (net, streams, timers)': '#8c8c8c',
  'other dependencies': '#d9d9d9',
  'garbage collector': '#6b3e26',
  'V8 & native': '#444444',
};

const FONT = 'font-family="ui-monospace, Menlo, Consolas, monospace"';
const ROW = 17;
const r1 = (v: number) => Math.round(v * 10) / 10;

export function flameGraph(options: {
  title: string;
  subtitle: string;
  folded: ReadonlyMap<string, number>;
  categories: ReadonlyMap<string, Category>;
  width?: number;
}): string {
  const width = options.width ?? 1200;
  const root: Frame = { label: 'all', ms: 0, children: new Map() };
  for (const [stack, ms] of options.folded) {
    root.ms += ms;
    let at = root;
    for (const label of stack.split(';')) {
      let child = at.children.get(label);
      if (!child) at.children.set(label, (child = { label, ms: 0, children: new Map() }));
      child.ms += ms;
      at = child;
    }
  }
  const scale = root.ms > 0 ? (width - 20) / root.ms : 0;
  const minWidth = 0.5;
  const boxes: { x: number; depth: number; frame: Frame }[] = [];
  let depthMax = 0;
  const place = (frame: Frame, x: number, depth: number) => {
    boxes.push({ x, depth, frame });
    depthMax = Math.max(depthMax, depth);
    let cx = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.label.localeCompare(b.label))) {
      if (child.ms * scale >= minWidth) place(child, cx, depth + 1);
      cx += child.ms * scale;
    }
  };
  place(root, 10, 0);

  const legendRows = Math.ceil(CATEGORIES.length / 4);
  const top = 52;
  const graphHeight = (depthMax + 1) * ROW;
  const height = top + graphHeight + 16 + legendRows * 18 + 10;
  const bottom = top + graphHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold" ${FONT}>${escapeXml(options.title)}</text>`,
    `<text x="10" y="38" font-size="11" ${FONT} fill="#444">${escapeXml(options.subtitle)}</text>`,
  ];
  for (const { x, depth, frame } of boxes) {
    const w = frame.ms * scale;
    const y = bottom - (depth + 1) * ROW;
    const category = depth === 0 ? undefined : options.categories.get(frame.label);
    const color = category ? COLORS[category] : '#eeeeee';
    const share = root.ms > 0 ? (100 * frame.ms) / root.ms : 0;
    const tip = `${frame.label}: ${frame.ms.toFixed(1)} ms, ${share.toFixed(1)}%${category ? ` (${category})` : ''}`;
    out.push(`<g><title>${escapeXml(tip)}</title><rect x="${r1(x)}" y="${y}" width="${r1(Math.max(w - 0.3, 0.3))}" height="${ROW - 1}" fill="${color}"/>`);
    const chars = Math.floor((w - 4) / 6.6);
    if (chars >= 3) {
      const name = frame.label.length > chars ? `${frame.label.slice(0, chars - 1)}…` : frame.label;
      const dark =
        category === 'V8 & native' || category === 'garbage collector' || category === 'Prisma Client' || category === 'cache core (prisma-write-through)';
      out.push(`<text x="${r1(x + 2)}" y="${y + 12}" font-size="11" ${FONT} fill="${dark ? '#fff' : '#111'}">${escapeXml(name)}</text>`);
    }
    out.push('</g>');
  }
  CATEGORIES.forEach((category, i) => {
    const x = 10 + (i % 4) * 295;
    const y = bottom + 22 + Math.floor(i / 4) * 18;
    out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[category]}"/>`);
    out.push(`<text x="${x + 18}" y="${y}" font-size="11" ${FONT} fill="#222">${escapeXml(category)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

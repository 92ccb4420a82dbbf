/** Draws a DAG run's graph as a standalone SVG: title, legend, one rounded box per node (or group), edges left to right. */
import type { NodeStatus, StatusCounts } from '../../workflows/contracts/dag-run';
import { boxGraph, countStatuses, gridOf, STATUS_PRECEDENCE, STATUSES, type Box, type DagGraph } from './layout';

/** Colours of each status, shared with the Mermaid rendering so both pictures agree. */
export const STATUS_COLORS: Record<NodeStatus, { fill: string; stroke: string; text: string; dashed?: boolean }> = {
  pending: { fill: '#f3f4f6', stroke: '#6b7280', text: '#374151' },
  running: { fill: '#dbeafe', stroke: '#2563eb', text: '#1e40af' },
  succeeded: { fill: '#dcfce7', stroke: '#16a34a', text: '#166534' },
  failed: { fill: '#fee2e2', stroke: '#dc2626', text: '#991b1b' },
  skipped: { fill: '#f9fafb', stroke: '#c0c4cc', text: '#6b7280', dashed: true },
  cancelled: { fill: '#ffedd5', stroke: '#ea580c', text: '#9a3412' },
};

/** What to draw besides the graph, and when to stop drawing one box per node. */
export interface SvgOptions {
  /** Appended to the subtitle, e.g. the run's status. */
  note?: string;
  maxBoxes?: number;
  maxEdges?: number;
}

const W = 200;
const GAP_X = 64;
const GAP_Y = 18;
const MARGIN = 24;
const TOP = 108;
const SANS = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// XML 1.0 forbids these even as character references, so they are replaced rather than escaped.
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text made safe for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

// Truncates by code point, so an emoji is never cut in half.
function fit(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function countsText(counts: StatusCounts): string {
  const total = STATUSES.reduce((sum, s) => sum + counts[s], 0);
  // Most telling first, so a box too narrow for the whole text still shows the failures.
  const parts = STATUS_PRECEDENCE.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} node${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The run's graph as an SVG document. */
export function renderSvg(graph: DagGraph, options: SvgOptions = {}): string {
  const maxBoxes = options.maxBoxes ?? 500;
  const drawn = boxGraph(graph, maxBoxes, options.maxEdges);
  const cells = gridOf(drawn);
  const h = drawn.level === 'node' ? 46 : 66;
  const cols = cells.reduce((m, c) => Math.max(m, c.col + 1), 1);
  const rows = cells.reduce((m, c) => Math.max(m, c.row + 1), 1);
  const at = (i: number) => ({ x: MARGIN + cells[i]!.col * (W + GAP_X), y: TOP + cells[i]!.row * (h + GAP_Y) });

  const counts = countStatuses(graph.nodes.map((n) => n.status));
  let lx = MARGIN;
  const legend = STATUSES.map((s) => {
    const text = `${s} ${counts[s]}`;
    const item =
      `<rect x="${lx}" y="72" width="14" height="14" rx="3" ${boxStyle(s)}/>` +
      `<text x="${lx + 20}" y="83.5" font-size="13" fill="#374151">${text}</text>`;
    lx += 20 + text.length * 7.5 + 18;
    return item;
  });
  const width = Math.max(MARGIN * 2 + cols * W + (cols - 1) * GAP_X, lx + MARGIN, 480);
  const height = TOP + rows * (h + GAP_Y) + MARGIN;
  const edges = drawn.boxes.flatMap((box, to) => box.deps.map((from) => edgePath(at(from), at(to), h)));

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SANS}">`,
    `<title>${escapeXml(graph.name)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">' +
      '<path d="M0 0L10 5L0 10z" fill="#9ca3af"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="36" font-size="20" font-weight="600" fill="#111827">${escapeXml(fit(graph.name, 90))}</text>`,
    `<text x="${MARGIN}" y="58" font-size="13" fill="#6b7280">${escapeXml(subtitle(graph, drawn, maxBoxes, options.note))}</text>`,
    ...legend,
    `<g fill="none" stroke="#9ca3af" stroke-width="1.5" marker-end="url(#arrow)">${edges.join('')}</g>`,
    ...drawn.boxes.map((box, i) => drawBox(box, at(i), h)),
    '</svg>',
    '',
  ].join('\n');
}

function subtitle(graph: DagGraph, drawn: ReturnType<typeof boxGraph>, maxBoxes: number, note?: string): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const why = graph.nodes.length > maxBoxes ? `over ${maxBoxes} nodes` : 'too many edges';
  const coarse =
    drawn.level === 'task'
      ? ` — one box per task (${why} to draw one by one)`
      : drawn.level === 'layer'
        ? ` — one box per ${drawn.layersPerBox === 1 ? 'layer' : `${drawn.layersPerBox} layers`} (over ${maxBoxes} tasks to draw one by one)`
        : '';
  return `${plural(graph.nodes.length, 'node')} in ${plural(graph.tasks.length, 'task')}${coarse}${note ? ` · ${note}` : ''}`;
}

function boxStyle(status: NodeStatus): string {
  const c = STATUS_COLORS[status];
  return `fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.5"${c.dashed ? ' stroke-dasharray="5 3"' : ''}`;
}

function drawBox(box: Box, { x, y }: { x: number; y: number }, h: number): string {
  const color = STATUS_COLORS[box.status];
  const detail = box.counts ? countsText(box.counts) : box.status;
  const parts = [
    `<g><title>${escapeXml(`${box.label} — ${detail}`)}</title>`,
    `<rect x="${x}" y="${y}" width="${W}" height="${h}" rx="8" ${boxStyle(box.status)}/>`,
    `<text x="${x + 12}" y="${y + 19}" font-family="${MONO}" font-size="12.5" font-weight="600" fill="#111827">${escapeXml(fit(box.label, 25))}</text>`,
    `<text x="${x + 12}" y="${y + 36}" font-size="11.5" fill="${color.text}">${escapeXml(fit(detail, 30))}</text>`,
  ];
  if (box.counts) parts.push(statusBar(box.counts, x + 12, y + h - 16, W - 24));
  parts.push('</g>');
  return parts.join('');
}

// A proportional bar shows the mix of a group at a glance, where the text may be cut short.
function statusBar(counts: StatusCounts, x: number, y: number, width: number): string {
  const total = STATUSES.reduce((sum, s) => sum + counts[s], 0) || 1;
  let offset = 0;
  return STATUSES.filter((s) => counts[s] > 0)
    .map((s) => {
      const w = (counts[s] / total) * width;
      const rect = `<rect x="${(x + offset).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="6" fill="${STATUS_COLORS[s].stroke}"/>`;
      offset += w;
      return rect;
    })
    .join('');
}

// Forward edges curve from right edge to left edge; an edge to an earlier column (a wrapped row) runs through the gap below.
function edgePath(from: { x: number; y: number }, to: { x: number; y: number }, h: number): string {
  const x1 = from.x + W;
  const y1 = from.y + h / 2;
  const x2 = to.x;
  const y2 = to.y + h / 2;
  if (x2 > x1) return `<path d="M${x1} ${y1}C${(x1 + x2) / 2} ${y1} ${(x1 + x2) / 2} ${y2} ${x2} ${y2}"/>`;
  const gapY = from.y + h + GAP_Y / 2;
  return `<path d="M${x1} ${y1}H${x1 + GAP_X / 3}V${gapY}H${x2 - GAP_X / 3}V${y2}H${x2}"/>`;
}

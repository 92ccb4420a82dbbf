/** A large DAG drawn grouped: matrix branches and slices of wide layers as boxes with counts, each expandable. */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import {
  MEMBER_PAGE,
  countByStatus,
  describeCounts,
  groupNodes,
  groupStatus,
  itemEdges,
  visibleItems,
  type Group,
  type Item,
} from '../lib/dag-groups';
import type { GraphJson } from './DagGraph';
import './DagGroups.css';

const COL_W = 248;
const NODE_H = 40;
const GROUP_H = 60;
const MORE_H = 32;
const GAP_X = 72;
const GAP_Y = 14;
const INDENT = 16;
const PAD = 16;
const FIT = 28;
const FIT_MEMBER = 26;

const BAR_ORDER = ['succeeded', 'running', 'failed', 'cancelled', 'skipped', 'pending'];

interface Placed {
  item: Item;
  x: number;
  y: number;
  w: number;
  h: number;
}

function shorten(text: string, fit: number): string {
  return text.length > fit ? `${text.slice(0, fit - 1)}…` : text;
}

function heightOf(item: Item): number {
  return item.kind === 'group' ? GROUP_H : item.kind === 'more' ? MORE_H : NODE_H;
}

/** Stacks each layer's boxes in a column; members sit indented under their group's head. */
function place(items: readonly Item[]): { placed: Map<string, Placed>; width: number; height: number } {
  const nextY = new Map<number, number>();
  const placed = new Map<string, Placed>();
  let maxLayer = 0;
  let bottom = 0;
  for (const item of items) {
    const y = nextY.get(item.layer) ?? PAD;
    const h = heightOf(item);
    const inside = item.kind !== 'group' && (item.kind === 'more' || item.group !== undefined);
    const x = PAD + item.layer * (COL_W + GAP_X) + (inside ? INDENT : 0);
    placed.set(item.id, { item, x, y, w: COL_W - (inside ? INDENT : 0), h });
    nextY.set(item.layer, y + h + GAP_Y);
    maxLayer = Math.max(maxLayer, item.layer);
    bottom = Math.max(bottom, y + h);
  }
  return { placed, width: PAD * 2 + (maxLayer + 1) * COL_W + maxLayer * GAP_X, height: bottom + PAD };
}

/** The grouped graph; `data-drawn-ms` on the SVG says when it was first drawn (ms since navigation start). */
export function DagGroups(props: {
  graph: GraphJson;
  live: ReadonlyMap<string, string>;
  selected: string | undefined;
  hrefOf: (key: string) => string;
  onSelect: (key: string) => void;
  title: string;
}) {
  const { graph, live, selected, hrefOf, onSelect, title } = props;
  const nodes = graph.nodes;
  const grouping = useMemo(() => groupNodes(nodes), [nodes]);
  const indexOf = useMemo(() => new Map(nodes.map((n, i) => [n.key, i])), [nodes]);
  // Members shown per expanded group; a group absent here is collapsed.
  const [shown, setShown] = useState<ReadonlyMap<string, number>>(() => {
    const at = selected === undefined ? undefined : indexOf.get(selected);
    const group = at === undefined ? undefined : grouping.groupOf[at];
    if (!group) return new Map();
    const position = group.members.indexOf(at!);
    return new Map([[group.id, Math.ceil((position + 1) / MEMBER_PAGE) * MEMBER_PAGE]]);
  });
  const { items, itemOf } = useMemo(() => visibleItems(nodes, grouping, shown), [nodes, grouping, shown]);
  const edges = useMemo(
    () => itemEdges(graph.edges as ReadonlyArray<readonly [string, string]>, indexOf, itemOf),
    [graph.edges, indexOf, itemOf],
  );
  const { placed, width, height } = useMemo(() => place(items), [items]);
  const svg = useRef<SVGSVGElement>(null);
  useEffect(() => {
    // The mark a test (or a curious operator) reads: when the grouped graph first became clickable.
    if (svg.current && !svg.current.dataset.drawnMs) svg.current.dataset.drawnMs = performance.now().toFixed(0);
  }, []);

  const toggle = (group: Group) =>
    setShown((before) => {
      const next = new Map(before);
      if (next.has(group.id)) next.delete(group.id);
      else next.set(group.id, MEMBER_PAGE);
      return next;
    });
  const more = (group: Group) =>
    setShown((before) => new Map(before).set(group.id, (before.get(group.id) ?? 0) + MEMBER_PAGE));
  const activate = (run: () => void) => ({
    onClick: (event: MouseEvent) => {
      event.preventDefault();
      run();
    },
    onKeyDown: (event: KeyboardEvent) => {
      // An <a> already clicks on Enter; Space is what a button also answers.
      if (event.key === ' ') {
        event.preventDefault();
        run();
      }
    },
  });
  const selectedItem = selected === undefined ? undefined : itemOf[indexOf.get(selected) ?? -1];

  return (
    <div className="graph-wrap">
      <svg
        ref={svg}
        className="dag grouped"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label={`${title}: ${nodes.length.toLocaleString('en')} nodes in ${grouping.groups.length} groups`}
        data-testid="dag"
        data-grouped="true"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" className="arrow" />
          </marker>
        </defs>
        {edges.map(([from, to]) => {
          const a = placed.get(from);
          const b = placed.get(to);
          if (!a || !b) return null;
          const x1 = a.x + a.w;
          const y1 = a.y + a.h / 2;
          const x2 = b.x;
          const y2 = b.y + b.h / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${from}\u0000${to}`}
              className="edge"
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              markerEnd="url(#arrow)"
            />
          );
        })}
        {[...placed.values()].map(({ item, x, y, w, h }) => {
          if (item.kind === 'more') {
            const next = Math.min(MEMBER_PAGE, item.left);
            return (
              <a
                key={item.id}
                href="#"
                role="button"
                className="node more"
                data-more={item.group.id}
                aria-label={`Show ${next} more (${item.left.toLocaleString('en')} left) of ${item.group.label}`}
                {...activate(() => more(item.group))}
              >
                <rect x={x} y={y} width={w} height={h} rx={6} />
                <text x={x + 12} y={y + h / 2} dominantBaseline="central">
                  {`Show ${next} more (${item.left.toLocaleString('en')} left)`}
                </text>
              </a>
            );
          }
          if (item.kind === 'group') {
            const { group } = item;
            const counts = countByStatus(group.members, nodes, live);
            const status = groupStatus(counts);
            const said = describeCounts(counts);
            const label = `${group.label} ×${group.members.length.toLocaleString('en')}`;
            let offset = 0;
            return (
              <a
                key={item.id}
                href="#"
                role="button"
                aria-expanded={item.expanded}
                className={`node group node-${status}${selectedItem === item.id && !item.expanded ? ' selected' : ''}`}
                data-group={group.id}
                data-status={status}
                aria-label={`${label} ${said}`}
                {...activate(() => toggle(group))}
              >
                <title>{`${label}: ${said}`}</title>
                <rect x={x} y={y} width={w} height={h} rx={6} />
                <path
                  className="chevron"
                  aria-hidden="true"
                  d={item.expanded ? `M${x + 12},${y + 12} l8,0 l-4,7 z` : `M${x + 13},${y + 11} l0,10 l6,-5 z`}
                />
                {/* Squeezed rather than cut when long, so the name read out is the text shown. */}
                <text
                  x={x + 28}
                  y={y + 16}
                  dominantBaseline="central"
                  {...(label.length > FIT - 2 ? { textLength: w - 40, lengthAdjust: 'spacingAndGlyphs' } : {})}
                >
                  {/* The trailing space keeps the label and the counts apart in the text read as one. */}
                  {`${label} `}
                </text>
                <text
                  x={x + 12}
                  y={y + 34}
                  dominantBaseline="central"
                  className="counts"
                  {...(said.length > 38 ? { textLength: w - 24, lengthAdjust: 'spacingAndGlyphs' } : {})}
                >
                  {said}
                </text>
                <g className="bar" aria-hidden="true">
                  {BAR_ORDER.map((s) => {
                    const n = counts.get(s) ?? 0;
                    if (n === 0) return null;
                    const bw = ((w - 24) * n) / group.members.length;
                    const seg = (
                      <rect
                        key={s}
                        className={`seg seg-${s}`}
                        x={x + 12 + offset}
                        y={y + h - 12}
                        width={bw}
                        height={5}
                      />
                    );
                    offset += bw;
                    return seg;
                  })}
                </g>
              </a>
            );
          }
          const node = nodes[item.index]!;
          const status = live.get(node.key) ?? node.status;
          return (
            <a
              key={item.id}
              href={hrefOf(node.key)}
              onClick={(event: MouseEvent) => {
                if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
                event.preventDefault();
                onSelect(node.key);
              }}
              className={`node node-${status}${selected === node.key ? ' selected' : ''}`}
              data-key={node.key}
              data-status={status}
              aria-label={`${node.key}: ${status}`}
              aria-current={selected === node.key ? 'true' : undefined}
            >
              <title>{`${node.key} (${status})`}</title>
              <rect x={x} y={y} width={w} height={h} rx={6} />
              <text x={x + 12} y={y + h / 2} dominantBaseline="central">
                {shorten(node.key, item.group ? FIT_MEMBER : FIT)}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}

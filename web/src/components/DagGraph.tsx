/** A DAG drawn as SVG: layers left to right, nodes coloured by state, each node a link to its panel. */
import { memo, useMemo, type MouseEvent } from 'react';
import type { paths } from '../http/schema.gen';
import { GROUP_ABOVE } from '../lib/dag-groups';
import { DagGroups } from './DagGroups';

/** `GET /v1/runs/:id/graph?format=json`: nodes with status and layer, edges as [from, to] keys. */
export type GraphJson = paths['/v1/runs/{id}/graph']['get']['responses'][200]['content']['application/json'];

const NODE_W = 176;
const NODE_H = 40;
const GAP_X = 64;
const GAP_Y = 16;
const PAD = 16;
/** Characters that fit in a node box (fewer beside the "reused" tag); the whole key is in its title and panel. */
const FIT = 20;
const FIT_TAGGED = 14;

interface Placed {
  key: string;
  status: string;
  x: number;
  y: number;
}

/** Places each node in its layer's column, in plan order; pure, so a status change re-uses it. */
function layout(graph: GraphJson): { placed: Map<string, Placed>; width: number; height: number } {
  const rows = new Map<number, number>();
  const placed = new Map<string, Placed>();
  let maxLayer = 0;
  let maxRow = 0;
  for (const node of graph.nodes) {
    const row = rows.get(node.layer) ?? 0;
    rows.set(node.layer, row + 1);
    maxLayer = Math.max(maxLayer, node.layer);
    maxRow = Math.max(maxRow, row);
    placed.set(node.key, {
      key: node.key,
      status: node.status,
      x: PAD + node.layer * (NODE_W + GAP_X),
      y: PAD + row * (NODE_H + GAP_Y),
    });
  }
  return {
    placed,
    width: PAD * 2 + (maxLayer + 1) * NODE_W + maxLayer * GAP_X,
    height: PAD * 2 + (maxRow + 1) * NODE_H + maxRow * GAP_Y,
  };
}

function shorten(text: string, fit: number): string {
  return text.length > fit ? `${text.slice(0, fit - 1)}…` : text;
}

/** What the graph is drawn from and how a node is opened. */
interface DagGraphProps {
  graph: GraphJson;
  /** Live statuses by key, over those the graph was fetched with. */
  live: ReadonlyMap<string, string>;
  /** Nodes a retry from failure took over from the earlier run instead of running again. */
  reused: ReadonlySet<string>;
  /** Nodes to set apart (the editor's plan: a cycle's tasks), each with the words that say why. */
  marked?: ReadonlyMap<string, string>;
  selected: string | undefined;
  hrefOf: (key: string) => string;
  onSelect: (key: string) => void;
  title: string;
}

/** The graph of a DAG run; re-drawn only when its nodes, live states or selection change; grouped when large. */
export const DagGraph = memo(function DagGraph(props: DagGraphProps) {
  // Thousands of SVG boxes would make the page slow to draw and useless to read: large graphs are grouped.
  if (props.graph.nodes.length > GROUP_ABOVE) return <DagGroups {...props} />;
  return <NodeGraph {...props} />;
});

/** Every node drawn as its own box (a small graph). */
function NodeGraph(props: DagGraphProps) {
  const { graph, live, reused, marked, selected, hrefOf, onSelect, title } = props;
  const { placed, width, height } = useMemo(() => layout(graph), [graph]);
  const click = (key: string) => (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    onSelect(key);
  };
  return (
    <div className="graph-wrap">
      <svg
        className="dag"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label={title}
        data-testid="dag"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" className="arrow" />
          </marker>
        </defs>
        {graph.edges.map(([from, to]) => {
          const a = placed.get(from);
          const b = placed.get(to);
          if (!a || !b) return null;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          const x2 = b.x;
          const y2 = b.y + NODE_H / 2;
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
        {[...placed.values()].map((node) => {
          const status = live.get(node.key) ?? node.status;
          const wasReused = reused.has(node.key);
          const mark = marked?.get(node.key);
          return (
            <a
              key={node.key}
              href={hrefOf(node.key)}
              onClick={click(node.key)}
              className={`node node-${status}${selected === node.key ? ' selected' : ''}${mark ? ' marked' : ''}`}
              data-key={node.key}
              data-status={status}
              data-reused={wasReused || undefined}
              aria-label={`${node.key}: ${status}${wasReused ? ', reused from the earlier run' : ''}${mark ? `, ${mark}` : ''}`}
              data-marked={mark ? true : undefined}
              aria-current={selected === node.key ? 'true' : undefined}
            >
              <title>{`${node.key} (${status}${wasReused ? ', reused' : ''}${mark ? `, ${mark}` : ''})`}</title>
              <rect x={node.x} y={node.y} width={NODE_W} height={NODE_H} rx={6} />
              <text x={node.x + 12} y={node.y + NODE_H / 2} dominantBaseline="central">
                {shorten(node.key, wasReused ? FIT_TAGGED : FIT)}
              </text>
              {wasReused && (
                <text x={node.x + NODE_W - 8} y={node.y + NODE_H / 2} dominantBaseline="central" className="tag">
                  reused
                </text>
              )}
            </a>
          );
        })}
      </svg>
    </div>
  );
}

/** Layered layout of a DAG run's graph, and the coarser box graphs a very large run is drawn with. Pure. */
import type { NodeStatus, StatusCounts } from '../../workflows/contracts/dag-run';

/** One node of a run's graph: key, task index, upstream node indices and live status. */
export interface GraphNode {
  key: string;
  task: number;
  deps: number[];
  status: NodeStatus;
}

/** A run's graph: the DAG's name, task ids by index and nodes in plan order. */
export interface DagGraph {
  name: string;
  tasks: string[];
  nodes: GraphNode[];
}

/** One box to draw: a node, a task's branches or a band of layers. */
export interface Box {
  label: string;
  /** Colour of the box: the node's status, or the most telling status of a group. */
  status: NodeStatus;
  deps: number[];
  /** Per-status counts of the nodes a group box stands for. */
  counts?: StatusCounts;
}

/** The boxes to draw, how coarse they are, and their layers (box indices in index order). */
export interface BoxGraph {
  level: 'node' | 'task' | 'layer';
  boxes: Box[];
  layers: number[][];
  /** Layers of the node graph each layer box spans (level `layer` only). */
  layersPerBox?: number;
}

/** Statuses in the order legends list them. */
export const STATUSES: readonly NodeStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

/** Statuses most telling first: a failure anywhere beats work in flight, which beats success. */
export const STATUS_PRECEDENCE: readonly NodeStatus[] = [
  'failed',
  'running',
  'cancelled',
  'pending',
  'skipped',
  'succeeded',
];

/** Layer of each node: the length of the longest path from a root to it (Kahn's order, no recursion). */
export function longestPathLayers(deps: ReadonlyArray<readonly number[]>): number[] {
  const n = deps.length;
  const layer = new Array<number>(n).fill(0);
  const waiting = new Array<number>(n).fill(0);
  const children: number[][] = Array.from({ length: n }, () => []);
  deps.forEach((ds, i) => {
    for (const d of ds) {
      if (d < 0 || d >= n) continue; // an unknown dependency cannot hold a node back
      children[d]!.push(i);
      waiting[i]! += 1;
    }
  });
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!;
    for (const child of children[at]!) {
      layer[child] = Math.max(layer[child]!, layer[at]! + 1);
      if (--waiting[child]! === 0) queue.push(child);
    }
  }
  // A validated spec has no cycle; should one slip through, its nodes go after the rest instead of hanging the API.
  if (queue.length < n) {
    const after = layer.reduce((max, l) => Math.max(max, l), 0) + 1;
    for (let i = 0; i < n; i++) if (waiting[i]! > 0) layer[i] = after;
  }
  return layer;
}

/** Indices per layer, each layer in index order. */
export function groupLayers(layer: readonly number[]): number[][] {
  const layers: number[][] = [];
  layer.forEach((l, i) => (layers[l] ??= []).push(i));
  return Array.from(layers, (members) => members ?? []);
}

/** Counts of each status among the given statuses. */
export function countStatuses(statuses: Iterable<NodeStatus>): StatusCounts {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const s of statuses) counts[s] += 1;
  return counts;
}

/** The status a group box is coloured with. */
function groupStatus(counts: StatusCounts): NodeStatus {
  return STATUS_PRECEDENCE.find((s) => counts[s] > 0) ?? 'pending';
}

/**
 * The boxes to draw: one per node while there are at most `maxBoxes` nodes (and `maxEdges` edges),
 * else one per task, else one per band of consecutive layers.
 */
export function boxGraph(graph: DagGraph, maxBoxes = 500, maxEdges = 5000): BoxGraph {
  const edges = graph.nodes.reduce((sum, node) => sum + node.deps.length, 0);
  if (graph.nodes.length <= maxBoxes && edges <= maxEdges) {
    const boxes = graph.nodes.map((node) => ({ label: node.key, status: node.status, deps: node.deps }));
    return { level: 'node', boxes, layers: groupLayers(longestPathLayers(boxes.map((b) => b.deps))) };
  }
  const members: number[][] = graph.tasks.map(() => []);
  graph.nodes.forEach((node, i) => members[node.task]?.push(i));
  if (graph.tasks.length <= maxBoxes) {
    const boxes = graph.tasks.map((id, t) => {
      const counts = countStatuses(members[t]!.map((i) => graph.nodes[i]!.status));
      // Every branch of a task waits for the same upstream tasks, so the first branch tells them all.
      const first = graph.nodes[members[t]![0] ?? -1];
      const deps = [...new Set((first?.deps ?? []).map((d) => graph.nodes[d]!.task))];
      return { label: id, status: groupStatus(counts), deps, counts };
    });
    return { level: 'task', boxes, layers: groupLayers(longestPathLayers(boxes.map((b) => b.deps))) };
  }
  const nodeLayers = groupLayers(longestPathLayers(graph.nodes.map((n) => n.deps)));
  // A deep chain can have more layers than fit, so consecutive layers share a box.
  const per = Math.ceil(nodeLayers.length / maxBoxes);
  const boxes: Box[] = [];
  for (let first = 0; first < nodeLayers.length; first += per) {
    const last = Math.min(first + per, nodeLayers.length) - 1;
    const counts = countStatuses(
      nodeLayers
        .slice(first, last + 1)
        .flat()
        .map((i) => graph.nodes[i]!.status),
    );
    const label = first === last ? `layer ${first}` : `layers ${first}–${last}`;
    // Longest-path layers guarantee an edge into every layer from the one before, so a chain tells the order.
    boxes.push({ label, status: groupStatus(counts), deps: boxes.length === 0 ? [] : [boxes.length - 1], counts });
  }
  return { level: 'layer', boxes, layers: boxes.map((_, i) => [i]), layersPerBox: per };
}

/** Grid cell of each box: column by layer and row by order within it; layer bands wrap into rows of `wrap`, like text. */
export function gridOf(graph: BoxGraph, wrap = 8): Array<{ col: number; row: number }> {
  const cells = graph.boxes.map(() => ({ col: 0, row: 0 }));
  // Hundreds of layer bands in one row would be metres wide; their order is a chain, so reading order suffices.
  if (graph.level === 'layer') return cells.map((_, i) => ({ col: i % wrap, row: Math.floor(i / wrap) }));
  graph.layers.forEach((members, col) => members.forEach((box, row) => (cells[box] = { col, row })));
  return cells;
}

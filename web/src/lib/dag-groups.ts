/** Groups a large DAG's nodes (matrix branches of a task, slices of a wide layer) into boxes that expand. Pure. */

/** A graph is drawn grouped above this many nodes; smaller ones are drawn node by node as before. */
export const GROUP_ABOVE = 200;
/** A layer with more plain nodes than this is cut into groups of GROUP_OF. */
const WIDE_LAYER = 50;
const GROUP_OF = 250;
/** Members an expanded group shows at first and adds on each "show more". */
export const MEMBER_PAGE = 100;

/** The fields grouping needs of a node. */
export interface GroupInput {
  key: string;
  status: string;
  layer: number;
}

/** A set of nodes drawn as one box: its id, label, layer and member node indices in plan order. */
export interface Group {
  id: string;
  label: string;
  layer: number;
  members: number[];
}

/** Each node's group (undefined: drawn alone) and the groups in layer then plan order. */
export interface Grouping {
  groups: Group[];
  groupOf: Array<Group | undefined>;
}

/** Groups matrix branches (`test[3]`) by task and layer, then cuts the plain nodes of wide layers; O(n). */
export function groupNodes(nodes: readonly GroupInput[]): Grouping {
  const groupOf = new Array<Group | undefined>(nodes.length);
  const byId = new Map<string, Group>();
  const plainByLayer = new Map<number, number[]>();
  nodes.forEach((node, i) => {
    const bracket = node.key.indexOf('[');
    if (bracket > 0) {
      const task = node.key.slice(0, bracket);
      const id = `m:${node.layer}:${task}`;
      let group = byId.get(id);
      if (!group) {
        group = { id, label: task, layer: node.layer, members: [] };
        byId.set(id, group);
      }
      group.members.push(i);
      groupOf[i] = group;
    } else {
      const plain = plainByLayer.get(node.layer) ?? [];
      plain.push(i);
      plainByLayer.set(node.layer, plain);
    }
  });
  for (const [layer, plain] of plainByLayer) {
    if (plain.length <= WIDE_LAYER) continue;
    for (let start = 0; start < plain.length; start += GROUP_OF) {
      const members = plain.slice(start, start + GROUP_OF);
      const first = nodes[members[0]!]!.key;
      const last = nodes[members[members.length - 1]!]!.key;
      const group: Group = { id: `l:${layer}:${start}`, label: `${first} … ${last}`, layer, members };
      byId.set(group.id, group);
      for (const i of members) groupOf[i] = group;
    }
  }
  const groups = [...byId.values()].sort((a, b) => a.layer - b.layer || a.members[0]! - b.members[0]!);
  return { groups, groupOf };
}

/** Member counts by status, live statuses first; a group's box shows them. */
export function countByStatus(
  members: readonly number[],
  nodes: readonly GroupInput[],
  live: ReadonlyMap<string, string>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of members) {
    const node = nodes[i]!;
    const status = live.get(node.key) ?? node.status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

/** Statuses most telling first: a group's colour is the first one it holds. */
const PRECEDENCE = ['failed', 'running', 'cancelled', 'pending', 'skipped', 'succeeded'];

/** The colour of a group: its most telling member status. */
export function groupStatus(counts: ReadonlyMap<string, number>): string {
  return PRECEDENCE.find((s) => (counts.get(s) ?? 0) > 0) ?? [...counts.keys()][0] ?? 'pending';
}

/** "1,200 succeeded, 50 running, 3 failed": counts in legend order, the largest share first among equals. */
export function describeCounts(counts: ReadonlyMap<string, number>): string {
  const order = ['succeeded', 'running', 'failed', 'pending', 'skipped', 'cancelled'];
  const known = order.filter((s) => (counts.get(s) ?? 0) > 0);
  const other = [...counts.keys()].filter((s) => !order.includes(s));
  return [...known, ...other].map((s) => `${(counts.get(s) ?? 0).toLocaleString('en')} ${s}`).join(', ');
}

/** One box of the grouped drawing: a node, a group (collapsed or the head of an expanded one), or "show more". */
export type Item =
  | { kind: 'node'; id: string; index: number; layer: number; group?: Group }
  | { kind: 'group'; id: string; group: Group; layer: number; expanded: boolean }
  | { kind: 'more'; id: string; group: Group; layer: number; left: number };

/**
 * The boxes to draw in layer order, and each node's box for edges: its own when it stands alone, else its
 * group's (the head of an expanded group stands for its members, or a hundred members would each draw an edge).
 */
export function visibleItems(
  nodes: readonly GroupInput[],
  grouping: Grouping,
  shown: ReadonlyMap<string, number>,
): { items: Item[]; itemOf: string[] } {
  const items: Item[] = [];
  const itemOf = new Array<string>(nodes.length);
  const groupDone = new Set<string>();
  nodes.forEach((node, i) => {
    const group = grouping.groupOf[i];
    if (!group) {
      items.push({ kind: 'node', id: `n:${i}`, index: i, layer: node.layer });
      itemOf[i] = `n:${i}`;
      return;
    }
    if (groupDone.has(group.id)) return;
    groupDone.add(group.id);
    const count = shown.get(group.id);
    items.push({ kind: 'group', id: group.id, group, layer: group.layer, expanded: count !== undefined });
    for (const m of group.members) itemOf[m] = group.id;
    if (count === undefined) return;
    const visible = group.members.slice(0, count);
    for (const m of visible) items.push({ kind: 'node', id: `n:${m}`, index: m, layer: group.layer, group });
    if (group.members.length > visible.length)
      items.push({
        kind: 'more',
        id: `more:${group.id}`,
        group,
        layer: group.layer,
        left: group.members.length - visible.length,
      });
  });
  return { items, itemOf };
}

/** Edges between boxes, each pair once, none from a box to itself; O(edges). */
export function itemEdges(
  edges: ReadonlyArray<readonly [string, string]>,
  indexOf: ReadonlyMap<string, number>,
  itemOf: readonly string[],
): Array<[string, string]> {
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [from, to] of edges) {
    const a = itemOf[indexOf.get(from) ?? -1];
    const b = itemOf[indexOf.get(to) ?? -1];
    if (a === undefined || b === undefined || a === b) continue;
    const pair = `${a}\u0000${b}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    out.push([a, b]);
  }
  return out;
}

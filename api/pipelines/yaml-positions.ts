/** Finds where a field of a parsed YAML document is written, so that spec errors can name a line. */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { SpecPath } from './pipeline-issue';

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/**
 * The position of `path` in `doc`: a mapping entry is found at its key (where the field is named,
 * also for block values that start on the next line), a sequence entry at the item. When the path
 * leaves the document (a missing key or index), the deepest part that exists is returned, so a
 * missing field points at the mapping that should hold it.
 */
export function positionOf(doc: Document, lineCounter: LineCounter, path: SpecPath): Position | undefined {
  let node: unknown = doc.contents;
  let anchor = node as Node | null;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: { at: Node; value: unknown } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair) next = { at: pair.key as Node, value: pair.value };
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item !== undefined) next = { at: item as Node, value: item };
    }
    if (!next) break;
    anchor = next.at;
    node = next.value;
  }
  const offset = anchor?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

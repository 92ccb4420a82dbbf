/** Names the line and column where a field of a YAML (or JSON) body is written, for issues found after parsing. */
import { LineCounter, parseDocument } from 'yaml';
import { positionOf, type Position } from '../pipelines/yaml-positions';

/** `tasks[2].dependsOn[0]` as keys and indexes; a name that is no path (`(body)`) gives none. */
export function pathOfField(field: string): Array<string | number> | undefined {
  if (field.startsWith('(')) return undefined;
  const path: Array<string | number> = [];
  for (const match of field.matchAll(/\[(\d+)\]|([^.[\]]+)/g))
    path.push(match[1] !== undefined ? Number(match[1]) : match[2]!);
  return path.length > 0 ? path : undefined;
}

/**
 * A function from field names to positions in `source`. The source is parsed once, and only when a
 * position is asked for; JSON is YAML, so a JSON body gets positions too.
 */
export function fieldLocator(source: string): (field: string) => Position | undefined {
  let parsed: { doc: ReturnType<typeof parseDocument>; lines: LineCounter } | undefined;
  return (field) => {
    const path = pathOfField(field);
    if (!path) return undefined;
    if (!parsed) {
      const lines = new LineCounter();
      parsed = { doc: parseDocument(source, { lineCounter: lines, prettyErrors: false }), lines };
    }
    return positionOf(parsed.doc, parsed.lines, path);
  };
}

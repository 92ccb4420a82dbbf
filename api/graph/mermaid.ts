/** Writes a DAG run's graph as a Mermaid `flowchart LR`, one node per task or matrix branch, coloured by status. */
import { STATUSES, type DagGraph } from './layout';
import { STATUS_COLORS } from './svg';

// Mermaid reads `#name;` as an entity and `"`, `<`, `>` as syntax or HTML, so each becomes an entity code.
const MERMAID_ESCAPES: Record<string, string> = { '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;' };

/** Text made safe inside a quoted Mermaid label. */
function escapeMermaid(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[#"<>&]/g, (c) => MERMAID_ESCAPES[c]!);
}

/** The run's graph as Mermaid text; node ids are `n0`, `n1`... because keys like `test[2]` are not valid ids. */
export function renderMermaid(graph: DagGraph, note?: string): string {
  // JSON's double-quoted string is also a YAML scalar, so any name survives the front matter.
  const lines = ['---', `title: ${JSON.stringify(graph.name)}`, '---', 'flowchart LR'];
  if (note) lines.push(`  %% ${note.replace(/[\r\n]+/g, ' ')}`);
  graph.nodes.forEach((node, i) => lines.push(`  n${i}["${escapeMermaid(node.key)}<br/>${node.status}"]`));
  graph.nodes.forEach((node, i) => node.deps.forEach((dep) => lines.push(`  n${dep} --> n${i}`)));
  for (const status of STATUSES) {
    const c = STATUS_COLORS[status];
    lines.push(
      `  classDef ${status} fill:${c.fill},stroke:${c.stroke},color:${c.text}${c.dashed ? ',stroke-dasharray:5 3' : ''}`,
    );
  }
  for (const status of STATUSES) {
    const ids = graph.nodes.flatMap((node, i) => (node.status === status ? [`n${i}`] : []));
    if (ids.length > 0) lines.push(`  class ${ids.join(',')} ${status}`);
  }
  return `${lines.join('\n')}\n`;
}

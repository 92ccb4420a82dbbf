/** DAG run graph: layered layout, Mermaid text, SVG (well-formed, escaped, coloured) and the coarse views of large graphs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeStatus } from '../../workflows/contracts/dag-run';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { buildPlan } from '../../workflows/dag/plan';
import { boxGraph, groupLayers, longestPathLayers, type DagGraph } from '../../api/graph/layout';
import { renderMermaid } from '../../api/graph/mermaid';
import { escapeXml, renderSvg, STATUS_COLORS } from '../../api/graph/svg';

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  nodeClass: 'linux',
  command: 'true',
  ...extra,
});

/** A graph from a spec's tasks, statuses given per key (pending otherwise). */
function graphOf(name: string, tasks: unknown[], status: Record<string, NodeStatus> = {}): DagGraph {
  const spec = DagSpecSchema.parse({ name, tasks });
  const nodes = buildPlan(spec).nodes.map((n) => ({
    key: n.key,
    task: n.task,
    deps: n.deps,
    status: status[n.key] ?? 'pending',
  }));
  return { name, tasks: spec.tasks.map((t) => t.id), nodes };
}

const diamond = (status: Record<string, NodeStatus> = {}) =>
  graphOf(
    'diamond',
    [task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['a'] }), task('d', { dependsOn: ['b', 'c'] })],
    status,
  );

/** `width` plain tasks per layer, each waiting for one or two tasks of the layer before. */
function layered(layers: number, width: number): DagGraph {
  const nodes = [];
  for (let i = 0; i < layers * width; i++) {
    const prev = i - width;
    const deps = prev < 0 ? [] : [prev, prev - (prev % width) + ((prev + 7) % width)];
    const statuses: NodeStatus[] = ['succeeded', 'succeeded', 'running', 'pending', 'failed', 'skipped', 'cancelled'];
    nodes.push({ key: `t${i}`, task: i, deps: [...new Set(deps)], status: statuses[i % statuses.length]! });
  }
  return { name: 'big', tasks: nodes.map((n) => n.key), nodes };
}

/**
 * Strict enough XML well-formedness check for generated SVG: every `<`/`&` belongs to markup or an
 * entity, attributes are quoted, tags balance and there is one root. Returns the first problem.
 */
function xmlProblem(xml: string): string | undefined {
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|(<)/gy;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const stack: string[] = [];
  let roots = 0;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    const [whole, close, open, attrs, selfClose, text, stray] = m;
    if (stray) return `stray "<" at ${m.index}`;
    const raw = text ?? attrs ?? '';
    if (raw.replace(entity, '').includes('&')) return `bare "&" near ${m.index}: ${whole.slice(0, 60)}`;
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') return `text outside the root at ${m.index}`;
      continue;
    }
    if (open) {
      if (stack.length === 0 && ++roots > 1) return `second root <${open}>`;
      const names = [...(attrs ?? '').matchAll(/([A-Za-z_:][\w:.-]*)\s*=/g)].map((a) => a[1]);
      if (new Set(names).size !== names.length) return `repeated attribute in <${open}>`;
      if (!selfClose) stack.push(open);
    } else if (close) {
      const top = stack.pop();
      if (top !== close) return `</${close}> closes <${top ?? 'nothing'}>`;
    }
  }
  if (stack.length > 0) return `unclosed <${stack.at(-1)}>`;
  return roots === 1 ? undefined : 'no root element';
}

describe('longestPathLayers', () => {
  test('diamond: a in layer 0, b and c in layer 1, d in layer 2', () => {
    const layer = longestPathLayers(diamond().nodes.map((n) => n.deps));
    assert.deepEqual(layer, [0, 1, 1, 2]);
    assert.deepEqual(groupLayers(layer), [[0], [1, 2], [3]]);
  });

  test('the longest path counts, not the shortest, and a task may come before its dependency', () => {
    // c waits for a directly and through b; b is written after c.
    assert.deepEqual(longestPathLayers([[], [2], [0], [0, 1]]), [0, 2, 1, 3]);
  });

  test("matrix branches share their task's layer and keep matrix order within it", () => {
    const graph = graphOf('m', [
      task('setup'),
      task('test', { dependsOn: ['setup'], matrix: { shard: [1, 2, 3] } }),
      task('report', { dependsOn: ['test'] }),
    ]);
    const layers = groupLayers(longestPathLayers(graph.nodes.map((n) => n.deps)));
    assert.deepEqual(
      layers.map((l) => l.map((i) => graph.nodes[i]!.key)),
      [['setup'], ['test[0]', 'test[1]', 'test[2]'], ['report']],
    );
  });

  test('a cycle (never in a validated spec) ends instead of hanging, after the other nodes', () => {
    assert.deepEqual(longestPathLayers([[1], [0], []]), [1, 1, 0]);
  });

  test('10,000 nodes, a chain of 10,000 layers and a 100 x 100 lattice, are layered well under a second each', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => (i === 0 ? [] : [i - 1, Math.max(0, i - 3)]));
    let started = performance.now();
    const layer = longestPathLayers(chain);
    assert.ok(performance.now() - started < 1000, `chain took ${performance.now() - started} ms`);
    assert.equal(layer[9999], 9999);
    started = performance.now();
    const lattice = longestPathLayers(layered(100, 100).nodes.map((n) => n.deps));
    assert.ok(performance.now() - started < 1000, `lattice took ${performance.now() - started} ms`);
    assert.equal(Math.max(...lattice), 99);
  });
});

describe('renderMermaid', () => {
  const text = renderMermaid(diamond({ a: 'succeeded', b: 'failed', c: 'running' }));

  test('a left-to-right flowchart with one node per key, ids n0, n1... and key plus status in the label', () => {
    assert.match(text, /^flowchart LR$/m);
    assert.match(text, /^ {2}n0\["a<br\/>succeeded"\]$/m);
    assert.match(text, /^ {2}n3\["d<br\/>pending"\]$/m);
    assert.match(text, /^title: "diamond"$/m);
  });

  test('one edge per dependency', () => {
    const edges = text
      .split('\n')
      .filter((l) => l.includes('-->'))
      .map((l) => l.trim())
      .sort();
    assert.deepEqual(edges, ['n0 --> n1', 'n0 --> n2', 'n1 --> n3', 'n2 --> n3']);
  });

  test('a classDef for every status, skipped dashed, and each node in its status class', () => {
    for (const status of ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'])
      assert.match(text, new RegExp(`^ {2}classDef ${status} fill:#`, 'm'));
    assert.match(text, /classDef skipped [^\n]*stroke-dasharray/);
    assert.match(text, /^ {2}class n0 succeeded$/m);
    assert.match(text, /^ {2}class n1 failed$/m);
    assert.match(text, /^ {2}class n2 running$/m);
    assert.match(text, /^ {2}class n3 pending$/m);
  });

  test('labels and title are escaped: no raw quote, angle bracket or newline reaches the syntax', () => {
    const graph: DagGraph = {
      name: 'say "hi"\n<b>',
      tasks: ['x'],
      nodes: [{ key: 'a"b<c>#d&e', task: 0, deps: [], status: 'pending' }],
    };
    const out = renderMermaid(graph);
    assert.match(out, /^ {2}n0\["a#quot;b#lt;c#gt;#35;d#amp;e<br\/>pending"\]$/m);
    assert.match(out, /^title: "say \\"hi\\"\\n<b>"$/m, 'the title is one JSON-quoted line');
  });
});

describe('renderSvg', () => {
  test('the XML checker itself rejects what a browser would', () => {
    assert.equal(xmlProblem('<svg><g></g></svg>'), undefined);
    assert.ok(xmlProblem('<svg><g></svg>'));
    assert.ok(xmlProblem('<svg><text>a & b</text></svg>'));
    assert.ok(xmlProblem('<svg><text>a < b</text></svg>'));
    assert.ok(xmlProblem('<svg x=1></svg>'));
    assert.ok(xmlProblem('<svg x="1" x="2"></svg>'));
    assert.ok(xmlProblem('<svg></svg><svg></svg>'));
  });

  test('a diamond: well-formed, every key, its status colours, legend counts and the DAG name', () => {
    const svg = renderSvg(diamond({ a: 'succeeded', b: 'failed', c: 'skipped' }), { note: 'run failed' });
    assert.equal(xmlProblem(svg), undefined);
    for (const key of ['a', 'b', 'c', 'd']) assert.match(svg, new RegExp(`>${key}</text>`));
    for (const status of ['succeeded', 'failed', 'skipped', 'pending'] as const)
      assert.ok(svg.includes(`fill="${STATUS_COLORS[status].fill}"`), status);
    assert.match(svg, /stroke-dasharray="5 3"/, 'skipped is dashed');
    assert.match(svg, />succeeded 1</);
    assert.match(svg, />running 0</);
    assert.match(svg, />diamond<\/text>/);
    assert.match(svg, /4 nodes in 4 tasks · run failed/);
    assert.equal((svg.match(/<path d="M[\d.]+ [\d.]+C/g) ?? []).length, 4, 'one curve per edge');
  });

  test('names and keys are escaped for XML, control characters included', () => {
    const graph: DagGraph = {
      name: '<script>alert("x")</script> & co\u0001',
      tasks: ['t'],
      nodes: [{ key: "it's <b>&amp;", task: 0, deps: [], status: 'running' }],
    };
    const svg = renderSvg(graph);
    assert.equal(xmlProblem(svg), undefined);
    assert.ok(!svg.includes('<script>') && !svg.includes('<b>') && !svg.includes('\u0001'));
    assert.ok(svg.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'));
    assert.ok(svg.includes('it&#39;s &lt;b&gt;&amp;amp;'));
    assert.equal(escapeXml('a\uD800b'), 'a\uFFFDb', 'a lone surrogate is not XML');
  });

  test('over 500 nodes: one box per task, with counts, said in the subtitle', () => {
    const graph = graphOf(
      'wide',
      [
        task('build'),
        task('test', { dependsOn: ['build'], matrix: { shard: Array.from({ length: 600 }, (_, i) => i) } }),
      ],
      { build: 'succeeded', 'test[0]': 'failed' },
    );
    assert.equal(boxGraph(graph).level, 'task');
    const svg = renderSvg(graph);
    assert.equal(xmlProblem(svg), undefined);
    assert.match(svg, /one box per task/);
    assert.match(svg, />test<\/text>/);
    assert.ok(!svg.includes('test[1]'), 'no branch box');
    assert.match(svg, /600 nodes: 1 failed, 599 pending/, 'failures first');
    assert.ok(svg.includes(`fill="${STATUS_COLORS.failed.fill}"`), 'the group shows its failure');
  });

  test('10,000 nodes in over 500 tasks collapse to one box per layer, and the SVG stays under 1 MB', () => {
    const graph = layered(100, 100);
    const drawn = boxGraph(graph);
    assert.equal(drawn.level, 'layer');
    assert.equal(drawn.boxes.length, 100);
    const svg = renderSvg(graph);
    assert.equal(xmlProblem(svg), undefined);
    assert.ok(Buffer.byteLength(svg) < 1_000_000, `${Buffer.byteLength(svg)} bytes`);
    assert.match(svg, /10000 nodes in 10000 tasks — one box per layer/);
    assert.match(svg, />layer 0<\/text>/);
    assert.match(svg, />layer 99<\/text>/);
    assert.match(svg, />succeeded 2858</, 'the legend counts every node');
  });

  test('more layers than boxes: consecutive layers share a box', () => {
    const chain: DagGraph = layered(10_000, 1);
    const drawn = boxGraph(chain);
    assert.equal(drawn.boxes.length, 500);
    assert.equal(drawn.layersPerBox, 20);
    const svg = renderSvg(chain);
    assert.equal(xmlProblem(svg), undefined);
    assert.match(svg, /one box per 20 layers/);
    assert.match(svg, />layers 9980–9999<\/text>/);
    assert.ok(Buffer.byteLength(svg) < 1_000_000, `${Buffer.byteLength(svg)} bytes`);
  });
});

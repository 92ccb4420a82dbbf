/** The PromQL tokenizer the dashboards test uses: metric names and the labels each query needs of them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricUses, tokenizePromql } from '../helpers/promql-selectors';
import { parsePromText, sampleValue } from '../helpers/prom-text';

test('a selector with matchers, inside a function and an aggregation with by before the argument', () => {
  assert.deepEqual(metricUses('sum by (route, le) (rate(http_bucket{status=~"5..", job!="x"}[$__rate_interval]))'), [
    { metric: 'http_bucket', labels: ['job', 'le', 'route', 'status'] },
  ]);
});

test('by after the argument, without, nested aggregations and histogram_quantile', () => {
  assert.deepEqual(
    metricUses(
      'histogram_quantile(0.95, sum(max without (instance) (rate(d_bucket{node_class=~"$node_class"}[5m]))) by (le))',
    ),
    [{ metric: 'd_bucket', labels: ['instance', 'le', 'node_class'] }],
  );
});

test('binary operations: each side keeps its own labels; on/ignoring/group_* labels are asked of every metric', () => {
  assert.deepEqual(
    metricUses(
      'max by (node_class) (backlog) > 0 and max by (node_class) (workers{state="free"}) == 0 or a * on (k) group_left (g) b offset 5m',
    ),
    [
      { metric: 'a', labels: ['g', 'k'] },
      { metric: 'b', labels: ['g', 'k'] },
      { metric: 'backlog', labels: ['g', 'k', 'node_class'] },
      { metric: 'workers', labels: ['g', 'k', 'node_class', 'state'] },
    ],
  );
});

test('numbers, durations, strings, keywords and comments are not metrics', () => {
  assert.deepEqual(
    metricUses('count_values("v", x) # comment with y\n / 1e3 > bool 2 unless topk(3, z[1h30m:1m]) @ 100'),
    [
      { metric: 'x', labels: [] },
      { metric: 'z', labels: [] },
    ],
  );
  assert.deepEqual(
    tokenizePromql('a{b="c"}[5m]').map((t) => t.kind),
    ['ident', 'punct', 'ident', 'punct', 'string', 'punct', 'punct', 'number', 'punct'],
  );
});

test('text it cannot read or balance is an error, not a guess', () => {
  assert.throws(() => metricUses('sum(rate(x[5m])'), /unbalanced "\("/);
  assert.throws(() => metricUses('x) + y'), /unbalanced "\)"/);
  assert.throws(() => metricUses('x ~ y'), /cannot read "~ y"/);
  assert.throws(() => metricUses('{__name__="x"}'), /without a metric name/);
});

test('the exposition parser reads labels with escapes and finds one sample by labels', () => {
  const samples = parsePromText('# HELP a x\n# TYPE a counter\na{k="v\\"w",l="m"} 3\nb 1.5e3\n');
  assert.equal(sampleValue(samples, 'a', { k: 'v"w' }), 3);
  assert.equal(sampleValue(samples, 'b'), 1500);
  assert.equal(sampleValue(samples, 'a', { k: 'other' }), undefined);
  assert.throws(() => parsePromText('not a sample line at all'), /not a sample line/);
});

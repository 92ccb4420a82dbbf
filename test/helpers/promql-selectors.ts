/**
 * What a PromQL query asks of the metrics it reads: each metric name it selects, with the labels the query needs
 * that metric to carry (its label matchers, and the `by`/`without`/`on`/`ignoring`/`group_*` labels of every
 * aggregation or binary operation around it). A small tokenizer, not a parser: enough to check dashboards and
 * rules against a real `/metrics`, and it throws on text it does not understand rather than guess.
 */

/** One metric a query reads and the labels it needs. */
export interface MetricUse {
  metric: string;
  labels: string[];
}

type Token = { kind: 'ident' | 'string' | 'number' | 'punct' | 'var'; text: string };

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OPERATOR_WORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool', 'offset', 'inf', 'nan']);

/** Splits PromQL (with Grafana `$variables`) into tokens; throws naming the offset of a character it cannot read. */
export function tokenizePromql(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const match =
      /^\s+/.exec(rest) ??
      /^#[^\n]*/.exec(rest) ??
      /^(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/.exec(rest) ??
      /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.exec(rest) ??
      /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest) ??
      /^(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*)/.exec(rest) ??
      /^(?:=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}[\],:@])/.exec(rest);
    if (!match) throw new Error(`PromQL: cannot read "${rest.slice(0, 20)}" at offset ${i} of ${query}`);
    const text = match[0];
    const first = text[0]!;
    if (/\s|#/.test(first)) {
      // whitespace and comments
    } else if (first === '"' || first === "'" || first === '`') tokens.push({ kind: 'string', text });
    else if (first === '$') tokens.push({ kind: 'var', text });
    else if (/[A-Za-z_:]/.test(first)) tokens.push({ kind: 'ident', text });
    else if (/\d/.test(first)) tokens.push({ kind: 'number', text });
    else tokens.push({ kind: 'punct', text });
    i += text.length;
  }
  return tokens;
}

interface Scope {
  /** Metric uses selected inside this parenthesis. */
  uses: MetricUse[];
  /** Labels of a `by (…)` written before the parenthesis (an aggregation's argument). */
  labels: string[];
  /** An aggregation's argument: a `by (…)` may also follow its closing parenthesis. */
  aggregation: boolean;
}

/** The metrics a query selects, each with every label the query needs it to have (deduplicated, sorted). */
export function metricUses(query: string): MetricUse[] {
  const tokens = tokenizePromql(query);
  const all: MetricUse[] = [];
  const scopes: Scope[] = [{ uses: [], labels: [], aggregation: false }];
  // Labels of on/ignoring/group_*: both sides of the binary operation need them; applied to the whole query.
  const queryWide: string[] = [];
  let pending: { labels: string[]; aggregation: boolean } | undefined;
  let i = 0;
  const readLabelList = (): string[] => {
    if (tokens[i]?.text !== '(') return [];
    const labels: string[] = [];
    for (i++; i < tokens.length && tokens[i]!.text !== ')'; i++)
      if (tokens[i]!.kind === 'ident') labels.push(tokens[i]!.text);
    i++;
    return labels;
  };
  while (i < tokens.length) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.kind === 'ident' && LABEL_LIST_KEYWORDS.has(token.text)) {
      i++;
      const labels = readLabelList();
      if (token.text === 'by' || token.text === 'without') {
        if (pending) pending.labels.push(...labels);
        else throw new Error(`PromQL: "${token.text}" not after an aggregation in ${query}`);
      } else queryWide.push(...labels);
      continue;
    }
    if (
      token.kind === 'ident' &&
      AGGREGATIONS.has(token.text) &&
      (next?.text === '(' || LABEL_LIST_KEYWORDS.has(next?.text ?? ''))
    ) {
      pending = { labels: [], aggregation: true };
      i++;
      continue;
    }
    if (token.text === '(') {
      scopes.push({ uses: [], labels: pending?.labels ?? [], aggregation: pending?.aggregation ?? false });
      pending = undefined;
      i++;
      continue;
    }
    if (token.text === ')') {
      const scope = scopes.pop();
      if (!scope || scopes.length === 0) throw new Error(`PromQL: unbalanced ")" in ${query}`);
      i++;
      // `sum (…) by (…)`: the label list after the argument.
      if (scope.aggregation && (tokens[i]?.text === 'by' || tokens[i]?.text === 'without')) {
        i++;
        scope.labels.push(...readLabelList());
      }
      for (const use of scope.uses) use.labels.push(...scope.labels);
      scopes.at(-1)!.uses.push(...scope.uses);
      continue;
    }
    if (token.text === '[') {
      // A range or subquery: durations and Grafana variables, no metric.
      while (i < tokens.length && tokens[i]!.text !== ']') i++;
      i++;
      continue;
    }
    if (token.kind === 'ident' && next?.text === '(') {
      i++; // a function: its parenthesis opens a plain scope
      continue;
    }
    if (token.kind === 'ident' && !OPERATOR_WORDS.has(token.text.toLowerCase())) {
      const use: MetricUse = { metric: token.text, labels: [] };
      i++;
      if (tokens[i]?.text === '{') use.labels.push(...readMatchers());
      all.push(use);
      scopes.at(-1)!.uses.push(use);
      continue;
    }
    if (token.text === '{') throw new Error(`PromQL: a selector without a metric name in ${query}`);
    i++;
  }
  if (scopes.length !== 1) throw new Error(`PromQL: unbalanced "(" in ${query}`);
  return merge(all.map((u) => ({ metric: u.metric, labels: [...u.labels, ...queryWide] })));

  function readMatchers(): string[] {
    const labels: string[] = [];
    for (i++; i < tokens.length && tokens[i]!.text !== '}'; i++) {
      const t = tokens[i]!;
      if (t.kind === 'ident' && ['=', '!=', '=~', '!~'].includes(tokens[i + 1]?.text ?? '')) labels.push(t.text);
    }
    i++;
    return labels;
  }
}

function merge(uses: MetricUse[]): MetricUse[] {
  const byMetric = new Map<string, Set<string>>();
  for (const u of uses) {
    const set = byMetric.get(u.metric) ?? new Set<string>();
    u.labels.forEach((l) => set.add(l));
    byMetric.set(u.metric, set);
  }
  return [...byMetric]
    .map(([metric, labels]) => ({ metric, labels: [...labels].sort() }))
    .sort((a, b) => a.metric.localeCompare(b.metric));
}

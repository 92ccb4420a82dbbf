/**
 * Dashboards as code: the example alerting rules and scrape config pass Prometheus's own checker (promtool), the
 * rules' unit tests pass promtool's evaluation, and every metric the Grafana dashboard and the rules query exists
 * in a real API's `/metrics` after work ran, with every label the queries use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../config/paths';
import { parsePromText, type PromSample } from './helpers/prom-text';
import { metricUses, type MetricUse } from './helpers/promql-selectors';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const run = promisify(execFile);
const PROMETHEUS_DIR = join(REPO_ROOT, 'infra', 'prometheus');
const DASHBOARD = join(REPO_ROOT, 'infra', 'grafana', 'capstan-fleet.json');

function promtool(): string {
  const bin = process.env.CAPSTAN_PROMTOOL_BIN;
  if (!bin) throw new Error('CAPSTAN_PROMTOOL_BIN is not set: run the tests with `npm test`');
  return bin;
}

/** Runs promtool in infra/prometheus; resolves with its output, rejects with it on a non-zero exit. */
async function promtoolRun(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(promtool(), args, { cwd: PROMETHEUS_DIR });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/** Each query of the dashboard, named by its panel, with Grafana's `label_values(metric, label)` variables. */
function dashboardQueries(dashboard: any): Array<{ where: string; uses: MetricUse[] }> {
  const panels = dashboard.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);
  const fromPanels = panels.flatMap((p: any) =>
    (p.targets ?? []).map((t: any) => ({ where: `panel "${p.title}" ${t.refId}`, uses: metricUses(t.expr) })),
  );
  const fromVariables = dashboard.templating.list
    .filter((v: any) => v.type === 'query')
    .map((v: any) => {
      const text = typeof v.query === 'string' ? v.query : v.query.query;
      const match = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(text);
      assert.ok(match, `variable ${v.name}: not a label_values(metric, label) query: ${text}`);
      return { where: `variable $${v.name}`, uses: [{ metric: match[1]!, labels: [match[2]!] }] };
    });
  return [...fromPanels, ...fromVariables];
}

/** Each alerting rule's expression, named by its alert. */
function ruleQueries(rules: any): Array<{ where: string; uses: MetricUse[] }> {
  return rules.groups.flatMap((g: any) =>
    g.rules.map((r: any) => ({ where: `alert ${r.alert ?? r.record}`, uses: metricUses(r.expr) })),
  );
}

/** What a query asks that `/metrics` does not have: a missing metric, or a label none of its samples carries. */
function missingUses(queries: Array<{ where: string; uses: MetricUse[] }>, samples: PromSample[]): string[] {
  const labelsOf = new Map<string, Set<string>>();
  for (const s of samples) {
    const set = labelsOf.get(s.name) ?? new Set<string>();
    Object.keys(s.labels).forEach((l) => set.add(l));
    labelsOf.set(s.name, set);
  }
  return queries.flatMap(({ where, uses }) =>
    uses.flatMap(({ metric, labels }) => {
      const have = labelsOf.get(metric);
      if (!have) return [`${where}: metric ${metric} is not in /metrics`];
      return labels.filter((l) => !have.has(l)).map((l) => `${where}: ${metric} has no label "${l}"`);
    }),
  );
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
const rules = parse(readFileSync(join(PROMETHEUS_DIR, 'capstan-alerts.yml'), 'utf8'));
let stack: TestStack;
let samples: PromSample[];

before(async () => {
  stack = await startTestStack();
  // A first scrape before any run: the runs-ended tally counts runs that close from its first read on.
  await fetch(`${stack.baseUrl}/metrics`);
  // Work of every kind the queries count: a task that succeeds, one that fails, on two classes.
  const started = await Promise.all([
    stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'echo ok' }),
    stack.request('POST', '/v1/tasks', { nodeClass: 'b', command: 'exit 4' }),
  ]);
  await Promise.all(started.map((s) => waitForRunEnd(stack, s.body.runId)));
  // Runs ended are tallied from Temporal visibility once their window settles (about 15 s): wait for the series.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const response = await fetch(`${stack.baseUrl}/metrics`);
    samples = parsePromText(await response.text());
    const ended = samples.filter((s) => s.name === 'capstan_runs_ended_total');
    if (ended.length >= 2 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
});
after(async () => {
  await stack?.stop();
});

test('promtool check rules passes on the example alerting rules', async () => {
  const out = await promtoolRun('check', 'rules', 'capstan-alerts.yml');
  assert.match(out, /SUCCESS: 4 rules found/);
});

test('promtool check config passes on the example scrape config (with its rule file)', async () => {
  const out = await promtoolRun('check', 'config', 'prometheus.yml');
  assert.match(out, /SUCCESS: prometheus\.yml is valid prometheus config file syntax/);
  assert.match(out, /SUCCESS: 4 rules found/);
});

test('promtool test rules: each alert fires when it should and not before', async () => {
  const out = await promtoolRun('test', 'rules', 'capstan-alerts.test.yml');
  assert.match(out, /SUCCESS/);
});

test('the dashboard is current Grafana JSON over a Prometheus datasource variable', () => {
  assert.ok(dashboard.schemaVersion >= 39, `schemaVersion ${dashboard.schemaVersion}`);
  const datasource = dashboard.templating.list.find((v: any) => v.type === 'datasource');
  assert.equal(datasource?.query, 'prometheus');
  const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
  assert.ok(panels.length >= 12);
  for (const p of panels) {
    assert.equal(p.datasource.uid, `\${${datasource.name}}`, `panel "${p.title}" datasource`);
    assert.ok(p.targets.length > 0, `panel "${p.title}" has no query`);
  }
  assert.equal(new Set(dashboard.panels.map((p: any) => p.id)).size, dashboard.panels.length, 'panel ids unique');
});

test('every metric and label the dashboard and the rules query is in a real /metrics after work ran', () => {
  const queries = [...dashboardQueries(dashboard), ...ruleQueries(rules)];
  assert.ok(queries.length >= 20, `${queries.length} queries`);
  assert.deepEqual(missingUses(queries, samples), []);
});

test('a query of a metric or label that /metrics lacks is reported (the check can fail)', () => {
  const typo = structuredClone(dashboard);
  const panel = typo.panels.find((p: any) => p.title.startsWith('Backlog'));
  panel.targets[0].expr = panel.targets[0].expr.replace(
    'capstan_node_class_backlog_tasks',
    'capstan_node_class_backlog_taks',
  );
  const rule = structuredClone(rules);
  rule.groups[0].rules[0].expr = 'max by (nodeclass) (capstan_node_class_backlog_tasks) > 0';
  assert.deepEqual(missingUses([...dashboardQueries(typo), ...ruleQueries(rule)], samples), [
    'panel "Backlog, by node class" A: metric capstan_node_class_backlog_taks is not in /metrics',
    'alert CapstanClassBacklogWithoutWorker: capstan_node_class_backlog_tasks has no label "nodeclass"',
  ]);
});

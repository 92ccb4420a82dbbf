/**
 * `POST /v1/dags/plan` on a real stack: a spec's plan or its issues with their lines, for DAG and task
 * specs in YAML and JSON, open to viewers, never starting a run and never writing an audit row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { startTestStack, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let viewerToken: string;
let runsBefore: number;
before(async () => {
  // No worker is needed: nothing here may run.
  stack = await startTestStack({ startWorkersFor: [] });
  viewerToken = (await stack.mintToken('viewer', { principal: 'plan-viewer' })).token;
  runsBefore = await stack.countRuns();
});
after(async () => {
  await stack?.stop();
});

/** Posts `text` as YAML (or JSON) to the plan route, checks the answer against the OpenAPI document, returns it. */
async function plan(text: string, type = 'application/yaml', token = stack.adminToken): Promise<any> {
  const response = await fetch(`${stack.baseUrl}/v1/dags/plan`, {
    method: 'POST',
    headers: { 'Content-Type': type, Authorization: `Bearer ${token}` },
    body: text,
  });
  const body = (await response.json()) as any;
  assertDocumentedAnswer('POST', '/v1/dags/plan', response.status, body);
  return { status: response.status, body };
}

const DIAMOND = `name: diamond
tasks:
  - id: a
    nodeClass: a
    command: echo a
  - id: b
    nodeClass: a
    dependsOn: [a]
    command: echo b
  - id: c
    nodeClass: b
    dependsOn: [a]
    command: echo c
  - id: d
    nodeClass: a
    dependsOn: [b, c]
    command: echo d
`;

describe('POST /v1/dags/plan', () => {
  test('a valid diamond: its plan with nodes, edges and layers', async () => {
    const { status, body } = await plan(DIAMOND);
    assert.equal(status, 200);
    assert.equal(body.valid, true);
    assert.equal(body.kind, 'dag');
    assert.equal(body.issues, undefined);
    assert.equal(body.plan.name, 'diamond');
    assert.deepEqual(
      body.plan.nodes.map((n: any) => [n.key, n.task, n.layer, n.status, n.line]),
      [
        ['a', 'a', 0, 'pending', 3],
        ['b', 'b', 1, 'pending', 6],
        ['c', 'c', 1, 'pending', 10],
        ['d', 'd', 2, 'pending', 14],
      ],
    );
    assert.deepEqual(body.plan.edges, [
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'd'],
      ['c', 'd'],
    ]);
    assert.equal(body.plan.layers, 3);
  });

  test('a cycle: the issue names its tasks and the line of the dependsOn that closes it; the plan is still drawn', async () => {
    const cyclic = DIAMOND.replace(
      '    dependsOn: [a]\n    command: echo b',
      '    dependsOn: [a, d]\n    command: echo b',
    );
    const { status, body } = await plan(cyclic);
    assert.equal(status, 200);
    assert.equal(body.valid, false);
    assert.equal(body.issues.length, 1, JSON.stringify(body.issues));
    const [issue] = body.issues;
    assert.match(issue.message, /dependency cycle: b → d → b/);
    assert.equal(issue.field, 'tasks[1].dependsOn');
    assert.deepEqual([issue.line, issue.column], [8, 5]);
    assert.deepEqual(issue.tasks, ['b', 'd']);
    // Drawn as written: the edge that closes the cycle (d → b) goes backwards, the rest keep their layers.
    assert.deepEqual(
      body.plan.nodes.map((n: any) => [n.key, n.layer]),
      [
        ['a', 0],
        ['b', 1],
        ['c', 1],
        ['d', 2],
      ],
    );
    assert.ok(body.plan.edges.some(([from, to]: string[]) => from === 'd' && to === 'b'));
  });

  test('an unknown dependency and an unknown node class: each on its own line, with its task', async () => {
    const text = DIAMOND.replace('dependsOn: [b, c]', 'dependsOn: [b, cc]').replace('nodeClass: b', 'nodeClass: gpu');
    const { body } = await plan(text);
    assert.equal(body.valid, false);
    assert.deepEqual(
      body.issues.map((i: any) => [i.field, i.line, i.column, i.tasks]),
      [
        ['tasks[2].nodeClass', 11, 5, ['c']],
        ['tasks[3].dependsOn[1]', 16, 20, ['d']],
      ],
    );
    assert.match(body.issues[1].message, /unknown task "cc"; did you mean "c"\?/);
    // The drawing leaves out the edge to the task that does not exist.
    assert.deepEqual(
      body.plan.edges.filter(([, to]: string[]) => to === 'd'),
      [['b', 'd']],
    );
  });

  test('a schema error: an unknown field, at its line, and no plan', async () => {
    const text = DIAMOND.replace('    command: echo c\n', '    colour: red\n');
    const { body } = await plan(text);
    assert.equal(body.valid, false);
    assert.equal(body.plan, undefined, 'no plan for a spec whose shape is wrong');
    const unknown = body.issues.find((i: any) => i.field === 'tasks[2].colour');
    assert.ok(unknown, JSON.stringify(body.issues));
    assert.equal(unknown.line, 13);
  });

  test('a matrix is expanded into its branches', async () => {
    const text = `name: matrix
tasks:
  - id: build
    nodeClass: a
    command: make
  - id: test
    nodeClass: a
    dependsOn: [build]
    matrix: { os: [linux, mac], node: [20, 22] }
    command: echo \${{ matrix.os }}
  - id: ship
    nodeClass: a
    dependsOn: [test]
    command: ship
`;
    const { body } = await plan(text);
    assert.equal(body.valid, true, JSON.stringify(body.issues));
    assert.deepEqual(
      body.plan.nodes.map((n: any) => n.key),
      ['build', 'test[0]', 'test[1]', 'test[2]', 'test[3]', 'ship'],
    );
    assert.equal(body.plan.edges.length, 8);
    assert.ok(body.plan.nodes.filter((n: any) => n.task === 'test').every((n: any) => n.layer === 1 && n.line === 6));
  });

  test('JSON bodies are planned too, with positions in the JSON text', async () => {
    const spec = { name: 'j', tasks: [{ id: 'a', nodeClass: 'a', command: 'x', dependsOn: ['zz'] }] };
    const { body } = await plan(JSON.stringify(spec, null, 2), 'application/json');
    assert.equal(body.valid, false);
    assert.equal(body.issues[0].field, 'tasks[0].dependsOn[0]');
    assert.equal(body.issues[0].line, 9);
  });

  test('a task spec: validated, and planned as one node', async () => {
    const good = await plan('name: hello\nnodeClass: a\ncommand: echo hi\n');
    assert.equal(good.body.valid, true);
    assert.equal(good.body.kind, 'task');
    assert.deepEqual(
      good.body.plan.nodes.map((n: any) => [n.key, n.layer]),
      [['hello', 0]],
    );
    const bad = await plan('nodeClass: gpu\nscript: x\ncommand: y\n');
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.kind, 'task');
    assert.deepEqual(
      bad.body.issues.map((i: any) => [i.field, i.line]),
      [
        ['nodeClass', 1],
        ['command', 3],
      ],
    );
  });

  test('text that is not YAML or JSON is a 400 naming the line; another media type a 415', async () => {
    const yaml = await plan('name: x\ntasks: [a, {b: }\n  - : :\n');
    assert.equal(yaml.status, 400);
    assert.equal(yaml.body.error.code, 'malformed_yaml');
    assert.equal(typeof yaml.body.error.details[0].line, 'number');
    const json = await plan('{"name": ', 'application/json');
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'malformed_json');
    assert.equal((await plan('name: x', 'text/plain')).status, 415);
  });

  test('a viewer may plan (it changes nothing) but not start; planning writes no audit row', async () => {
    const audited = async () =>
      Number((await stack.db.query("SELECT count(*) AS n FROM audit_log WHERE path = '/v1/dags/plan'")).rows[0].n);
    const viewed = await plan(DIAMOND, 'application/yaml', viewerToken);
    assert.equal(viewed.status, 200);
    assert.equal(viewed.body.valid, true);
    const start = await fetch(`${stack.baseUrl}/v1/dags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml', Authorization: `Bearer ${viewerToken}` },
      body: DIAMOND,
    });
    assert.equal(start.status, 403);
    assert.equal(await audited(), 0);
    const anonymous = await fetch(`${stack.baseUrl}/v1/dags/plan`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: DIAMOND,
    });
    assert.equal(anonymous.status, 401);
  });

  test('nothing above started a run', async () => {
    assert.equal(await stack.countRuns(), runsBefore);
  });

  test('POST /v1/tasks takes the YAML the editor plans, as POST /v1/dags does', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml', Authorization: `Bearer ${stack.adminToken}` },
      body: 'name: from-yaml\nnodeClass: a\ncommand: echo hi\n',
    });
    assert.equal(response.status, 202, await response.clone().text());
    const { runId } = (await response.json()) as any;
    const run = await stack.request('GET', `/v1/runs/${runId}`);
    assert.equal(run.body.name, 'from-yaml');
    assert.equal(await stack.countRuns(), runsBefore + 1);
  });
});

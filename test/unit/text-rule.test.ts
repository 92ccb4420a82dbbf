/** The text rule: NUL, lone surrogates and `__proto__` keys are named wherever they are, in bodies, schemas and paths. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBody } from '../../api/input/parse-body';
import { parameterAt } from '../../api/input/text-params';
import { PipelineSpecSchema } from '../../workflows/contracts/pipeline-spec';
import { TaskSpecSchema } from '../../workflows/contracts/task-spec';
import { MAX_TEXT_ISSUES, textIssues, textProblem } from '../../workflows/contracts/text-rule';

describe('textProblem', () => {
  test('accepts any well-formed text, surrogate pairs included', () => {
    for (const text of ['', 'plain', 'tab\tnewline\n', 'é 😀 \ud83d\ude00', '\u{10FFFF}', '\uFFFD'])
      assert.equal(textProblem(text), undefined, text);
  });

  test('refuses NUL and unpaired surrogates anywhere in the text', () => {
    for (const text of ['\0', 'a\0', '\0b']) assert.match(textProblem(text) ?? '', /NUL/);
    for (const text of ['\ud800', 'a\udbff', '\udc00b', '\ude00\ud83d', 'x\ud83d\ud83d\ude00'])
      assert.match(textProblem(text) ?? '', /surrogate/, JSON.stringify(text));
  });
});

describe('textIssues', () => {
  test('names each bad string and key by its path, in document order', () => {
    const issues = textIssues({
      name: 'ok',
      labels: { team: 'a\0' },
      tasks: [{ matrix: { os: ['linux', '\ud800'] } }],
      env: { ['X\0']: '1' },
    });
    assert.deepEqual(
      issues.map((i) => i.path),
      [
        ['labels', 'team'],
        ['tasks', 0, 'matrix', 'os', 1],
        ['env', 'X\0'],
      ],
    );
    assert.match(issues[2]!.message, /^key /);
  });

  test('refuses __proto__ as a key at any depth; constructor and prototype are ordinary keys', () => {
    const env = JSON.parse('{"__proto__":{"x":"1"},"constructor":"c","prototype":"p"}');
    assert.deepEqual(
      textIssues({ env }).map((i) => i.path),
      [['env', '__proto__']],
    );
    assert.match(textIssues({ env })[0]!.message, /reserved/);
  });

  test('stops at a bounded number of issues and survives self-referencing values', () => {
    assert.equal(textIssues(Array.from({ length: 1000 }, () => '\0')).length, MAX_TEXT_ISSUES);
    const loop: Record<string, unknown> = { bad: '\0' };
    loop.self = loop;
    assert.equal(textIssues(loop).length, 1);
  });

  test('the root path prefixes every issue', () => {
    assert.deepEqual(textIssues({ action: 'x\0' }, ['query'])[0]!.path, ['query', 'action']);
  });
});

describe('the rule in the spec schemas', () => {
  test('a task spec with a NUL in its name or a label fails its schema, naming the field', () => {
    const result = TaskSpecSchema.safeParse({
      nodeClass: 'a',
      command: 'true',
      name: 'a\0b',
      labels: { team: '\ud800' },
    });
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues.map((i) => i.path.join('.')).sort(), ['labels.team', 'name']);
  });

  test('a pipeline file with a NUL (YAML "\\0") fails its schema', () => {
    const result = PipelineSpecSchema.safeParse({
      name: 'p',
      jobs: { build: { 'runs-on': 'a', steps: [{ run: 'echo \0' }] } },
    });
    assert.equal(result.success, false);
    assert.equal(result.error!.issues[0]!.path.join('.'), 'jobs.build.steps.0.run');
  });
});

describe('parseBody', () => {
  test('JSON and YAML bodies are held to the same rule', () => {
    const json = parseBody({ text: '{"labels":{"team":"a\\u0000"}}', format: 'json' });
    const yaml = parseBody({ text: 'labels:\n  team: "a\\0"\n', format: 'yaml' });
    for (const outcome of [json, yaml])
      assert.deepEqual(outcome, {
        kind: 'invalid',
        issues: [{ field: 'labels.team', message: 'must not contain NUL (\\0) characters' }],
      });
  });

  test('duplicate keys are refused in both formats; a value over its size bound is reported, not returned', () => {
    assert.deepEqual(parseBody({ text: '{"a":1,"a":2}', format: 'json' }).kind, 'invalid');
    assert.equal(parseBody({ text: 'a: 1\na: 2\n', format: 'yaml' }).kind, 'malformed');
    assert.deepEqual(parseBody({ text: '{"a":"0123456789"}', format: 'json', maxValueBytes: 10 }), {
      kind: 'too-large',
      bytes: 18,
    });
  });

  test('a YAML alias inside the node it names is refused, not handed on as a cyclic value', () => {
    const outcome = parseBody({ text: 'a: &x\n  b: *x\n', format: 'yaml' });
    assert.equal(outcome.kind, 'malformed');
    assert.match(JSON.stringify(outcome), /alias refers to a node that contains it/);
  });
});

describe('parameterAt', () => {
  const routes = ['/v1/runs/:id/attempts', '/v1/runs/:id', '/v1/stacks/:project/:stack', '/v1/repositories/*name'].map(
    (r) => r.split('/'),
  );
  test('names the route parameter at the bad segment, or the path when no route matches', () => {
    assert.equal(parameterAt(routes, '/v1/runs/a%00b/attempts'.split('/'), 3), 'path.id');
    assert.equal(parameterAt(routes, '/v1/runs/a%00b/'.split('/'), 3), 'path.id');
    assert.equal(parameterAt(routes, '/v1/stacks/p/s%00'.split('/'), 4), 'path.stack');
    assert.equal(parameterAt(routes, '/v1/repositories/acme/w%00b'.split('/'), 4), 'path.name');
    assert.equal(parameterAt(routes, '/v1/nothing/a%00'.split('/'), 3), 'path');
  });
});

/** DAG expressions and templates: parsing, evaluation, references, rendering and error positions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  evaluate,
  evaluateCondition,
  ExpressionError,
  expressionReferences,
  hasTemplate,
  parseExpression,
  parseTemplate,
  renderTemplate,
  templateReferences,
  type EvalContext,
} from '../../workflows/dag/expression';

const ctx: EvalContext = {
  tasks: {
    build: {
      status: 'succeeded',
      outputs: { version: '1.2.3', count: '10', 'image.tag-name': 'v1', 'any name': 'spaced', empty: '' },
    },
    lint: { status: 'failed', outputs: {} },
    'deploy-prod': { status: 'skipped', outputs: { url: 'https://x' } },
    test: {
      status: 'succeeded',
      outputs: [{ result: 'ok', shard: '1' }, { shard: '2' }, { result: 'bad', shard: '3' }],
    },
  },
  matrix: { os: 'linux', n: 3, big: true },
  dependencyStatuses: ['succeeded', 'succeeded'],
};

const ev = (source: string, context: EvalContext = ctx): unknown => evaluate(parseExpression(source), context);

function throwsAt(fn: () => unknown, position: number, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `not an ExpressionError: ${String(err)}`);
    assert.equal(err.position, position, err.message);
    assert.match(err.message, message);
    assert.ok(err.message.endsWith(` at ${position}`), err.message);
    return true;
  });
}

describe('literals', () => {
  test('strings, with doubled quotes', () => {
    assert.equal(ev("'it''s'"), "it's");
    assert.equal(ev("''''"), "'");
    assert.equal(ev("''"), '');
    assert.equal(ev("'a b && c'"), 'a b && c');
  });
  test('numbers, booleans and null', () => {
    assert.equal(ev('42'), 42);
    assert.equal(ev('-1.5'), -1.5);
    assert.equal(ev('true'), true);
    assert.equal(ev('false'), false);
    assert.equal(ev('null'), null);
  });
});

describe('references', () => {
  test('status, one output, whole outputs and matrix values', () => {
    assert.equal(ev('tasks.build.status'), 'succeeded');
    assert.equal(ev('tasks.build.outputs.version'), '1.2.3');
    assert.deepEqual(ev('tasks.lint.outputs'), {});
    assert.equal(ev('tasks.build.outputs.image.tag-name'), 'v1');
    assert.equal(ev("tasks.build.outputs[ 'any name' ]"), 'spaced');
    assert.equal(ev('tasks.deploy-prod.outputs.url'), 'https://x');
    assert.equal(ev('matrix.os'), 'linux');
    assert.equal(ev('matrix.n'), 3);
  });
  test('unknown tasks, outputs and matrix keys are null, also for inherited property names', () => {
    assert.equal(ev('tasks.nope.status'), null);
    assert.equal(ev('tasks.build.outputs.nope'), null);
    assert.equal(ev('tasks.constructor.status'), null);
    assert.equal(ev('tasks.build.outputs.toString'), null);
    assert.equal(ev('matrix.arch'), null);
    assert.equal(ev('matrix.os', { tasks: {}, dependencyStatuses: [] }), null);
  });
  test('a matrix task gathers one value per branch, null where a branch lacks it', () => {
    assert.deepEqual(ev('tasks.test.outputs.result'), ['ok', null, 'bad']);
    assert.deepEqual(ev('tasks.test.outputs'), ctx.tasks.test!.outputs);
    assert.equal(ev("contains(tasks.test.outputs.result, 'bad')"), true);
    assert.equal(ev("contains(tasks.test.outputs.result, 'ba')"), false);
  });
  test('extraction covers dashed ids, dotted names and index syntax, each reference once', () => {
    const expr = parseExpression(
      "tasks.deploy-prod.status == 'x' && tasks.build.outputs['any name'] != tasks.build.outputs.image.tag-name" +
        ' || contains(tasks.test.outputs, matrix.os) || !tasks.deploy-prod.status',
    );
    assert.deepEqual(expressionReferences(expr), [
      { kind: 'task-status', task: 'deploy-prod' },
      { kind: 'task-outputs', task: 'build', output: 'any name' },
      { kind: 'task-outputs', task: 'build', output: 'image.tag-name' },
      { kind: 'task-outputs', task: 'test' },
      { kind: 'matrix', key: 'os' },
    ]);
    assert.deepEqual(expressionReferences(parseExpression("'tasks.a.status' == success()")), []);
  });
});

describe('operators', () => {
  test('== and != compare numbers and booleans by value, everything else as text', () => {
    assert.equal(ev("tasks.build.status == 'succeeded'"), true);
    assert.equal(ev("tasks.build.status != 'succeeded'"), false);
    assert.equal(ev("'Succeeded' == 'succeeded'"), false);
    assert.equal(ev('tasks.build.outputs.count == 10'), true);
    assert.equal(ev("matrix.n == '3'"), true);
    assert.equal(ev('matrix.n == 3.0'), true);
    assert.equal(ev("'3.0' == 3"), false);
    assert.equal(ev("matrix.big == 'true'"), true);
    assert.equal(ev('true == 1'), false);
    assert.equal(ev("null == ''"), true);
    assert.equal(ev("tasks.build.outputs.nope == ''"), true);
    assert.equal(ev('tasks.build.outputs.empty == null'), true);
    assert.equal(ev("null == 'null'"), false);
    assert.equal(ev('null == false'), false);
  });
  test('ordering is numeric, converting numeric strings; anything else is false', () => {
    assert.equal(ev('tasks.build.outputs.count > 9'), true);
    assert.equal(ev("tasks.build.outputs.count < '9'"), false);
    assert.equal(ev("' 2.5 ' <= 2.5"), true);
    assert.equal(ev("'-3' >= -3"), true);
    assert.equal(ev('matrix.n < 3'), false);
    assert.equal(ev("'abc' < 1"), false);
    assert.equal(ev("'abc' >= 1"), false);
    assert.equal(ev('null < 1'), false);
  });
  test('&& and || short-circuit and yield an operand', () => {
    assert.equal(ev("tasks.build.outputs.empty || 'fallback'"), 'fallback');
    assert.equal(ev("tasks.build.outputs.version || 'fallback'"), '1.2.3');
    assert.equal(ev("tasks.build.outputs.version && 'yes'"), 'yes');
    assert.equal(ev('0 && true'), 0);
    assert.equal(ev('true && false'), false);
    assert.equal(ev('false || false'), false);
  });
  test('truthiness: false, null, 0 and empty string are false, everything else true', () => {
    for (const source of ['false', 'null', '0', "''", 'tasks.nope.status', 'tasks.build.outputs.empty']) {
      assert.equal(evaluateCondition(parseExpression(source), ctx), false, source);
      assert.equal(ev(`!${source}`), true, source);
    }
    for (const source of ["'false'", "'0'", '1', '-0.5', 'true', 'tasks.lint.outputs', 'tasks.test.outputs.missing']) {
      assert.equal(evaluateCondition(parseExpression(source), ctx), true, source);
    }
  });
  test('precedence: ! binds tightest, then comparisons, ==, &&, ||', () => {
    assert.equal(ev('!false && false || true'), true);
    assert.equal(ev('!true && true || false'), false);
    assert.equal(ev('!(true && false)'), true);
    assert.equal(ev('true || true && false'), true);
    assert.equal(ev('(true || true) && false'), false);
    assert.equal(ev('1 < 2 == true'), true);
    assert.equal(ev("false == false && 'a' == 'a'"), true);
    assert.deepEqual(parseExpression('!matrix.x && matrix.y || matrix.z'), {
      type: 'binary',
      op: '||',
      left: {
        type: 'binary',
        op: '&&',
        left: { type: 'not', operand: { type: 'matrix', key: 'x' } },
        right: { type: 'matrix', key: 'y' },
      },
      right: { type: 'matrix', key: 'z' },
    });
  });
});

describe('functions', () => {
  test('contains, startsWith and endsWith work on text; contains also on lists', () => {
    assert.equal(ev("contains(tasks.build.outputs.version, '.2.')"), true);
    assert.equal(ev("contains(tasks.build.outputs.version, '4')"), false);
    assert.equal(ev("startsWith(tasks.build.outputs.version, '1.')"), true);
    assert.equal(ev("startsWith(tasks.build.outputs.version, '2')"), false);
    assert.equal(ev("endsWith(matrix.os, 'ux')"), true);
    assert.equal(ev("endsWith(matrix.os, 'lin')"), false);
    assert.equal(ev('contains(tasks.test.outputs.shard, 2)'), true);
    assert.equal(ev('contains(tasks.test.outputs.shard, 4)'), false);
  });
  test('success, failure and always look at the direct dependencies', () => {
    const deps = (...dependencyStatuses: string[]): EvalContext => ({ ...ctx, dependencyStatuses });
    assert.equal(ev('success()', deps('succeeded', 'succeeded')), true);
    assert.equal(ev('success()', deps('succeeded', 'skipped')), false);
    assert.equal(ev('failure()', deps('succeeded', 'skipped')), false);
    assert.equal(ev('failure()', deps('succeeded', 'failed')), true);
    assert.equal(ev('success()', deps('failed')), false);
    assert.equal(ev('always()', deps('failed', 'cancelled')), true);
    assert.equal(ev('success() || failure()', deps('cancelled')), false);
  });
});

describe('templates', () => {
  test('several parts with literal text around them', () => {
    const parts = parseTemplate(
      'deploy ${{ tasks.build.outputs.version }} to ${{matrix.os}}-${{ matrix.n }}${{ tasks.nope.status }}!',
    );
    assert.equal(parts.length, 8);
    assert.deepEqual(parts[0], { text: 'deploy ' });
    assert.deepEqual(parts[4], { text: '-' });
    assert.deepEqual(parts[7], { text: '!' });
    assert.equal(renderTemplate(parts, ctx), 'deploy 1.2.3 to linux-3!');
    assert.deepEqual(parseTemplate('no templates here'), [{ text: 'no templates here' }]);
    assert.equal(renderTemplate(parseTemplate("${{ '}}' }}"), ctx), '}}');
  });
  test('a matrix gather renders as a JSON list, maps as JSON objects', () => {
    assert.equal(renderTemplate(parseTemplate('r=${{ tasks.test.outputs.result }}'), ctx), 'r=["ok",null,"bad"]');
    assert.equal(renderTemplate(parseTemplate('${{ tasks.lint.outputs }}|${{ matrix.big }}'), ctx), '{}|true');
  });
  test('template references collect every part, each once', () => {
    const parts = parseTemplate(
      "${{ tasks.a.status }} ${{ matrix.k }} ${{ tasks.a.status == 'x' && tasks.b-c.outputs['n m'] }}",
    );
    assert.deepEqual(templateReferences(parts), [
      { kind: 'task-status', task: 'a' },
      { kind: 'matrix', key: 'k' },
      { kind: 'task-outputs', task: 'b-c', output: 'n m' },
    ]);
  });
  test('hasTemplate', () => {
    assert.equal(hasTemplate('echo ${{ matrix.os }}'), true);
    assert.equal(hasTemplate('echo ${HOME} {{ x }}'), false);
  });
});

describe('errors carry the position of the problem', () => {
  test('unclosed parenthesis', () =>
    throwsAt(() => parseExpression("(tasks.a.status == 'x'"), 22, /^expected '\)', found end of input/));
  test('unclosed ${{ and trailing text inside one, positioned in the whole string', () => {
    throwsAt(() => parseTemplate('echo ${{ matrix.os }} ${{ tasks.a.status'), 22, /^unclosed '\$\{\{'/);
    throwsAt(() => parseTemplate('echo ${{ matrix.os x }}'), 19, /^expected '}}', found 'x'/);
    throwsAt(() => parseTemplate('ab ${{ }}'), 7, /^expected a value/);
  });
  test('unknown function and wrong argument count', () => {
    throwsAt(() => parseExpression('true && foo(1)'), 8, /^unknown function 'foo'/);
    throwsAt(() => parseExpression("1 == 1 || contains('a')"), 10, /expected 2 argument\(s\) to contains\(\), found 1/);
  });
  test('trailing garbage', () => {
    throwsAt(() => parseExpression("matrix.os == 'x' y"), 17, /^expected end of expression, found 'y'/);
    throwsAt(() => parseExpression('1 = 1'), 2, /found '='/);
  });
  test('a bare identifier', () =>
    throwsAt(
      () => parseExpression('  foo'),
      2,
      /^expected a literal, 'tasks\.<id>\.\.\.', 'matrix\.<key>' or a function call, found 'foo'/,
    ));
  test('malformed references, strings and numbers', () => {
    throwsAt(() => parseExpression('tasks.a.state'), 8, /^expected 'status' or 'outputs', found 'state'/);
    throwsAt(() => parseExpression('tasks.9a.status'), 6, /^expected a task id/);
    throwsAt(() => parseExpression('tasks.a.outputs[name]'), 16, /^expected a quoted output name/);
    throwsAt(() => parseExpression('matrix.'), 7, /^expected a matrix key, found end of input/);
    throwsAt(() => parseExpression("1 == 'abc"), 5, /^unterminated string/);
    throwsAt(() => parseExpression('12ab'), 0, /^expected a number/);
    throwsAt(() => parseExpression('-x'), 1, /^expected a digit/);
    throwsAt(() => parseExpression(''), 0, /^expected a value, found end of input/);
  });
});

describe('the AST is plain JSON', () => {
  test('it round-trips through JSON and evaluates the same', () => {
    const sources = [
      "!(tasks.build.outputs.version == '1.2.3') || contains(tasks.test.outputs.result, 'ok') && matrix.n >= 3",
      "tasks.build.outputs['any name'] || null",
      'tasks.test.outputs',
      'success() && !failure() && always()',
      "startsWith(tasks.build.outputs.image.tag-name, 'v') && endsWith('it''s', 's') && -1.5 < 0",
    ];
    for (const source of sources) {
      const expr = parseExpression(source);
      const copy = JSON.parse(JSON.stringify(expr));
      assert.deepEqual(copy, expr, source);
      assert.deepEqual(evaluate(copy, ctx), evaluate(expr, ctx), source);
      assert.deepEqual(expressionReferences(copy), expressionReferences(expr), source);
    }
    const parts = parseTemplate('v=${{ tasks.test.outputs.result }} os=${{ matrix.os }}');
    const copy = JSON.parse(JSON.stringify(parts));
    assert.deepEqual(copy, parts);
    assert.equal(renderTemplate(copy, ctx), 'v=["ok",null,"bad"] os=linux');
  });
});

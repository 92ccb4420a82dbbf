/** The JSON scanner: JSON.parse's values, plus duplicate keys, depth and syntax refused with the place named. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonScanError, MAX_JSON_DEPTH, scanJson } from '../../api/input/json-scan';

function refusal(text: string): JsonScanError {
  try {
    scanJson(text);
  } catch (err) {
    assert.ok(err instanceof JsonScanError, String(err));
    return err;
  }
  assert.fail(`accepted ${text}`);
}

describe('scanJson', () => {
  test('reads what JSON.parse reads, to the same value', () => {
    const texts = [
      '{}',
      '[]',
      '0',
      '-0.5e+3',
      '1E2',
      'true',
      'false',
      'null',
      '"plain"',
      ' \t\n\r{ "a" : [ 1 , 2.5 , { "b" : null } ] } ',
      '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 end"',
      '"é 😀 unescaped"',
      '{"__proto__x":1,"constructor":"c"}',
      JSON.stringify({ name: 'dag', tasks: [{ id: 'a', env: { X: 'y' }, matrix: { n: [1, 'two', false] } }] }),
    ];
    for (const text of texts) assert.deepEqual(scanJson(text), JSON.parse(text), text);
  });

  test('a key given twice in one object is refused with its path; the same key in two objects is fine', () => {
    const twice = refusal('{"nodeClass":"nope","command":"x","nodeClass":"general"}');
    assert.equal(twice.kind, 'duplicate');
    assert.equal(twice.field, 'nodeClass');
    assert.match(twice.message, /twice/);
    assert.equal(refusal('{"tasks":[{"id":"a"},{"id":"b","env":{"A":"1","A":"2"}}]}').field, 'tasks[1].env.A');
    assert.equal(refusal('{"a":1,"\\u0061":2}').field, 'a', 'an escaped spelling is the same key');
    assert.deepEqual(scanJson('{"a":{"k":1},"b":{"k":2}}'), { a: { k: 1 }, b: { k: 2 } });
  });

  test('__proto__ stays an own key, as with JSON.parse, and never becomes the prototype', () => {
    const value = scanJson('{"env":{"__proto__":{"polluted":"yes"}}}') as { env: Record<string, unknown> };
    assert.deepEqual(Object.keys(value.env), ['__proto__']);
    assert.equal(Object.getPrototypeOf(value.env), Object.prototype);
    assert.equal((value.env as { polluted?: string }).polluted, undefined);
    assert.equal(({} as { polluted?: string }).polluted, undefined);
  });

  test('NUL and lone surrogates are read as sent, for the text rule to name', () => {
    assert.equal(scanJson('"a\\u0000b"'), 'a\0b');
    assert.equal(scanJson('"\\ud800"'), '\ud800');
  });

  test('nesting is limited, without overflowing the stack on a body of brackets', () => {
    assert.doesNotThrow(() => scanJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)));
    const deep = refusal('{"a":' + '['.repeat(1_000_000));
    assert.equal(deep.kind, 'depth');
    assert.match(deep.field, /^a(\[0\])+$/);
  });

  test('syntax errors say what and where', () => {
    const cases: [string, RegExp][] = [
      ['', /end of the body/],
      ['{', /expected a key/],
      ['{"a" 1}', /expected ":"/],
      ['{"a":1,}', /expected a key/],
      ['[1,]', /unexpected/],
      ['[1 2]', /expected "," or "]"/],
      ['{"a":1} x', /after the JSON value/],
      ["{'a':1}", /double quotes/],
      ['"open', /not closed/],
      ['"tab\there"', /control character/],
      ['"\\x41"', /not a JSON escape/],
      ['"\\u12"', /four hexadecimal/],
      ['01', /after the JSON value/],
      ['-', /unexpected/],
      ['NaN', /unexpected/],
      ['tru', /unexpected/],
    ];
    for (const [text, message] of cases) {
      const err = refusal(text);
      assert.equal(err.kind, 'syntax', text);
      assert.equal(err.field, '(body)');
      assert.match(err.message, message, text);
    }
    assert.match(refusal('{\n  "a": 1,\n  "b": ?\n}').message, /line 3, column 8/);
  });

  test('a 16 MB body is read in well under the time JSON.parse takes ten times over', () => {
    const tasks = Array.from({ length: 120_000 }, (_, i) => ({
      id: `t${i}`,
      nodeClass: 'a',
      command: `echo "${i}\\n"`,
      dependsOn: [`t${i - 1}`],
    }));
    const text = JSON.stringify({ name: 'big', tasks });
    assert.ok(text.length > 10_000_000);
    let started = performance.now();
    JSON.parse(text);
    const native = performance.now() - started;
    started = performance.now();
    const value = scanJson(text) as { tasks: unknown[] };
    const ours = performance.now() - started;
    assert.equal(value.tasks.length, 120_000);
    assert.ok(ours < native * 10, `scanJson took ${ours.toFixed(0)} ms, JSON.parse ${native.toFixed(0)} ms`);
  });
});

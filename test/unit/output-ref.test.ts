/** Output references: their one format, finding them inside rendered text, and where their content lives. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  findOutputRefs,
  formatOutputRef,
  outputRefPath,
  parseOutputRef,
  replaceOutputRefs,
} from '../../workflows/contracts/output-ref';

const HEX = 'ab'.repeat(32);
const OTHER = '0f'.repeat(32);
const ref = formatOutputRef({ sha256: HEX, bytes: 3_145_728 });

describe('output references', () => {
  test('format and parse are inverses', () => {
    assert.equal(ref, `capstan-ref:sha256:${HEX}:3145728`);
    assert.deepEqual(parseOutputRef(ref), { sha256: HEX, bytes: 3_145_728 });
  });

  test('parse accepts only a whole, well-formed reference', () => {
    for (const bad of [
      `x${ref}`,
      `${ref} `,
      `capstan-ref:sha256:${HEX.toUpperCase()}:1`,
      `capstan-ref:sha256:${HEX.slice(1)}:1`,
      `capstan-ref:sha256:${HEX}:01`,
      `capstan-ref:sha256:${HEX}:`,
      `capstan-ref:sha256:${HEX}:12345678901234567`,
      `capstan-ref:md5:${HEX}:1`,
      '',
    ])
      assert.equal(parseOutputRef(bad), undefined, bad);
    assert.deepEqual(parseOutputRef(`capstan-ref:sha256:${HEX}:0`), { sha256: HEX, bytes: 0 });
  });

  test('finds every reference in a text, in order, and again on the next call', () => {
    const second = formatOutputRef({ sha256: OTHER, bytes: 5 });
    const text = `cat <<EOF\n${ref}\nEOF\necho "${second}"; echo ${ref}`;
    assert.deepEqual(findOutputRefs(text), [ref, second, ref]);
    assert.deepEqual(findOutputRefs(text), [ref, second, ref], 'no state carried between calls');
    assert.deepEqual(findOutputRefs('no references, capstan-ref:sha256:short:1'), []);
  });

  test('replaces each reference by its content, inserting `$&` and `$1` as written', () => {
    const text = `A=${ref} B=${ref}.`;
    assert.equal(
      replaceOutputRefs(text, () => 'x$&$1y'),
      'A=x$&$1y B=x$&$1y.',
    );
  });

  test('content lives at sha256/<first 2 hex>/<64 hex>', () => {
    assert.equal(outputRefPath({ sha256: HEX, bytes: 1 }), `sha256/ab/${HEX}`);
  });
});

/** The output store on a real directory, the offloading of large outputs, and the expansion of references before a command runs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InvalidTaskError } from '../../activities/shell/attempt-files';
import { expandReferences, MAX_ARG_STRLEN } from '../../activities/shell/expand-references';
import { MAX_INLINE_OUTPUTS_BYTES, offloadOutputs } from '../../activities/shell/offload-outputs';
import { OutputFileError } from '../../activities/shell/output-file';
import { LocalOutputStore as OutputStore } from '../../config/outputs/local-output-store';
import { StoredOutputMissingError } from '../../config/outputs/output-store';
import { formatOutputRef, parseOutputRef } from '../../workflows/contracts/output-ref';
import { TaskSpecSchema } from '../../workflows/contracts/task-spec';

const dir = mkdtempSync(join(tmpdir(), 'capstan-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const store = new OutputStore(dir);

describe('OutputStore', () => {
  test('put stores the UTF-8 bytes under their SHA-256, and get returns them', async () => {
    const value = 'héllo\nworld';
    const reference = await store.put(value);
    const sha = createHash('sha256').update(value, 'utf8').digest('hex');
    assert.equal(reference, formatOutputRef({ sha256: sha, bytes: Buffer.byteLength(value) }));
    assert.equal(readFileSync(join(dir, 'sha256', sha.slice(0, 2), sha), 'utf8'), value);
    assert.equal(await store.get(reference), value);
  });

  test('the same content is one file, and no temporary file is left', async () => {
    const a = await store.put('same');
    const b = await store.put('same');
    assert.equal(a, b);
    const sha = parseOutputRef(a)!.sha256;
    assert.deepEqual(readdirSync(join(dir, 'sha256', sha.slice(0, 2))), [sha]);
  });

  test('a missing or damaged file is StoredOutputMissingError naming the store; put repairs a damaged one', async () => {
    const missing = formatOutputRef({ sha256: '1'.repeat(64), bytes: 3 });
    await assert.rejects(
      store.get(missing),
      (err: Error) => err instanceof StoredOutputMissingError && err.message.includes(dir),
    );
    const reference = await store.put('twelve bytes');
    const sha = parseOutputRef(reference)!.sha256;
    writeFileSync(join(dir, 'sha256', sha.slice(0, 2), sha), 'cut');
    await assert.rejects(store.get(reference), /damaged .*: 3 bytes, not 12/);
    await store.put('twelve bytes');
    assert.equal(await store.get(reference), 'twelve bytes');
  });
});

describe('offloadOutputs', () => {
  test('values over the inline limit become references; small ones stay', async () => {
    const big = 'x'.repeat(20_000);
    const result = await offloadOutputs({ big, small: 'hi' }, store, 16_384);
    assert.equal(result.small, 'hi');
    assert.equal(parseOutputRef(result.big!)?.bytes, 20_000);
    assert.equal(await store.get(result.big!), big);
  });

  test('many mid-sized values: the largest are stored until the inline total fits 4 × the limit', async () => {
    const outputs: Record<string, string> = {};
    for (let i = 0; i < 40; i++) outputs[`v${String(i).padStart(2, '0')}`] = String(i % 10).repeat(1000 + i);
    const result = await offloadOutputs(outputs, new OutputStore(dir), 4096);
    const total = Object.entries(result).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    assert.ok(total <= 4 * 4096, `inline total ${total}`);
    const stored = Object.keys(result).filter((name) => parseOutputRef(result[name]!));
    assert.ok(stored.includes('v39') && !stored.includes('v00'), 'the largest went first');
    for (const name of stored) assert.equal(await store.get(result[name]!), outputs[name]);
  });

  test('thousands of tiny outputs that references cannot shrink fail naming the limit', async () => {
    const outputs = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`name_${i}`, 'v'.repeat(10)]));
    await assert.rejects(
      offloadOutputs(outputs, store, 16_384),
      (err: Error) => err instanceof OutputFileError && err.message.includes(`${MAX_INLINE_OUTPUTS_BYTES}-byte limit`),
    );
  });
});

describe('expandReferences', () => {
  const spec = (fields: Record<string, unknown>) => TaskSpecSchema.parse({ nodeClass: 'a', ...fields });

  test('replaces references in command, args, env and workingDirectory by their content', async () => {
    const name = await store.put('sub');
    const word = await store.put('$& is kept');
    const expanded = await expandReferences(
      spec({ command: `echo ${word}`, args: [`x${name}`], env: { V: word }, workingDirectory: name }),
      store,
    );
    assert.equal(expanded.command, 'echo $& is kept');
    assert.deepEqual(expanded.args, ['xsub']);
    assert.deepEqual(expanded.env, { V: '$& is kept' });
    assert.equal(expanded.workingDirectory, 'sub');
  });

  test('a large value is fine inside a script, which reaches bash as a file', async () => {
    const big = 'b'.repeat(3 * 1024 * 1024);
    const expanded = await expandReferences(spec({ script: `cat <<'EOF'\n${await store.put(big)}\nEOF` }), store);
    assert.equal(expanded.script, `cat <<'EOF'\n${big}\nEOF`);
  });

  test('a large value in env or args is refused naming the field, before any spawn', async () => {
    const big = await store.put('e'.repeat(3_145_728));
    await assert.rejects(
      expandReferences(spec({ command: 'true', env: { BIG: big } }), store),
      (err: Error) =>
        err instanceof InvalidTaskError &&
        err.message.startsWith(`env.BIG is 3145728 bytes after templates, over the ${MAX_ARG_STRLEN}-byte limit`) &&
        err.message.includes('use the value inside "script"'),
    );
    await assert.rejects(
      expandReferences(spec({ command: 'true', args: ['ok', big] }), store),
      /args\[1\] is 3145728 bytes/,
    );
  });

  test('the limit counts NAME= and the closing NUL, as the kernel does', async () => {
    const fits = 'f'.repeat(MAX_ARG_STRLEN - 1 - 'V='.length);
    await expandReferences(spec({ command: 'true', env: { V: await store.put(fits) } }), store);
    await assert.rejects(
      expandReferences(spec({ command: 'true', env: { V: await store.put(`${fits}f`) } }), store),
      /env\.V is/,
    );
  });

  test('a reference the store lacks is refused naming the field and the store', async () => {
    const missing = formatOutputRef({ sha256: '2'.repeat(64), bytes: 9 });
    await assert.rejects(
      expandReferences(spec({ command: 'true', env: { X: missing } }), store),
      (err: Error) =>
        err instanceof InvalidTaskError &&
        err.message.startsWith(`env.X: ${missing} is not in the output store ${dir}`) &&
        err.message.includes('CAPSTAN_OUTPUT_STORE_DIR'),
    );
  });
});

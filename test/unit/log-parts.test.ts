/** The pure parts of task logs: cutting output into lines however it arrives, and masking secrets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineSplitter, MAX_LINE_CHARS } from '../../activities/logs/line-splitter';
import { SecretMasker } from '../../activities/logs/secret-masker';

describe('line splitter', () => {
  test('lines split across reads, and a character split across reads, come out whole', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('héllo\nwor');
    assert.equal(splitter.push(bytes.subarray(0, 2)), undefined, 'half of é completes nothing');
    assert.deepEqual(splitter.push(bytes.subarray(2)), { text: 'héllo\n', lines: 1 });
    assert.deepEqual(splitter.push(Buffer.from('ld\n\nlast')), { text: 'world\n\n', lines: 2 });
    assert.deepEqual(splitter.end(), { text: 'last\n', lines: 1 });
    assert.equal(splitter.end(), undefined);
  });

  test('a line longer than the limit is broken, so one endless line cannot fill the memory', () => {
    const splitter = new LineSplitter();
    const first = splitter.push(Buffer.from('x'.repeat(MAX_LINE_CHARS + 10)));
    assert.deepEqual(first, { text: `${'x'.repeat(MAX_LINE_CHARS)}\n`, lines: 1 });
    assert.deepEqual(splitter.push(Buffer.from('y\n')), { text: `${'x'.repeat(10)}y\n`, lines: 1 });
  });

  test('NUL bytes become replacement characters (PostgreSQL text holds no NUL)', () => {
    assert.deepEqual(new LineSplitter().push(Buffer.from('a\0b\n')), { text: 'a\uFFFDb\n', lines: 1 });
  });
});

describe('secret masker', () => {
  test('values of variables named like secrets are masked; short values and other variables are not', () => {
    const masker = new SecretMasker();
    masker.addFromEnv({ DEPLOY_TOKEN: 'abc123xyz', DB_PASSWORD: 'on', HOME: '/root', NPM_TOKEN: undefined }, [
      '*_TOKEN',
      '*_PASSWORD',
    ]);
    assert.equal(masker.size, 1);
    assert.equal(masker.maskLines('token abc123xyz in /root, on\n'), 'token *** in /root, on\n');
  });

  test('a multi-line secret is masked line by line, the longest value first', () => {
    const masker = new SecretMasker();
    masker.add('-----BEGIN KEY-----\nMIIEsecretbody\n-----END KEY-----');
    masker.add('secret');
    assert.equal(masker.maskLines('MIIEsecretbody\nthe secret\n'), '***\nthe ***\n');
  });

  test('::add-mask:: masks a value from that line on, including the line itself', () => {
    const masker = new SecretMasker();
    assert.equal(
      masker.maskLines('before s3cr3t!\n  ::add-mask::s3cr3t!\nafter s3cr3t!\n'),
      'before ***\n  ::add-mask::***\nafter ***\n',
    );
    assert.equal(masker.mask('later s3cr3t!'), 'later ***');
  });
});

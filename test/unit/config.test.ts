/** Configuration is validated at the edge, and errors name the variable or the entry. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config/env';
import { loadNodeClasses, NodeClassConfigError, parseNodeClasses } from '../../config/node-classes';
import { REPO_ROOT } from '../../config/paths';
import { join } from 'node:path';
import { hostname } from 'node:os';

describe('node classes', () => {
  test('the shipped default has at least two valid classes', () => {
    const classes = loadNodeClasses(join(REPO_ROOT, 'config', 'node-classes.yaml'));
    assert.ok(classes.length >= 2);
    for (const c of classes) assert.ok(c.concurrency >= 1 && c.pricePerHour >= 0);
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'bad name',
      'nodeClasses:\n  - { name: GPU!, concurrency: 1, pricePerHour: 1 }',
      /nodeClasses\[0\]\.name: must be lowercase/,
    ],
    [
      'zero concurrency',
      'nodeClasses:\n  - { name: a, concurrency: 1, pricePerHour: 1 }\n  - { name: b, concurrency: 0, pricePerHour: 1 }',
      /nodeClasses\[1\]\.concurrency/,
    ],
    [
      'negative price',
      'nodeClasses:\n  - { name: a, concurrency: 1, pricePerHour: -2 }',
      /nodeClasses\[0\]\.pricePerHour/,
    ],
    [
      'duplicate',
      'nodeClasses:\n  - { name: a, concurrency: 1, pricePerHour: 1 }\n  - { name: a, concurrency: 1, pricePerHour: 1 }',
      /nodeClasses\[1\]\.name: duplicate node class "a"/,
    ],
    [
      'unknown field',
      'nodeClasses:\n  - { name: a, concurrency: 1, pricePerHour: 1, cores: 4 }',
      /nodeClasses\[0\]\.cores: is not a known field/,
    ],
    ['empty', 'nodeClasses: []', /nodeClasses: must declare at least one/],
    ['not YAML', 'nodeClasses: [', /not valid YAML/],
  ];
  for (const [name, text, message] of bad) {
    test(`rejects ${name}, naming the entry`, () => {
      assert.throws(
        () => parseNodeClasses(text, 'classes.yaml'),
        (err: Error) =>
          err instanceof NodeClassConfigError && err.message.startsWith('classes.yaml: ') && message.test(err.message),
      );
    });
  }
  test('a missing file names the variable that points at it', () => {
    assert.throws(() => loadNodeClasses('/nope/classes.yaml'), /CAPSTAN_NODE_CLASSES_FILE/);
  });
});

describe('environment', () => {
  test('defaults need no variables', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.api.port, 8080);
    assert.equal(config.dataDir, join(REPO_ROOT, '.capstan'));
  });
  test('the output store lives under the data directory unless set, with its limits', () => {
    const config = loadConfig({ CAPSTAN_DATA_DIR: '/srv/capstan' });
    assert.equal(config.worker.outputStoreDir, '/srv/capstan/outputs');
    assert.equal(config.worker.maxOutputFileBytes, 64 * 1024 * 1024);
    assert.equal(config.worker.inlineOutputBytes, 16_384);
    assert.equal(
      loadConfig({ CAPSTAN_OUTPUT_STORE_DIR: '/mnt/shared/outputs' }).worker.outputStoreDir,
      '/mnt/shared/outputs',
    );
    assert.throws(() => loadConfig({ CAPSTAN_INLINE_OUTPUT_BYTES: '1048576' }), /CAPSTAN_INLINE_OUTPUT_BYTES/);
  });
  test("npm start's logs are files under the data directory; CAPSTAN_VERBOSE also shows them, and takes only a flag", () => {
    assert.deepEqual(loadConfig({ CAPSTAN_DATA_DIR: '/srv/capstan' }).logs, {
      dir: '/srv/capstan/logs',
      verbose: false,
    });
    assert.equal(loadConfig({ CAPSTAN_VERBOSE: 'true' }).logs.verbose, true);
    assert.equal(loadConfig({ CAPSTAN_VERBOSE: '0' }).logs.verbose, false);
    assert.throws(
      () => loadConfig({ CAPSTAN_VERBOSE: 'loud' }),
      (err: Error) => err instanceof ConfigError && /CAPSTAN_VERBOSE/.test(err.message),
    );
  });
  test('found tokens are looked up on every request unless CAPSTAN_API_TOKEN_CACHE_MS says how long to reuse them', () => {
    assert.equal(loadConfig({}).auth.tokenCacheMs, 0);
    assert.equal(loadConfig({ CAPSTAN_API_TOKEN_CACHE_MS: '2000' }).auth.tokenCacheMs, 2000);
    for (const bad of ['-1', '60001', '2s', '1.5'])
      assert.throws(
        () => loadConfig({ CAPSTAN_API_TOKEN_CACHE_MS: bad }),
        (err: Error) => err instanceof ConfigError && /CAPSTAN_API_TOKEN_CACHE_MS/.test(err.message),
        bad,
      );
  });
  test('console sessions last CAPSTAN_SESSION_HOURS (12 by default, 1 to 8760) and take a Secure flag', () => {
    assert.equal(loadConfig({}).auth.sessionHours, 12);
    assert.equal(loadConfig({}).auth.secureCookie, false);
    assert.equal(loadConfig({ CAPSTAN_SESSION_HOURS: '8' }).auth.sessionHours, 8);
    assert.equal(loadConfig({ CAPSTAN_SESSION_COOKIE_SECURE: 'true' }).auth.secureCookie, true);
    for (const bad of ['0', '8761', '1.5', '12h', ''])
      assert.throws(
        () => loadConfig({ CAPSTAN_SESSION_HOURS: bad }),
        (err: Error) => err instanceof ConfigError && /CAPSTAN_SESSION_HOURS/.test(err.message),
        bad,
      );
    assert.throws(() => loadConfig({ CAPSTAN_SESSION_COOKIE_SECURE: 'yes' }), /CAPSTAN_SESSION_COOKIE_SECURE/);
  });
  test('worker reports: every 15 s, lost after three missed and a little, kept 24 h, from the host name unless set', () => {
    const fleet = loadConfig({}).fleet;
    assert.deepEqual(fleet, {
      host: hostname(),
      reportIntervalSeconds: 15,
      reportRetentionHours: 24,
      lostAfterSeconds: 50,
    });
    const set = loadConfig({ CAPSTAN_WORKER_HOST: 'db-1', CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS: '2' }).fleet;
    assert.equal(set.host, 'db-1');
    assert.equal(set.lostAfterSeconds, 11, 'follows the interval');
    assert.equal(loadConfig({ CAPSTAN_WORKER_LOST_AFTER_SECONDS: '7' }).fleet.lostAfterSeconds, 7);
    const bad: Array<[string, string]> = [
      ['CAPSTAN_WORKER_HOST', 'db 1'],
      ['CAPSTAN_WORKER_HOST', '-db'],
      ['CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS', '0'],
      ['CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS', '1.5'],
      ['CAPSTAN_WORKER_REPORT_RETENTION_HOURS', '-1'],
      ['CAPSTAN_WORKER_LOST_AFTER_SECONDS', '0'],
    ];
    for (const [name, value] of bad)
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: Error) => err instanceof ConfigError && err.message.includes(name),
        `${name}=${value}`,
      );
  });
  test('the output store in a bucket needs the bucket, and takes the same settings as artifacts', () => {
    assert.throws(() => loadConfig({ CAPSTAN_OUTPUT_STORE: 's3' }), /CAPSTAN_OUTPUT_S3_BUCKET: is required/);
    assert.throws(() => loadConfig({ CAPSTAN_OUTPUT_STORE: 'nfs' }), /CAPSTAN_OUTPUT_STORE/);
    assert.throws(
      () => loadConfig({ CAPSTAN_OUTPUT_STORE: 's3', CAPSTAN_OUTPUT_S3_BUCKET: 'Bad_Bucket' }),
      /CAPSTAN_OUTPUT_S3_BUCKET: must be a bucket name/,
    );
    const config = loadConfig({
      CAPSTAN_OUTPUT_STORE: 's3',
      CAPSTAN_OUTPUT_S3_BUCKET: 'outputs',
      CAPSTAN_OUTPUT_S3_ENDPOINT: 'http://127.0.0.1:7070',
    });
    assert.deepEqual(config.worker.outputS3, {
      bucket: 'outputs',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:7070',
      prefix: undefined,
    });
    assert.equal(loadConfig({}).worker.outputS3, undefined, 'the directory by default');
  });
  test('bad values fail loudly, naming each variable', () => {
    assert.throws(
      () =>
        loadConfig({
          CAPSTAN_API_PORT: 'eighty',
          CAPSTAN_TEMPORAL_ADDRESS: 'nohostport',
          CAPSTAN_TEMPORAL_DEV_SERVER: 'maybe',
        }),
      (err: Error) =>
        err instanceof ConfigError &&
        /CAPSTAN_API_PORT/.test(err.message) &&
        /CAPSTAN_TEMPORAL_ADDRESS: must be host:port/.test(err.message) &&
        /CAPSTAN_TEMPORAL_DEV_SERVER/.test(err.message),
    );
  });
});

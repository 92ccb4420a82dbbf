/** Sealing a stack's secret config fields: round trip, other fields untouched, a wrong key named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configKeyFrom, openConfig, sealConfig } from '../../db/stores/stack-config-secrets';

const key = configKeyFrom('the passphrase');
const config = {
  adminUrl: 'postgres://admin:s3cret@db/postgres',
  database: 'app',
  password: 'hunter2-hunter2',
  port: 5432,
};

test('secret fields are sealed, others stay readable, and opening gives back the values', () => {
  const sealed = sealConfig(config, ['adminUrl', 'password'], key);
  assert.equal(sealed.database, 'app');
  assert.equal(sealed.port, 5432);
  assert.ok(
    !JSON.stringify(sealed).includes('s3cret') && !JSON.stringify(sealed).includes('hunter2'),
    JSON.stringify(sealed),
  );
  assert.match((sealed.adminUrl as { $sealed: string }).$sealed, /^v1:/);
  assert.deepEqual(openConfig(sealed, key), config);
  // Sealing again leaves sealed values as they are; two seals of one value differ (fresh IV).
  assert.deepEqual(sealConfig(sealed, ['adminUrl', 'password'], key), sealed);
  assert.notDeepEqual(sealConfig(config, ['password'], key).password, sealed.password);
});

test('a key from another passphrase cannot open it, and the error names the field', () => {
  const sealed = sealConfig(config, ['password'], key);
  assert.throws(
    () => openConfig(sealed, configKeyFrom('another passphrase')),
    /config field "password" was sealed with another key/,
  );
  const tampered = {
    ...sealed,
    password: { $sealed: (sealed.password as { $sealed: string }).$sealed.replace(/.$/, 'A') },
  };
  assert.throws(() => openConfig(tampered, key), /config field "password"/);
});

/** The shipped Pulumi programs' registry and config schemas: bad config is refused naming the field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findProgram, stackPrograms, validateProgramConfig } from '../../infra/programs';

const goodPostgres = {
  adminUrl: 'postgres://admin:pw@127.0.0.1:5432/postgres',
  database: 'app',
  role: 'app_owner',
  password: 'long enough',
};
const goodSite = { dir: '/tmp/site', message: 'hello', port: 8088 };

describe('program registry', () => {
  test('each program is listed under its own name, with a description and a schema', () => {
    assert.deepEqual(Object.keys(stackPrograms).sort(), ['local-site', 'postgres-database']);
    for (const [name, program] of Object.entries(stackPrograms)) {
      assert.equal(program.name, name);
      assert.match(program.description, /^[A-Z].*\.$/);
      assert.equal(findProgram(name), program);
    }
    assert.equal(findProgram('nope'), undefined);
    assert.equal(findProgram('toString'), undefined, 'no inherited property passes for a program');
  });

  test('secret fields are fields of the schema', () => {
    assert.deepEqual([...stackPrograms['postgres-database'].secretFields].sort(), ['adminUrl', 'password']);
    assert.deepEqual(stackPrograms['local-site'].secretFields, []);
  });
});

describe('config validation', () => {
  test('good configs parse', () => {
    const pg = validateProgramConfig(stackPrograms['postgres-database'], goodPostgres);
    assert.ok(pg.ok);
    assert.deepEqual(pg.config, goodPostgres);
    assert.ok(validateProgramConfig(stackPrograms['local-site'], goodSite).ok);
  });

  const bad: Array<[string, keyof typeof stackPrograms, unknown, string, RegExp]> = [
    [
      'a non-postgres admin URL',
      'postgres-database',
      { ...goodPostgres, adminUrl: 'mysql://x@h/db' },
      'config.adminUrl',
      /postgres:\/\//,
    ],
    [
      'an admin URL that is no URL',
      'postgres-database',
      { ...goodPostgres, adminUrl: 'not a url' },
      'config.adminUrl',
      /URL/,
    ],
    [
      'a quoted-only database name',
      'postgres-database',
      { ...goodPostgres, database: 'My-DB' },
      'config.database',
      /lowercase/,
    ],
    ['a too long role name', 'postgres-database', { ...goodPostgres, role: 'r'.repeat(64) }, 'config.role', /1-63/],
    ['a reserved role name', 'postgres-database', { ...goodPostgres, role: 'pg_monitor' }, 'config.role', /pg_/],
    ['a short password', 'postgres-database', { ...goodPostgres, password: 'short' }, 'config.password', /8-128/],
    [
      'a missing password',
      'postgres-database',
      { adminUrl: goodPostgres.adminUrl, database: 'app', role: 'app' },
      'config.password',
      /string/,
    ],
    ['an unknown field', 'postgres-database', { ...goodPostgres, owner: 'x' }, 'config.owner', /not a known field/],
    ['a relative dir', 'local-site', { ...goodSite, dir: 'site' }, 'config.dir', /absolute/],
    ['a privileged port', 'local-site', { ...goodSite, port: 80 }, 'config.port', /1024-65535/],
    ['a port as text', 'local-site', { ...goodSite, port: '8088' }, 'config.port', /number/],
    ['an empty message', 'local-site', { ...goodSite, message: '' }, 'config.message', /empty/],
  ];
  for (const [what, name, config, field, message] of bad) {
    test(`refuses ${what}, naming ${field}`, () => {
      const result = validateProgramConfig(findProgram(name)!, config);
      assert.equal(result.ok, false);
      if (result.ok) return;
      const issue = result.issues.find((i) => i.field === field);
      assert.ok(issue, `an issue for ${field} in ${JSON.stringify(result.issues)}`);
      assert.match(issue.message, message);
      assert.match(result.message, new RegExp(`^invalid config for program ${name}: .*${field.replace('.', '\\.')}: `));
    });
  }

  test('a config that is not an object is refused as a whole', () => {
    const result = validateProgramConfig(stackPrograms['local-site'], 'dir=/tmp');
    assert.ok(!result.ok && result.issues[0]?.field === 'config');
  });
});

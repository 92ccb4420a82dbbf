/** Which Temporal the test command runs on, from CAPSTAN_TEST_TEMPORAL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { devServerDynamicConfig } from '../../cli/dev-server';
import { clusterConfigYaml, dynamicConfigYaml } from '../../cli/temporal-cluster-config';
import { temporalProfiles } from '../helpers/test-temporal';

test('the test command runs the dev server and then the cluster unless told one', () => {
  assert.deepEqual(temporalProfiles(''), ['dev', 'cluster']);
  assert.deepEqual(temporalProfiles('cluster'), ['cluster']);
  assert.deepEqual(temporalProfiles('dev, dev'), ['dev']);
  assert.throws(() => temporalProfiles('cluster,k8s'), /CAPSTAN_TEST_TEMPORAL=cluster,k8s: expected/);
});

test('dynamic config values keep their JSON types, as the dev server flag reads them', () => {
  const parsed = parse(dynamicConfigYaml({ 'a.rate': '1000', 'a.on': 'true', 'a.name': '"x"' })) as Record<
    string,
    Array<{ value: unknown }>
  >;
  assert.deepEqual(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v[0]?.value])), {
    'a.rate': 1000,
    'a.on': true,
    'a.name': 'x',
  });
});

test("the server's configuration points both stores at PostgreSQL and the frontend at its port", () => {
  const ports = {
    frontend: 7233,
    frontendHttp: 7243,
    frontendMembership: 6933,
    history: 7234,
    historyMembership: 6934,
    matching: 7235,
    matchingMembership: 6935,
    worker: 7239,
    workerMembership: 6939,
  };
  const config = parse(
    clusterConfigYaml(
      { host: 'db', port: 5433, user: 'u', persistenceDatabase: 'p', visibilityDatabase: 'v' },
      ports,
      '/x/dc.yaml',
    ),
  ) as {
    persistence: {
      datastores: Record<string, { sql: { pluginName: string; databaseName: string; connectAddr: string } }>;
    };
    services: { frontend: { rpc: { grpcPort: number } } };
    dynamicConfigClient: { filepath: string };
  };
  const stores = Object.values(config.persistence.datastores).map((d) => d.sql);
  assert.deepEqual(
    stores.map((s) => [s.pluginName, s.databaseName, s.connectAddr]),
    [
      ['postgres12', 'p', 'db:5433'],
      ['postgres12', 'v', 'db:5433'],
    ],
  );
  assert.equal(config.services.frontend.rpc.grpcPort, 7233);
  assert.equal(config.dynamicConfigClient.filepath, '/x/dc.yaml');
});

test("npm start's dev server turns fair queues on only when runs carry a team", () => {
  assert.equal(devServerDynamicConfig(true)['matching.enableFairness'], 'true');
  assert.equal(devServerDynamicConfig(false)['matching.enableFairness'], undefined);
  // Everything else is the same either way.
  const { 'matching.enableFairness': _, ...rest } = devServerDynamicConfig(true);
  assert.deepEqual(devServerDynamicConfig(false), rest);
});

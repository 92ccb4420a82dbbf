/**
 * The configuration of a Temporal server on PostgreSQL (persistence and SQL visibility), as the
 * cluster profile runs it and as docker-compose's server gets it: one process hosting the four
 * services, each on its own gRPC and membership port.
 */
import { stringify } from 'yaml';
import { DEV_SERVER_DYNAMIC_CONFIG } from './dev-server';

/** Where Temporal's two databases live. */
export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Workflow state (history, mutable state, task queues). */
  persistenceDatabase: string;
  /** Workflow lists and search attributes. */
  visibilityDatabase: string;
}

/** The ports one server process listens on. */
export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The shards of history; fixed for the life of a cluster's database, so chosen once here. */
export const CLUSTER_HISTORY_SHARDS = 4;

/**
 * Dynamic config for a cluster: the dev server's (docs/performance.md says why each), plus what the
 * CLI's dev server sets in code: more visibility requests per namespace than the stock 10 a second,
 * which a console listing runs and a test suite both exceed.
 */
export const CLUSTER_DYNAMIC_CONFIG: Record<string, string> = {
  ...DEV_SERVER_DYNAMIC_CONFIG,
  'frontend.namespaceRPS.visibility': '100',
};

/** The server's YAML configuration (`--config <dir> --env <name>` reads `<dir>/<name>.yaml`). */
export function clusterConfigYaml(db: ClusterDatabase, ports: ClusterPorts, dynamicConfigFile: string): string {
  const store = (databaseName: string, maxConns: number): object => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${db.host}:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      password: db.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, httpPort?: number): object => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...(httpPort === undefined ? {} : { httpPort }) },
  });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: CLUSTER_HISTORY_SHARDS,
      datastores: {
        'postgres-default': store(db.persistenceDatabase, 20),
        'postgres-visibility': store(db.visibilityDatabase, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, ports.frontendHttp),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  });
}

/** The dynamic config file: each key with one unconstrained value (the values are JSON, as for the dev server's flag). */
export function dynamicConfigYaml(values: Record<string, string>): string {
  return stringify(
    Object.fromEntries(
      Object.entries(values).map(([key, json]) => [key, [{ value: JSON.parse(json), constraints: {} }]]),
    ),
  );
}

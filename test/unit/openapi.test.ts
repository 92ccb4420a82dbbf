/**
 * The OpenAPI document against the real app: every route the routers register is documented (and
 * nothing else), the document passes an OpenAPI 3.1 validator, and a client generated from it
 * type-checks against the document's schemas.
 */
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'pg';
import ts from 'typescript';
import { createApp } from '../../api/app';
import { offlineApiDeps } from '../helpers/offline-api-deps';
import { buildOpenApiDocument } from '../../api/openapi';
import { createLogger } from '../../config/logger';

type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
  tags: Array<{ name: string }>;
};
type Operation = {
  operationId: string;
  tags: string[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
};

/** One layer of an Express 5 router stack, as far as this walk reads it. */
interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  slash?: boolean;
  rawPath?: unknown;
}

const doc = buildOpenApiDocument() as unknown as Doc;
let connection: Connection;
let db: Pool;
let app: Express;

before(() => {
  // Real clients that are never used: building the app registers its routes without calling Temporal or PostgreSQL.
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  db = new Pool({ connectionString: 'postgres://capstan@127.0.0.1:1/never-used' });
  app = createApp(
    {
      ...offlineApiDeps({ client: new Client({ connection }), db, nodeClass: 'general', taskQueuePrefix: 'openapi' }),
      auth: { ratePerSecond: 1, burst: 1 },
    },
    createLogger('openapi-test', 'silent'),
  );
});
after(async () => {
  await connection.close();
  await db.end();
});

/** Express's `/runs/:id` and `/*name` as OpenAPI writes them: `/runs/{id}`, `/{name}`. */
function toOpenApiPath(path: string): string {
  assert.doesNotMatch(path, /[{}()?]/, `${path}: optional parts or groups need their own mapping to OpenAPI`);
  return path.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}');
}

/** `METHOD /path` of every route registered on the app, through every router mounted on it. */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        assert.equal(typeof layer.route.path, 'string', 'a route path that is not a string cannot be compared');
        for (const [method, on] of Object.entries(layer.route.methods)) {
          assert.notEqual(
            method,
            '_all',
            `${String(layer.route.path)}: a route for every method cannot be documented method by method`,
          );
          if (on) routes.push(`${method.toUpperCase()} ${toOpenApiPath(prefix + String(layer.route.path))}`);
        }
      } else if (layer.handle?.stack) {
        assert.ok(layer.slash || typeof layer.rawPath === 'string', 'a router mounted on a pattern cannot be compared');
        walk(layer.handle.stack, prefix + (layer.slash ? '' : String(layer.rawPath)));
      }
    }
  };
  walk((app.router as unknown as { stack: Layer[] }).stack, '');
  return routes;
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function operations(): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

/** The verbs operation ids start with, so a generated client reads `client.startTask`, `client.listRuns`. */
const VERBS = ['get', 'list', 'start', 'create', 'declare', 'delete', 'revoke', 'cancel', 'retry', 'follow'].concat([
  'approve',
  'reject',
  'receive',
  'trigger',
  'backfill',
  'check',
]);
const VERB_FIRST = new RegExp(`^(${VERBS.join('|')})[A-Z]\\w+$`);

describe('the OpenAPI document', () => {
  test('documents every route the routers register, and no route they do not', () => {
    const registered = registeredRoutes();
    assert.ok(
      registered.length >= 45,
      `the walk found only ${registered.length} routes; is the router stack read right?`,
    );
    const documented = new Set(documentedRoutes());
    const missing = registered.filter((route) => !documented.has(route));
    const extra = [...documented].filter((route) => !registered.includes(route));
    assert.deepEqual(missing, [], `registered but not in the document: ${missing.join(', ')}`);
    assert.deepEqual(extra, [], `in the document but registered by no router: ${extra.join(', ')}`);
  });

  test('passes an OpenAPI 3.1 validator', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(doc) as unknown as Parameters<typeof validator.validate>[0],
    );
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  });

  test('operations have unique verb-first ids, declared tags, every path parameter, and the shared errors', () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [route, op] of operations()) {
      assert.match(op.operationId, VERB_FIRST, route);
      assert.ok(!ids.has(op.operationId), `${route}: operationId ${op.operationId} is used twice`);
      ids.add(op.operationId);
      assert.ok(op.tags.length > 0 && op.tags.every((tag) => tags.has(tag)), `${route}: tags ${op.tags.join(', ')}`);
      const inTemplate = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      assert.deepEqual(declared, inTemplate, `${route}: path parameters`);
      if (op.security === undefined) {
        for (const status of ['401', '429', '503'])
          assert.ok(op.responses[status], `${route}: needs a token, so it can answer ${status}`);
        if (!route.startsWith('GET ')) assert.ok(op.responses['403'], `${route}: changes state, so a viewer gets 403`);
      }
      if (op.requestBody)
        for (const status of ['400', '413', '415'])
          assert.ok(op.responses[status], `${route}: takes a body, so ${status}`);
      assert.ok(
        Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
        `${route}: a success response`,
      );
    }
    const open = operations()
      .filter(([, op]) => op.security !== undefined)
      .map(([route]) => route)
      .sort();
    assert.deepEqual(open, [
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'GET /v1/openapi.json',
      'POST /v1/session',
      'POST /v1/webhooks/github',
      'POST /v1/webhooks/gitlab',
    ]);
    assert.equal(
      doc.paths['/v1/repositories']!.get!.responses['403'] !== undefined,
      true,
      'repositories are admin-only, GET too',
    );
  });

  test('a client generated with openapi-typescript type-checks against the document', { timeout: 60_000 }, async () => {
    const { default: openapiTS, astToString } = await import('openapi-typescript');
    const dir = await mkdtemp(join(tmpdir(), 'capstan-openapi-client-'));
    try {
      await writeFile(join(dir, 'capstan-api.ts'), astToString(await openapiTS(structuredClone(doc) as never)));
      await writeFile(join(dir, 'client.ts'), CLIENT);
      await writeFile(join(dir, 'misuse.ts'), MISUSE);
      const program = ts.createProgram([join(dir, 'client.ts'), join(dir, 'misuse.ts')], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        lib: ['lib.es2022.d.ts'],
        types: [],
      });
      const errorsIn = (file: string) =>
        ts
          .getPreEmitDiagnostics(program, program.getSourceFile(join(dir, file)))
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(errorsIn('client.ts'), [], 'the client compiles against the generated types');
      assert.deepEqual(errorsIn('capstan-api.ts'), [], 'the generated types compile');
      const misuse = errorsIn('misuse.ts').join('\n');
      assert.match(misuse, /nodeClass/, 'a task spec without nodeClass is refused by the types');
      assert.match(misuse, /"finished"/, 'a run status the API never answers is refused by the types');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A small client a user would write over the generated types: start a task, follow it, read errors. */
const CLIENT = `
import type { components, operations, paths } from './capstan-api';

// The part of the fetch API this client uses (lib.dom or @types/node declare it in a real project).
declare function fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }):
  Promise<{ status: number; json(): Promise<unknown> }>;

type TaskSpec = paths['/v1/tasks']['post']['requestBody']['content']['application/json'];
type Started = paths['/v1/tasks']['post']['responses'][202]['content']['application/json'];
type Run = operations['getRun']['responses'][200]['content']['application/json'];
type ApiError = components['schemas']['Error'];

export async function startTask(baseUrl: string, token: string, spec: TaskSpec, key?: string): Promise<Started> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token };
  const idempotency: operations['startTask']['parameters']['header'] = key ? { 'Idempotency-Key': key } : {};
  const body = JSON.stringify(spec);
  const sent = { method: 'POST', headers: { ...headers, ...idempotency }, body };
  const response = await fetch(baseUrl + '/v1/tasks', sent);
  if (response.status !== 202) {
    const failure = (await response.json()) as ApiError;
    const fields = Array.isArray(failure.error.details) ? failure.error.details.map((d) => d.field).join(', ') : '';
    throw new Error(failure.error.code + ': ' + failure.error.message + (fields ? ' (' + fields + ')' : ''));
  }
  return (await response.json()) as Started;
}

export async function waitFor(baseUrl: string, token: string, started: Started): Promise<Run['status']> {
  const path: operations['getRun']['parameters']['path'] = { id: started.runId };
  for (;;) {
    const answer = await fetch(baseUrl + started.links.self, { headers: { Authorization: 'Bearer ' + token } });
    const run = (await answer.json()) as Run;
    if (run.runId !== path.id) throw new Error('another run answered');
    if (run.status !== 'running') return run.status;
  }
}

export const hello: TaskSpec = { nodeClass: 'general', command: 'echo hello' };
export const created: components['schemas']['Token']['role'] = 'operator';
`;

/** The same types must refuse what the API would refuse or never answer. */
const MISUSE = `
import type { components, paths } from './capstan-api';
type TaskSpec = paths['/v1/tasks']['post']['requestBody']['content']['application/json'];
export const noClass: TaskSpec = { command: 'echo hello' };
export const status: components['schemas']['RunDetail']['status'] = 'finished';
`;

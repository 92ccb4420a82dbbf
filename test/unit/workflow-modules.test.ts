/**
 * What the orchestrator evaluates per run: with reuseV8Context the SDK runs a workflow's modules
 * afresh for every execution, so a schema library in the workflows' import graph costs every run
 * its whole setup (zod cost the orchestrator ~15 ms of CPU per single-task run).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test("the workflows' runtime imports leave zod out (schemas are for the API; workflows import spec types only)", () => {
  // A fresh process, so modules this test runner loaded do not count.
  const loaded = JSON.parse(
    execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(require.resolve('../../workflows'))}); console.log(JSON.stringify(Object.keys(require.cache)))`,
      ],
      { encoding: 'utf8' },
    ),
  ) as string[];
  const zod = loaded.filter((path) => /[\\/]node_modules[\\/]zod[\\/]/.test(path));
  const workflowModules = loaded.filter((path) => /[\\/]workflows[\\/]/.test(path));
  assert.ok(workflowModules.length > 10, `the workflows were loaded: ${workflowModules.length} modules`);
  assert.deepEqual(zod, [], 'import zod-backed contracts (task-spec, pipeline-spec, ...) with `import type` only');
});

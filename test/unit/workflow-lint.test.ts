/** The lint rule that keeps workflow code deterministic rejects what it must and allows type imports. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../config/paths';

async function lintAsWorkflow(code: string): Promise<string[]> {
  // eslint is ESM-only in its newer majors; a dynamic import keeps this CommonJS test able to load it.
  const { ESLint } = await (new Function('m', 'return import(m)') as (m: string) => Promise<typeof import('eslint')>)(
    'eslint',
  );
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, 'workflows', 'lint-probe.ts') });
  return result!.messages.map((m) => m.message);
}

test('workflow files may not import Node built-ins, the client/worker SDK, or activities as values', async () => {
  const messages = await lintAsWorkflow(
    [
      "import { readFileSync } from 'fs';",
      "import { spawn } from 'node:child_process';",
      "import { Client } from '@temporalio/client';",
      "import { createShellActivities } from '../activities/shell';",
      'export const used = [readFileSync, spawn, Client, createShellActivities];',
    ].join('\n'),
  );
  assert.equal(messages.length, 4, messages.join('\n'));
  assert.ok(messages.some((m) => m.includes('no Node built-ins')));
  assert.ok(messages.some((m) => m.includes('only with `import type`')));
});

test('workflow files may import the workflow SDK and activity types', async () => {
  const messages = await lintAsWorkflow(
    [
      "import { proxyActivities } from '@temporalio/workflow';",
      "import type { createShellActivities } from '../activities/shell';",
      'export const acts = proxyActivities<ReturnType<typeof createShellActivities>>({ startToCloseTimeout: 1000 });',
    ].join('\n'),
  );
  assert.deepEqual(messages, []);
});

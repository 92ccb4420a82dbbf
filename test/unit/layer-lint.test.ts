/** The layer rule of eslint.config.mjs refuses an import that crosses a layer the wrong way and lets the right ones through. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ESLint as ESLintClass } from 'eslint';
import { REPO_ROOT } from '../../config/paths';

const RULE = '@typescript-eslint/no-restricted-imports';

let eslint: Promise<ESLintClass> | undefined;

function linter(): Promise<ESLintClass> {
  // eslint is ESM-only in its newer majors; a dynamic import keeps this CommonJS test able to load it.
  const load = new Function('m', 'return import(m)') as (m: string) => Promise<typeof import('eslint')>;
  eslint ??= load('eslint').then(({ ESLint }) => new ESLint({ cwd: REPO_ROOT }));
  return eslint;
}

/** Lints one import statement as if it were written in a file at `file` (relative to the repository root). */
async function lintImport(file: string, statement: string): Promise<Array<{ ruleId: string | null; message: string }>> {
  // Using the import keeps the unused-variable rule quiet, so only the import itself can be reported.
  const name = /import (?:type )?\{ (\w+) \}/.exec(statement)?.[1];
  assert.ok(name, `no named import in ${statement}`);
  const use = statement.startsWith('import type')
    ? `export type Used = typeof ${name};`
    : `export const used = ${name};`;
  const [result] = await (await linter()).lintText(`${statement}\n${use}\n`, { filePath: join(REPO_ROOT, file) });
  return result!.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

/** [file the import is written in, the import, a word of the message that must explain the refusal]. */
const WRONG_WAY: Array<[string, string, string]> = [
  ['api/routes/probe.ts', "import { createShellActivities } from '../../activities/shell';", 'db/'],
  ['api/routes/probe.ts', "import { startWorker } from '../../workers/create-worker';", 'db/'],
  ['api/routes/probe.ts', "import { Database } from '../../infra/providers/postgres';", 'infra/programs'],
  ['api/services/probe.ts', "import { dagWorkflow } from '../../workflows/dag-workflow';", 'as a type'],
  ['activities/shell/probe.ts', "import { createApp } from '../../api/app';", 'db/'],
  ['activities/cost/probe.ts', "import { costWorkflow } from '../../workflows/cost-analysis-workflow';", 'as a type'],
  ['workers/probe.ts', "import { createApp } from '../api/app';", 'command line'],
  ['workers/probe.ts', "import { dagWorkflow } from '../workflows';", 'bundle'],
  ['cli/probe.ts', "import { parseBearer } from '../api/auth/bearer';", 'api/server'],
  ['cli/probe.ts', "import { createShellActivities } from '../activities/shell';", 'entry points'],
  ['cli/probe.ts', "import { planDag } from '../workflows/dag/plan';", 'definitions'],
  ['cli/probe.ts', "import { startWorker } from '../workers/create-worker';", 'entry points'],
  ['db/stores/probe.ts', "import { ApiError } from '../../api/errors';", 'stand on'],
  ['db/stores/probe.ts', "import { summarize } from '../../activities/cost/report-model';", 'only as types'],
  ['db/stores/probe.ts', "import { planDag } from '../../workflows/dag/plan';", 'contracts/'],
  ['db/probe.ts', "import { formatUsd } from '../cost-model/money';", 'stand on'],
  ['infra/programs/probe.ts', "import { openDatabase } from '../../db/open';", 'specs'],
  ['toolchain/probe.ts', "import { openDatabase } from '../db/open';", 'only config/'],
  ['config/probe.ts', "import { AttemptLedger } from '../db/stores/attempt-ledger';", 'workflows/contracts'],
  ['cost-model/probe.ts', "import { analyzeCosts } from '../activities/cost/analyze';", 'config/'],
  ['workflows/probe.ts', "import { openDatabase } from '../db/open';", 'process-side'],
];

/** [file, an import DESIGN.md's arrows allow there]. */
const RIGHT_WAY: Array<[string, string]> = [
  ['api/routes/probe.ts', "import { findStack } from '../../db/stores/stack-records';"],
  ['api/routes/probe.ts', "import { maskConfig } from '../../infra/programs/registry';"],
  ['api/services/probe.ts', "import { formatUsd } from '../../cost-model/money';"],
  ['api/services/probe.ts', "import { dagStateQuery } from '../../workflows/definitions';"],
  ['api/services/probe.ts', "import type { dagWorkflow } from '../../workflows/dag-workflow';"],
  ['api/probe.ts', "import { pulumiPassphrase } from '../toolchain/pulumi-settings';"],
  ['activities/pipeline/probe.ts', "import { stepLogPath } from '../../config/run-files';"],
  ['activities/pipeline/probe.ts', "import { mapStepTexts } from '../../workflows/pipeline/render-step';"],
  ['activities/pulumi/probe.ts', "import { shippedPrograms } from '../../infra/programs/registry';"],
  ['workers/probe.ts', "import { createShellActivities } from '../activities/shell';"],
  ['workers/probe.ts', "import { openDatabase } from '../db/open';"],
  ['cli/probe.ts', "import { createToken } from '../db/stores/token-store';"],
  ['cli/probe.ts', "import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';"],
  ['cli/probe.ts', "import { resolveTemporalBinary } from '../toolchain/temporal-binary';"],
  ['db/stores/probe.ts', "import type { CostReport } from '../../activities/cost/report-model';"],
  ['db/stores/probe.ts', "import type { StackPhase } from '../../workflows/contracts/stack-operation';"],
  ['db/probe.ts', "import { loadConfig } from '../config/env';"],
  ['infra/programs/probe.ts', "import { fieldIssues } from '../../config/zod-issues';"],
  ['config/probe.ts', "import { nodeClassTaskQueue } from '../workflows/contracts/node-class';"],
  ['cost-model/probe.ts', "import { REPO_ROOT } from '../config/paths';"],
  ['test/probe.ts', "import { createApp } from '../api/app';"],
  ['bench/probe.ts', "import { createShellActivities } from '../activities/shell';"],
];

test('an import that crosses a layer the wrong way is an error of the layer rule, saying where to go', async () => {
  for (const [file, statement, why] of WRONG_WAY) {
    const messages = await lintImport(file, statement);
    assert.equal(messages.length, 1, `${file}: ${statement}\n${JSON.stringify(messages)}`);
    assert.equal(messages[0]!.ruleId, RULE, `${file}: ${statement}`);
    assert.ok(messages[0]!.message.includes(why), `${file}: ${statement}: "${messages[0]!.message}" lacks "${why}"`);
  }
});

test('an import the layers allow is clean', async () => {
  for (const [file, statement] of RIGHT_WAY) {
    assert.deepEqual(await lintImport(file, statement), [], `${file}: ${statement}`);
  }
});

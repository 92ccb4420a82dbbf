// Lint: typescript-eslint's recommended rules everywhere; for workflow code the rule that keeps it
// deterministic (no Node built-ins, no client/worker/activity SDK, activities only as types); and for
// every other folder the layer rule of DESIGN.md: imports flow one way, down to what both sides share.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

/** A regex for a relative import whose path passes through `tail` (a folder name and what may follow it). */
const through = (tail) => `^\\.\\.?/(?:.*/)?${tail}`;
/** Relative imports of any of these top-level folders. */
const folders = (...names) => through(`(?:${names.join('|')})(?:/|$)`);
/** Workflow functions themselves (`*-workflow` files and the bundle's index): started by name, imported as types. */
const workflowFiles = [through('workflows(?:/index)?$'), through('workflows/(?:.*/)?[^/]*-workflow$')];
/** Anything of workflows/ but its contracts (workflow-safe types and schemas every layer may read). */
const workflowsBeyondContracts = through('workflows(?:/(?!contracts/)|$)');
/** What every layer may import; the process-side layers may import db/ as well. */
const SHARED = 'config/, toolchain/ and workflows/contracts';
const DOWN = `db/, cost-model/, ${SHARED}`;

/** A forbidden import pattern and the message that says where to go instead. */
const forbid = (regex, message) => ({ regex, message });
/** An import pattern allowed only as `import type`. */
const typesOnly = (regex, message) => ({ regex, message, allowTypeImports: true });
/** The `no-restricted-imports` rule for one layer's files. */
const layer = (files, patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/**', 'web/src/http/schema.gen.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read arbitrary JSON answers of the API; typing each one would add nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins (do it in an activity).',
          })),
          patterns: [
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
              message: 'Workflow code may import only @temporalio/workflow and @temporalio/common from the SDK.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities only with `import type` (call them through proxyActivities).',
            },
            {
              group: [
                '**/api/**',
                '**/workers/**',
                '**/cli/**',
                '**/config/**',
                '**/db',
                '**/db/**',
                '**/toolchain/**',
                '**/cost-model/**',
                '**/infra/**',
                'express',
                'pg',
                'pino',
                'yaml',
              ],
              message: 'Workflow code must not import process-side modules.',
            },
          ],
        },
      ],
    },
  },
  // The layers (DESIGN.md, "Imports flow one way"). test/, bench/ and scripts/ may import anything.
  layer(
    ['api/**/*.ts'],
    [
      forbid(
        folders('activities', 'workers', 'cli'),
        `The API may not import activities, workers or the command line: what both sides need lives in ${DOWN}.`,
      ),
      forbid(
        through('infra(?:/(?!programs(?:/|$))|$)'),
        'Of infra/, the API reads only the program catalogue: infra/programs.',
      ),
      ...workflowFiles.map((regex) =>
        typesOnly(regex, 'The API starts workflows by name: import a workflow only as a type.'),
      ),
    ],
  ),
  layer(
    ['activities/**/*.ts'],
    [
      forbid(
        folders('api', 'workers', 'cli'),
        `Activities may not import the API, workers or the command line: what both sides need lives in ${DOWN}.`,
      ),
      ...workflowFiles.map((regex) => typesOnly(regex, 'Activities may import a workflow function only as a type.')),
    ],
  ),
  layer(
    ['workers/**/*.ts'],
    [
      forbid(
        folders('api', 'cli'),
        'Workers host activities and workflows: they may not import the API or the command line.',
      ),
      ...workflowFiles.map((regex) =>
        typesOnly(regex, 'Workers load workflows from their bundle (workflowsPath), not by import.'),
      ),
    ],
  ),
  layer(
    ['cli/**/*.ts'],
    [
      forbid(
        folders('activities', 'infra', 'cost-model'),
        `The command line runs the API and the workers as processes: it may import their entry points, db/, ${SHARED}.`,
      ),
      forbid(
        through('api(?:/(?!server$)|$)'),
        'Of api/, the command line may import only its entry point, api/server.',
      ),
      forbid(
        through('workers(?:/(?!(?:node-class|orchestrator)-worker$)|$)'),
        'Of workers/, the command line may import only their entry points.',
      ),
      forbid(
        through('workflows(?:/(?!contracts/|definitions$)|$)'),
        'Of workflows/, the command line may import only contracts/ and definitions (search attributes, queries).',
      ),
    ],
  ),
  layer(
    ['db/**/*.ts'],
    [
      forbid(
        folders('api', 'workers', 'cli', 'infra', 'toolchain', 'cost-model'),
        'db/ is what the other layers stand on: it may import config/, workflows/contracts and activity types.',
      ),
      typesOnly(
        folders('activities'),
        'db/ may import activities only as types: the shape of a record an activity computes.',
      ),
      forbid(workflowsBeyondContracts, 'Of workflows/, db/ may import only contracts/.'),
    ],
  ),
  layer(
    ['infra/**/*.ts'],
    [
      forbid(
        folders('activities', 'api', 'workers', 'cli', 'db', 'toolchain', 'cost-model'),
        'infra/ holds Pulumi programs and providers: it imports nothing of the app but config/ and specs.',
      ),
      forbid(workflowsBeyondContracts, 'Of workflows/, infra/ may import only contracts/ (specs).'),
    ],
  ),
  layer(
    ['toolchain/**/*.ts'],
    [
      forbid(
        folders('activities', 'api', 'workers', 'cli', 'db', 'infra', 'cost-model', 'workflows'),
        'toolchain/ obtains the CLIs Capstan runs; every layer may import it, so it imports only config/.',
      ),
    ],
  ),
  layer(
    ['config/**/*.ts'],
    [
      forbid(
        folders('activities', 'api', 'workers', 'cli', 'db', 'infra', 'toolchain', 'cost-model'),
        'config/ is read by every layer; of the app it may import only workflows/contracts.',
      ),
      forbid(workflowsBeyondContracts, 'Of workflows/, config/ may import only contracts/.'),
    ],
  ),
  layer(
    ['web/**/*.ts', 'web/**/*.tsx'],
    [
      forbid(
        folders('activities', 'api', 'workers', 'cli', 'db', 'infra', 'toolchain', 'cost-model', 'config', 'workflows'),
        'The console runs in a browser and talks to the API over HTTP: its types come from the OpenAPI document (web/src/http/schema.gen.d.ts), not from server code.',
      ),
    ],
  ),
  layer(
    ['cost-model/**/*.ts'],
    [
      forbid(
        folders('activities', 'api', 'workers', 'cli', 'db', 'infra', 'toolchain'),
        'cost-model/ is the arithmetic the API and cost activities share: it may import only config/ and contracts.',
      ),
      forbid(workflowsBeyondContracts, 'Of workflows/, cost-model/ may import only contracts/.'),
    ],
  ),
);

// Lint: typescript-eslint's recommended rules everywhere, and for workflow code the rule that keeps
// it deterministic: no Node built-ins, no client/worker/activity SDK, activities only as types.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/**'] },
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
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins (do it in an activity).' })),
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
            group: ['**/api/**', '**/workers/**', '**/cli/**', '**/config/**', 'express', 'pg', 'pino', 'yaml'],
            message: 'Workflow code must not import process-side modules.',
          },
        ],
      }],
    },
  },
);

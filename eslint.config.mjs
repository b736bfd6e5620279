// Lint: typescript-eslint's type-aware rules, plus the determinism boundary for workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench/out/**', 'bench/peers/.venv/**', 'api/public/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O
    // libraries, and activities only as types (proxyActivities gives the implementation).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/worker*.ts', 'workflows/**/*.worker.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'stream', 'events', 'timers', 'util'], message: 'Workflow code is deterministic: no Node builtins.' },
          { group: ['pg', 'pg-*', 'mqtt', 'express', 'pino', 'prom-client', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'luxon'], message: 'Workflow code does no I/O: move this to an activity.' },
          { group: ['**/activities', '**/activities/*', '../activities/**'], allowTypeImports: true, message: 'Import activities as types only (import type).' },
          { group: ['**/db', '**/db/*', '**/config', '**/config/*'], message: 'Workflow code does no I/O: move this to an activity.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow in a loop.' },
        { name: 'process', message: 'Workflow code must not read the environment.' },
      ],
    },
  },
);

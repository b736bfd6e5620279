// Lint: typescript-eslint's type-aware rules, the layer boundaries of README.md's layer table, no
// import cycles, and the determinism boundary for workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The layers, lowest first, and the top-level folders each may import (README.md, "Layers").
// Anything else is an import that runs up the stack or sideways between areas, and fails.
// Entry points (`main.ts`, `*-main.ts`) compose a process and may import anything, as may demo/,
// scripts/, bench/ and test/. Workflow code has its own, stricter rule below; the worker files
// beside it sit on top, like an entry point.
const LAYERS = {
  domain: [],
  config: ['domain'],
  platform: ['domain', 'config'],
  db: ['domain', 'config', 'platform'],
  forecasting: ['domain', 'config', 'platform', 'db'],
  'iot-ingest': ['domain', 'config', 'platform', 'db'],
  coldchain: ['domain', 'config', 'platform', 'db', 'workflow contracts'],
  activities: ['domain', 'config', 'platform', 'db', 'forecasting', 'iot-ingest', 'coldchain', 'workflow contracts'],
  api: ['domain', 'config', 'platform', 'db', 'forecasting', 'coldchain', 'activities', 'workflow contracts'],
};
const FOLDERS = [
  'domain',
  'config',
  'platform',
  'db',
  'forecasting',
  'iot-ingest',
  'coldchain',
  'activities',
  'workflows',
  'api',
  'demo',
  'scripts',
  'bench',
  'test',
];
/** What lower layers may name of workflows/: a workflow's contract file and the search attributes. */
const WORKFLOW_CONTRACT = String.raw`(?![\w-]+\.contract$|search-attributes$)`;

/** The rule for one layer's files at one directory depth, so `../` counts reach the repository root. */
function layerBlock(layer, allowed, depth) {
  const banned = FOLDERS.filter((f) => f !== layer && !allowed.includes(f));
  const up = String.raw`(?:\.\./)`.repeat(depth);
  const plain = banned.filter((f) => !(f === 'workflows' && allowed.includes('workflow contracts')));
  const alternatives = [`^${up}(?:${plain.join('|')})(?:/|$)`];
  if (plain.length < banned.length) alternatives.push(`^${up}workflows(?:/${WORKFLOW_CONTRACT}|$)`);
  const message = `${layer}/ may import only ${allowed.join(', ') || 'nothing of the project'} (README.md, "Layers").`;
  return {
    files: [`${layer}/${'*/'.repeat(depth - 1)}*.ts`],
    ignores: ['**/main.ts', '**/*-main.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: alternatives.join('|'), message }] }] },
  };
}
export const layerRules = [
  ...Object.entries(LAYERS).flatMap(([layer, allowed]) =>
    [1, 2, 3, 4].map((depth) => layerBlock(layer, allowed, depth)),
  ),
];

export const workflowRule = {
  // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O
  // libraries, no configuration or database, activities only as types (proxyActivities gives
  // the implementation). The pure task-queue map (config/task-queues.ts) is the one
  // exception: workflow code derives its queues from it without reading the environment.
  files: ['workflows/**/*.ts'],
  ignores: ['workflows/worker*.ts', 'workflows/**/*.worker.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [
              'node:*',
              'fs',
              'path',
              'os',
              'crypto',
              'http',
              'https',
              'net',
              'child_process',
              'worker_threads',
              'stream',
              'events',
              'timers',
              'util',
            ],
            message: 'Workflow code is deterministic: no Node builtins.',
          },
          {
            group: [
              'pg',
              'pg-*',
              'mqtt',
              'express',
              'pino',
              'prom-client',
              '@temporalio/client',
              '@temporalio/worker',
              '@temporalio/activity',
              'luxon',
            ],
            message: 'Workflow code does no I/O: move this to an activity.',
          },
          {
            regex: String.raw`^\.\./(?:activities|coldchain|forecasting)(?:/|$)`,
            allowTypeImports: true,
            message: 'Workflow code takes activities and their inputs as types only (import type).',
          },
          {
            regex: String.raw`^\.\./(?:db|platform|iot-ingest|api|demo|scripts|bench|test)(?:/|$)|^\.\./config(?:/(?!task-queues$)|$)`,
            message: 'Workflow code does no I/O and reads no configuration: move this to an activity.',
          },
        ],
      },
    ],
    'no-restricted-globals': [
      'error',
      { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
      { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow in a loop.' },
      { name: 'process', message: 'Workflow code must not read the environment.' },
    ],
  },
};

/** The workflow contracts sit just above domain/: every layer that talks to a workflow imports them. */
export const contractRule = {
  files: ['workflows/*.contract.ts', 'workflows/search-attributes.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...workflowRule.rules['no-restricted-imports'][1].patterns.slice(0, 2),
          {
            regex: String.raw`^\.\.?/(?!domain(?:/|$))`,
            message: 'A workflow contract may import only domain/ and Temporal (README.md, "Layers").',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'bench/out/**',
      'bench/peers/.venv/**',
      'api/public/**',
      'eslint.config.mjs',
    ],
  },
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
    // No import cycles anywhere in the product (type-only imports included: a cycle of types is
    // still two modules that cannot be understood apart).
    files: ['**/*.ts'],
    ignores: ['test/**', 'bench/**'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  ...layerRules,
  workflowRule,
  contractRule,
);

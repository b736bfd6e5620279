// The layer boundaries are a lint rule (eslint.config.mjs): these cases show the rule refuses an
// upward import and lets the allowed ones through, so a broken pattern cannot pass silently.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import type { Linter } from 'eslint';

const ROOT = join(__dirname, '..', '..');

async function linter(): Promise<ESLint> {
  const config = (await import(pathToFileURL(join(ROOT, 'eslint.config.mjs')).href)) as {
    layerRules: Linter.Config[];
    workflowRule: Linter.Config;
    contractRule: Linter.Config;
  };
  return new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { languageOptions: { parser: tseslint.parser as Linter.Parser } },
      ...config.layerRules,
      config.workflowRule,
      config.contractRule,
    ],
  });
}

async function refused(file: string, specifier: string, typeOnly = false): Promise<boolean> {
  const code = typeOnly
    ? `import type { X } from '${specifier}';\nexport type Y = X;\n`
    : `import { x } from '${specifier}';\nexport const y = x;\n`;
  const [result] = await (await linter()).lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.some((m) => m.ruleId === 'no-restricted-imports');
}

describe('lint: layer boundaries', function () {
  this.timeout(30_000);
  const upward: [string, string][] = [
    ['domain/orders/zz.ts', '../../db/pool'],
    ['domain/zz.ts', '../workflows/order.contract'],
    ['config/zz.ts', '../platform/logger'],
    ['platform/zz.ts', '../db/pool'],
    ['db/zz.ts', '../workflows/order.contract'],
    ['db/zz.ts', '../coldchain'],
    ['forecasting/model/zz.ts', '../../activities/forecasting'],
    ['iot-ingest/zz.ts', '../coldchain'],
    ['coldchain/webhooks/zz.ts', '../../workflows/webhook-delivery'],
    ['coldchain/zz.ts', '../api/app'],
    ['activities/zz.ts', '../workflows/order'],
    ['api/routes/zz.ts', '../../workflows/order'],
    ['api/routes/zz.ts', '../../demo/city'],
    ['workflows/zz.ts', '../db/pool'],
    ['workflows/zz.ts', '../config'],
    ['workflows/zz.ts', '../platform/logger'],
    ['workflows/zz.contract.ts', '../forecasting/run-params'],
    ['workflows/zz.contract.ts', './order'],
    ['workflows/zz.contract.ts', 'pg'],
  ];
  for (const [file, specifier] of upward) {
    it(`refuses ${file} → ${specifier}`, async () => expect(await refused(file, specifier)).to.equal(true));
  }
  const allowed: [string, string, boolean?][] = [
    ['domain/orders/zz.ts', '../coldchain/bands'],
    ['db/zz.ts', '../domain/orders'],
    ['db/zz.ts', '../platform/pii'],
    ['coldchain/zz.ts', '../workflows/order.contract'],
    ['api/routes/zz.ts', '../../workflows/order.contract'],
    ['api/routes/zz.ts', '../../workflows/search-attributes'],
    ['api/main.ts', '../demo/city'],
    ['workflows/zz.ts', '../config/task-queues'],
    ['workflows/zz.contract.ts', '../domain/orders'],
    ['workflows/zz.ts', '../activities', true],
  ];
  for (const [file, specifier, typeOnly] of allowed) {
    it(`allows ${file} → ${specifier}${typeOnly ? ' (type)' : ''}`, async () =>
      expect(await refused(file, specifier, typeOnly)).to.equal(false));
  }
  it('refuses a value import of activities in workflow code', async () =>
    expect(await refused('workflows/zz.ts', '../activities')).to.equal(true));
});

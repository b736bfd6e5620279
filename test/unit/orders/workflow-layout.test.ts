// Guards for the order workflows' shape (issue 13): contracts live low, so db/ never reaches
// into workflows/ and api/activities talk to a workflow only through its contract file; the
// order and fulfilment workflows are small state machines whose functions fit on a screen.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { orderWorkflow } from '../../../workflows/order';
import type { OrderWorkflow } from '../../../workflows/order.contract';
import type { customerReturnWorkflow } from '../../../workflows/returns';
import type { CustomerReturnWorkflow } from '../../../workflows/returns.contract';
import type { transferWorkflow } from '../../../workflows/transfer';
import type { TransferWorkflow } from '../../../workflows/transfer.contract';

const ROOT = join(__dirname, '../../..');
const MAX_FUNCTION_LINES = 40;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers a file imports (or re-exports), resolved against the repository root. */
function importsOf(file: string): string[] {
  const code = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...code.matchAll(/(?:import|export)[^;]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, join(ROOT, file, '..', s)));
}

/** Every function, method and arrow function of a file with its length in lines. */
function functionLengths(file: string): { name: string; lines: number }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : `<anonymous at line ${start + 1}>`;
      found.push({ name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

// The order workflows and what used to live beside them; pure picking rules belong to domain/.
const WORKFLOW_MODULES = [
  'workflows/order',
  'workflows/fulfilment',
  'workflows/returns',
  'workflows/transfer',
  'workflows/picking',
];

describe('order workflow layout', () => {
  it('has no workflows/messages.ts any more, and nothing imports it', () => {
    expect(existsSync(join(ROOT, 'workflows/messages.ts'))).to.equal(false);
    const everywhere = ['api', 'activities', 'db', 'domain', 'workflows', 'scripts', 'bench', 'test', 'coldchain']
      .filter((d) => existsSync(join(ROOT, d)))
      .flatMap(sourceFiles);
    const importers = everywhere.filter((f) => importsOf(f).includes('workflows/messages'));
    expect(importers).to.deep.equal([]);
  });

  it('db/ imports nothing from workflows/', () => {
    const upward = sourceFiles('db').flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('workflows/'))
        .map((i) => `${f} → ${i}`),
    );
    expect(upward).to.deep.equal([]);
  });

  it('api/ and activities/ reach order workflows only through their contract files', () => {
    const direct = [...sourceFiles('api'), ...sourceFiles('activities')].flatMap((f) =>
      importsOf(f)
        .filter((i) => WORKFLOW_MODULES.includes(i))
        .map((i) => `${f} → ${i}`),
    );
    expect(direct).to.deep.equal([]);
  });

  const machineFiles = new Set([
    'workflows/order.ts',
    'workflows/fulfilment.ts',
    ...sourceFiles('workflows').filter((f) => /(order|fulfilment)[-.]/.test(f)),
  ]);
  for (const file of machineFiles) {
    it(`${file}: every function fits on a screen (≤ ${MAX_FUNCTION_LINES} lines)`, () => {
      const long = functionLengths(file).filter((f) => f.lines > MAX_FUNCTION_LINES);
      expect(long, long.map((f) => `${f.name}: ${f.lines} lines`).join(', ')).to.deep.equal([]);
    });
  }

  it('fulfilment and order workflows register one-line handlers and use a library mutex', () => {
    for (const file of ['workflows/fulfilment.ts', 'workflows/order.ts']) {
      const code = readFileSync(join(ROOT, file), 'utf8');
      const registrations = code.split('\n').filter((l) => /setHandler\(/.test(l));
      expect(registrations.length, file).to.be.greaterThan(3);
      for (const line of registrations) expect(line.trim(), file).to.match(/^setHandler\(.*\);$/);
    }
    const fulfilment = sourceFiles('workflows')
      .filter((f) => /fulfilment/.test(f))
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    expect(fulfilment).to.match(/from 'async-mutex'/);
    expect(fulfilment).to.not.match(/let turn: Promise/);
  });
});

// The contract files name each workflow's signature so callers can start it by type name; the
// workflow must keep that signature (checked by tsc).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const contractsMatchWorkflows: [
  Same<typeof orderWorkflow, OrderWorkflow>,
  Same<typeof customerReturnWorkflow, CustomerReturnWorkflow>,
  Same<typeof transferWorkflow, TransferWorkflow>,
] = [true, true, true];

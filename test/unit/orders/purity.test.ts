// Guard for the determinism boundary: order-domain code is imported by Temporal workflows,
// so it must not read clocks or randomness, touch Node builtins, or pull in luxon.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '../../../domain/orders');

describe('domain/orders purity', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files).to.include.members(['allocation.ts', 'merge.ts', 'waves.ts', 'lifecycle.ts']);
  });

  for (const file of files) {
    it(`${file} uses no clock, randomness, Node builtins or luxon`, () => {
      const code = readFileSync(join(DIR, file), 'utf8').replace(/\/\/.*$/gm, '');
      expect(code).to.not.match(/Date\.now|new Date\(|Math\.random|performance\.now|process\./);
      const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).to.match(/^\.\//);
    });
  }
});

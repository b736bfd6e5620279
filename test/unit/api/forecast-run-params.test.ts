// The forecast run's parameters (POST /v1/forecasts/runs and the daily schedule): node ids follow
// the one id pattern of the system, so a path-like or hostile id is refused naming its index
// rather than starting a run that "succeeds" with nothing in it.
import { expect } from 'chai';
import fc from 'fast-check';
import { forecastRunParamsSchema } from '../../../domain/forecasting/run-params';
import { ID_PATTERN } from '../../../domain/coldchain/topics';

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostile = fc.oneof(
  fc.string({
    unit: fc.oneof(anyUnit, fc.constantFrom('.', '/', '-', '_', 'a', '0', '\u0000', '\ud800')),
    maxLength: 70,
  }),
  fc.constantFrom(
    '../x',
    '..',
    '.',
    '',
    'a/b',
    '%2e%2e',
    ' n1',
    'n1 ',
    '\u0000',
    'n'.repeat(65),
    '__proto__',
    'constructor',
    '$SYS',
    'a+b',
    'a#b',
  ),
);
const validId = fc.stringMatching(ID_PATTERN);

describe('forecast run parameters: nodeIds', () => {
  it('accepts a node id exactly when it matches the shared id pattern, naming the bad index otherwise', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validId, hostile), { minLength: 1, maxLength: 5 }), (nodeIds) => {
        const r = forecastRunParamsSchema.safeParse({ horizonDays: 7, nodeIds });
        const firstBad = nodeIds.findIndex((id) => !ID_PATTERN.test(id));
        expect(r.success, JSON.stringify(nodeIds)).to.equal(firstBad === -1);
        if (!r.success) {
          const paths = r.error.issues.map((i) => i.path.join('.'));
          expect(paths).to.include(`nodeIds.${firstBad}`);
          expect(r.error.issues.find((i) => i.path.join('.') === `nodeIds.${firstBad}`)!.message).to.match(
            /must be a node id/,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses the path-like id of the report', () => {
    const r = forecastRunParamsSchema.safeParse({ horizonDays: 7, nodeIds: ['../x'] });
    expect(r.success).to.equal(false);
  });
});

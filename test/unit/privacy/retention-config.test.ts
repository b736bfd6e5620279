// PII_RETENTION_DAYS: how long personal data of finished orders is kept. A value that is not a
// plain non-negative decimal number of days stops the process naming the variable: an empty or
// garbled value must never turn into "erase at once".
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../../config';

describe('PII_RETENTION_DAYS', () => {
  it('defaults to 30 days: the longest return window (7 days, ambient) plus margin for disputes', () => {
    expect(loadConfig({}).pii.retentionDays).to.equal(30);
  });

  it('takes whole or fractional days', () => {
    expect(loadConfig({ PII_RETENTION_DAYS: '45' }).pii.retentionDays).to.equal(45);
    expect(loadConfig({ PII_RETENTION_DAYS: '0.5' }).pii.retentionDays).to.equal(0.5);
    expect(loadConfig({ PII_RETENTION_DAYS: '0' }).pii.retentionDays).to.equal(0);
  });

  it('refuses empty, negative, exponent, hex, huge and non-numeric values, naming the variable', () => {
    for (const v of [
      '',
      ' ',
      '-1',
      '1e3',
      '0x10',
      'Infinity',
      'NaN',
      '30 days',
      '3651',
      '99999999999999999999',
      '1\u0000',
      '\uD800',
    ]) {
      expect(() => loadConfig({ PII_RETENTION_DAYS: v }), JSON.stringify(v)).to.throw(
        ConfigError,
        /PII_RETENTION_DAYS/,
      );
    }
  });

  it('any string either parses to a number of days in [0, 3650] or is refused naming the variable (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.double().map(String), fc.nat().map(String)), (v) => {
        let days: number | undefined;
        try {
          days = loadConfig({ PII_RETENTION_DAYS: v }).pii.retentionDays;
        } catch (err) {
          expect(err).to.be.instanceOf(ConfigError);
          expect((err as Error).message).to.match(/PII_RETENTION_DAYS/);
          return;
        }
        expect(days).to.be.a('number').within(0, 3650);
        expect(Number.isFinite(days)).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });
});

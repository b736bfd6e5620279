// Receiving (issue 14): the receipt body's validation (properties with hostile inputs), the
// line's expiry from a production date, and the band decision that refuses out-of-band lines.
import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import type { LineFacts } from '../../../domain/receiving/receipt';
import { decideLine, differingFields, lineExpiry, receiptBody } from '../../../domain/receiving/receipt';
import { sameRecord } from '../../../domain/masterdata/schemas';

const good = {
  receiptId: 'R-1',
  kind: 'supplier',
  nodeId: 'N1',
  supplierId: 'SUP-1',
  receivedAt: '2026-03-01T08:00:00Z',
  lines: [{ sku: 'MILK-1', quantity: 12, lotCode: 'L-42', expiresOn: '2026-03-10', bin: 'C-01', probeTempC: 3.2 }],
};
const chilled: LineFacts = {
  zone: 'chilled',
  band: DEFAULT_PROFILES.chilled.band,
  bandId: 'chilled',
  temperature: { source: 'probe', tempC: 3 },
  expiresOn: '2026-03-10',
  receivedAt: '2026-03-01T08:00:00Z',
  minShelfLifeDays: 2,
};
const paths = (input: unknown): string[] => {
  const r = receiptBody.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('receiving: receipt body', () => {
  it('accepts a good supplier receipt', () => {
    expect(paths(good)).to.deep.equal([]);
  });

  it('names the field of each problem: both or neither date, supplier missing, far dates, huge quantities', () => {
    expect(paths({ ...good, lines: [{ ...good.lines[0], producedOn: '2026-02-28' }] })).to.deep.equal([
      'lines.0.expiresOn',
    ]);
    expect(paths({ ...good, supplierId: undefined })).to.deep.equal(['supplierId']);
    expect(paths({ ...good, kind: 'transfer', supplierId: undefined })).to.deep.equal(['sourceNodeId']);
    expect(paths({ ...good, receivedAt: '9999-01-01T00:00:00Z' })).to.deep.equal(['receivedAt']);
    expect(paths({ ...good, lines: [{ ...good.lines[0], expiresOn: '2026-02-30' }] })).to.deep.equal([
      'lines.0.expiresOn',
    ]);
    expect(new Set(paths({ ...good, lines: [{ ...good.lines[0], quantity: 1e308 }] }))).to.deep.equal(
      new Set(['lines.0.quantity']),
    );
    expect(paths({ ...good, lines: [] })).to.deep.equal(['lines']);
  });

  it('hostile strings in any text field never pass: NUL, lone surrogates, __proto__ keys, over-long ids', () => {
    const hostile = fc.oneof(
      fc.string().map((s) => `${s}\u0000`),
      fc.string().map((s) => `\uD800${s}`),
      fc.constant('x'.repeat(65)),
      fc.constant(''),
    );
    const field = fc.constantFrom('receiptId', 'nodeId', 'supplierId', 'lines.0.sku', 'lines.0.lotCode', 'lines.0.bin');
    fc.assert(
      fc.property(field, hostile, (f, v) => {
        const body = structuredClone(good) as Record<string, unknown> & { lines: Record<string, unknown>[] };
        if (f.startsWith('lines.0.')) body.lines[0]![f.slice(8)] = v;
        else body[f] = v;
        expect(paths(body)).to.include(f);
      }),
    );
    expect(paths(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(good).slice(1)}`))).to.deep.equal(['']);
  });

  it('deeply nested or random JSON never throws, it is refused', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (v) => {
        expect(receiptBody.safeParse(v).success).to.equal(false);
      }),
    );
  });

  it('any valid receipt round-trips and equals itself field by field', () => {
    const line = fc.record({
      sku: fc.stringMatching(/^[A-Z][A-Z0-9-]{0,10}$/),
      quantity: fc.integer({ min: 1, max: 1_000_000 }),
      lotCode: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,10}$/),
      expiresOn: fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      bin: fc.constant('B1'),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const parsed = receiptBody.parse({ ...good, lines });
        expect(differingFields(parsed, parsed, sameRecord)).to.deep.equal([]);
      }),
    );
  });
});

describe('receiving: line decisions', () => {
  it('expiry from a production date adds the whole days of shelf life', () => {
    expect(lineExpiry({ producedOn: '2026-02-27' }, 7)).to.equal('2026-03-06');
    expect(lineExpiry({ producedOn: '2024-02-28' }, 2.9)).to.equal('2024-03-01');
    expect(lineExpiry({ expiresOn: '2026-03-10' }, 7)).to.equal('2026-03-10');
  });

  it('refuses a chilled line whose probe is above the band, naming the reading and the band', () => {
    const d = decideLine({ ...chilled, temperature: { source: 'probe', tempC: 9.5 } });
    expect(d.status).to.equal('refused');
    expect(d.status === 'refused' && d.reason).to.match(/9\.5 °C is above the chilled band/);
  });

  it('refuses a frozen line when the van was warmer than -18 °C at any time of the last hour', () => {
    const d = decideLine({
      ...chilled,
      zone: 'frozen',
      band: DEFAULT_PROFILES.frozen.band,
      bandId: 'frozen',
      temperature: { source: 'van', assetId: 'V1', minC: -22, maxC: -12, readings: 30 },
    });
    expect(d.status === 'refused' && d.reason).to.match(/van maximum -12 °C is above the frozen band/);
  });

  it('refuses a chilled line with no temperature, an expired line, and one below the minimum shelf life', () => {
    expect(decideLine({ ...chilled, temperature: { source: 'none', why: 'no probe reading' } }).status).to.equal(
      'refused',
    );
    expect(decideLine({ ...chilled, expiresOn: '2026-02-28' }).status).to.equal('refused');
    expect(decideLine({ ...chilled, expiresOn: '2026-03-02' }).status).to.equal('refused');
  });

  it('never checks the temperature of ambient lines; in-band chilled lines are accepted', () => {
    expect(decideLine({ ...chilled, zone: 'ambient', temperature: { source: 'none', why: 'x' } }).status).to.equal(
      'accepted',
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 4, noNaN: true }), (t) => {
        expect(decideLine({ ...chilled, temperature: { source: 'probe', tempC: t } }).status).to.equal('accepted');
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 4.0001, max: 80, noNaN: true }), (t) => {
        expect(decideLine({ ...chilled, temperature: { source: 'probe', tempC: t } }).status).to.equal('refused');
      }),
    );
  });

  it('names each differing field of a repeated receipt', () => {
    const a = receiptBody.parse(good);
    const b = receiptBody.parse({ ...good, nodeId: 'N2', lines: [{ ...good.lines[0], quantity: 13 }] });
    expect(differingFields(a, b, sameRecord)).to.deep.equal(['nodeId', 'lines.0.quantity']);
  });
});

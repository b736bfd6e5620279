// The peer bench's pure part (bench/peers/table.ts): the Python peers' JSON is outside input,
// validated with errors that name the model and field; scored rows line up with it by origin.
import { expect } from 'chai';
import fc from 'fast-check';
import { parsePeerForecasts, PeerInputError, readScored, scoreQuantiles } from '../../../bench/peers/table';

const HEADER =
  'series,origin,target,lead,actual,model_p10,model_p50,model_p90,same_slot_last_week,same_slot_last_week_p10,' +
  'same_slot_last_week_p90,mean_last_4_same_slots,mean_last_4_same_slots_p10,mean_last_4_same_slots_p90';

function row(origin: string, target: string, lead: number, actual: number, model: number): string {
  return `s,${origin},${target},${lead},${actual},${model - 1},${model},${model + 1},${actual},${actual - 2},${actual + 2},${actual},${actual - 3},${actual + 3}`;
}

describe('peer bench table', () => {
  it('reads scored rows grouped by origin, file order kept within an origin', () => {
    const text = [
      HEADER,
      row('2014-07-10', '2014-07-10', 1, 5, 6),
      row('2014-07-03', '2014-07-03', 1, 1, 1),
      row('2014-07-03', '2014-07-04', 2, 2, 2),
      row('2014-07-10', '2014-07-11', 2, 7, 7),
    ].join('\n');
    const scored = readScored(text);
    expect(scored.targets.map((t) => t.target)).to.deep.equal(['2014-07-03', '2014-07-04', '2014-07-10', '2014-07-11']);
    expect(Array.from(scored.actual)).to.deep.equal([1, 2, 5, 7]);
    expect(Array.from(scored.forecasts.get('freshchain')?.p50 ?? [])).to.deep.equal([1, 2, 6, 7]);
    expect(scoreQuantiles(scored.actual, scored.forecasts.get('freshchain')!).mae).to.equal(0.25);
  });

  it('a missing column or a non-numeric actual is a PeerInputError naming it', () => {
    expect(() => readScored('series,origin\ns,x')).to.throw(PeerInputError, /no column 'target'/);
    expect(() => readScored([HEADER, row('a', 'b', 1, 1, 1).replace(',1,1,0,', ',1,NaN,0,')].join('\n'))).to.throw(
      PeerInputError,
      /actual/,
    );
  });

  it('accepts well-formed peer output and scores it', () => {
    const peers = parsePeerForecasts(JSON.stringify({ lightgbm: { p10: [0, 1], p50: [1, 2], p90: [2, 3] } }), 2);
    const q = peers.get('lightgbm');
    expect(q && Array.from(q.p50)).to.deep.equal([1, 2]);
    const s = scoreQuantiles(Float64Array.from([1, 4]), q!);
    expect(s.mae).to.equal(1);
    expect(s.coverage).to.equal(0.5);
    expect(s.above_p90).to.equal(0.5);
  });

  it('anything else is a PeerInputError that names the model or field, never a crash (property)', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '\u0000',
        '\ud800',
        '{"__proto__":{"p10":[1]}}',
        '{"lightgbm":{"p10":[1e999],"p50":[1],"p90":[1]}}',
        'null',
        '[]',
      ),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 50 }).map((v) => JSON.stringify({ lightgbm: v })),
      fc
        .record({ p10: fc.array(fc.double()), p50: fc.array(fc.double()), p90: fc.array(fc.double()) })
        .map((q) => JSON.stringify({ mstl_autoets: q })),
    );
    fc.assert(
      fc.property(hostile, fc.integer({ min: 0, max: 3 }), (text, rows) => {
        try {
          const out = parsePeerForecasts(text, rows);
          for (const q of out.values()) {
            for (const a of [q.p10, q.p50, q.p90]) {
              expect(a.length).to.equal(rows);
              for (const v of a) expect(Number.isFinite(v) && v >= 0).to.equal(true);
            }
          }
        } catch (e) {
          expect(e).to.be.instanceOf(PeerInputError);
          expect((e as Error).message).to.match(/^peer output/);
        }
      }),
    );
  });

  it('names the model and quantile when the count of values is off', () => {
    const text = JSON.stringify({ mstl_autoets: { p10: [1], p50: [1, 2], p90: [1, 2] } });
    expect(() => parsePeerForecasts(text, 2)).to.throw(
      PeerInputError,
      /mstl_autoets\.p10: 1 values for 2 scored targets/,
    );
    expect(() => parsePeerForecasts(JSON.stringify({ prophet: { p10: [], p50: [], p90: [] } }), 0)).to.throw(
      PeerInputError,
      /unknown model 'prophet'/,
    );
    expect(() => parsePeerForecasts(JSON.stringify({ lightgbm: { p10: [-1], p50: [1], p90: [1] } }), 1)).to.throw(
      PeerInputError,
      /lightgbm\.p10\.0/,
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { classifySqlError, sqlState } from '../../../db/errors';
import { writeIsolatingPoison } from '../../../iot-ingest/poison';

const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

describe('db/errors: classifySqlError', () => {
  it('treats data exceptions and integrity violations as data, except a unique violation', () => {
    for (const code of ['22021', '22P02', '22003', '22007', '22008', '23502', '23503', '23514', '23P01'])
      expect(classifySqlError(pgError(code)), code).to.equal('data');
    expect(classifySqlError(pgError('23505'))).to.equal('duplicate');
  });

  it('treats connection, shutdown, resource and serialization errors as availability', () => {
    for (const code of [
      '08000',
      '08003',
      '08006',
      '08P01',
      '57P01',
      '57P02',
      '57P03',
      '57014',
      '53100',
      '53300',
      '40001',
      '40P01',
      'XX000',
      '42P01',
    ]) {
      expect(classifySqlError(pgError(code)), code).to.equal('availability');
    }
  });

  it('treats errors without a SQLSTATE (sockets, timeouts, bugs) as availability', () => {
    expect(classifySqlError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).to.equal(
      'availability',
    );
    expect(classifySqlError(new Error('Connection terminated unexpectedly'))).to.equal('availability');
    expect(classifySqlError(undefined)).to.equal('availability');
    expect(classifySqlError('22021')).to.equal('availability');
    expect(sqlState({ code: 22021 })).to.equal(undefined);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(fc.property(fc.anything(), (x) => ['data', 'duplicate', 'availability'].includes(classifySqlError(x))));
  });
});

/** A fake atomic write: fails with `code` when the part holds a poisoned item, else commits it. */
function fakeDb(poisoned: (n: number) => boolean, code = '22021') {
  const stored: number[] = [];
  let writes = 0;
  const write = async (part: number[]) => {
    writes++;
    if (part.some(poisoned)) throw pgError(code);
    stored.push(...part);
  };
  return {
    write,
    stored,
    get writes() {
      return writes;
    },
  };
}
const isData = (err: unknown) => classifySqlError(err) === 'data';

describe('iot-ingest/poison: writeIsolatingPoison', () => {
  it('writes a clean batch once, with no per-item bookkeeping (nothing of it is retried)', async () => {
    const db = fakeDb(() => false);
    const reported: number[] = [];
    expect(await writeIsolatingPoison([1, 2, 3], db.write, isData, (part) => reported.push(...part))).to.deep.equal([]);
    expect(db.stored).to.deep.equal([1, 2, 3]);
    expect(db.writes).to.equal(1);
    expect(reported).to.deep.equal([]);
  });

  it('finds one poisoned item in 2,000 with about 2·log2(n) writes and stores the rest', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const db = fakeDb((n) => n === 1234);
    const rejected = await writeIsolatingPoison(items, db.write, isData);
    expect(rejected.map((r) => r.item)).to.deep.equal([1234]);
    expect((rejected[0]!.error as { code: string }).code).to.equal('22021');
    expect([...db.stored].sort((a, b) => a - b)).to.deep.equal(items.filter((n) => n !== 1234));
    expect(db.writes).to.be.at.most(2 * Math.ceil(Math.log2(2000)) + 1);
  });

  it('isolates exactly the poisoned items of any batch: each other item is stored once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 300 }),
        fc.func(fc.boolean()),
        async (items, isPoison) => {
          const db = fakeDb((n) => isPoison(n));
          const rejected = await writeIsolatingPoison(items, db.write, isData);
          expect(rejected.map((r) => r.item).sort((a, b) => a - b)).to.deep.equal(
            items.filter((n) => isPoison(n)).sort((a, b) => a - b),
          );
          expect([...db.stored].sort((a, b) => a - b)).to.deep.equal(
            items.filter((n) => !isPoison(n)).sort((a, b) => a - b),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws an availability error at once, having reported the halves committed before it', async () => {
    const items = Array.from({ length: 8 }, (_, i) => i);
    let calls = 0;
    const committed: number[] = [];
    const write = async (_part: number[]) => {
      calls++;
      if (calls === 1) throw pgError('22021'); // the whole batch: data error, split
      if (calls === 2) return; // first half commits
      throw pgError('57P01'); // the server shuts down
    };
    let error: unknown;
    try {
      await writeIsolatingPoison(items, write, isData, (part) => committed.push(...part));
    } catch (err) {
      error = err;
    }
    expect((error as { code: string }).code).to.equal('57P01');
    expect(committed).to.deep.equal([0, 1, 2, 3]);
  });

  it('does not split on a unique violation or a connection error: the caller handles those', async () => {
    for (const code of ['23505', '08006']) {
      const db = fakeDb(() => true, code);
      let error: unknown;
      await writeIsolatingPoison([1, 2, 3, 4], db.write, isData).catch((err: unknown) => (error = err));
      expect((error as { code: string }).code).to.equal(code);
      expect(db.writes).to.equal(1);
    }
  });
});

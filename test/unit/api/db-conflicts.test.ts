// db/ functions report conflicts as typed values (DbConflict), never as SQLSTATE strings the
// routes would have to read; routes map them to the catalogue's codes.
import { expect } from 'chai';
import { conflictsAsTyped, DbConflict } from '../../../db/errors';
import { ApiError, rethrowConflict } from '../../../api/errors';
import { apiRegistry } from '../../../api/openapi';
import { ERROR_CODE_LIST } from '../../../api/error-codes';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('typed database conflicts', () => {
  it('turns an expected SQLSTATE into a DbConflict carrying the given message', async () => {
    const err = await conflictsAsTyped(() => Promise.reject(pgError('23505')), { concurrent_write: 'try again' }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DbConflict);
    expect((err as DbConflict).conflict).to.equal('concurrent_write');
    expect((err as DbConflict).message).to.equal('try again');
  });

  it('lets SQLSTATEs the caller did not list, and other errors, through unchanged', async () => {
    const other = pgError('22003');
    expect(
      await conflictsAsTyped(() => Promise.reject(other), { concurrent_write: 'x' }).catch((e: unknown) => e),
    ).to.equal(other);
    const socket = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    expect(
      await conflictsAsTyped(() => Promise.reject(socket), { out_of_range: 'x' }).catch((e: unknown) => e),
    ).to.equal(socket);
    expect(await conflictsAsTyped(() => Promise.resolve(7), { out_of_range: 'x' })).to.equal(7);
  });

  it('maps a DbConflict of the named kind to the API code, with the status from the catalogue', () => {
    const map = rethrowConflict('out_of_range', 'FC_STOCK');
    const thrown = (() => {
      try {
        return map(new DbConflict('out_of_range', 'too many'));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).to.be.instanceOf(ApiError);
    expect((thrown as ApiError).status).to.equal(409);
    expect((thrown as ApiError).code).to.equal('FC_STOCK');
    const other = new DbConflict('concurrent_write', 'raced');
    expect(() => map(other)).to.throw(DbConflict);
  });

  it('lists every catalogue code in the OpenAPI Error schema', () => {
    const doc = apiRegistry().document() as {
      components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } };
    };
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).to.deep.equal(ERROR_CODE_LIST);
  });
});

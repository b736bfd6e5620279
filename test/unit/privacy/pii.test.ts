// Per-customer data keys (crypto-shredding): a record sealed under a customer's key opens only
// with that key's wrapped copy; without it (erased) nothing opens it, not even the master key.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  customerEnvelope,
  customerPiiSealer,
  newWrappedDataKey,
  openPii,
  sealForCustomer,
  sealPii,
} from '../../../platform/pii';

const MASTER = Buffer.alloc(32, 7).toString('base64');
const OTHER = Buffer.alloc(32, 9).toString('base64');
const person = { name: 'Zhang San', phone: '+86 138 0000 1234', address: '1 Road' };

describe('PII sealing with per-customer data keys', () => {
  it('opens a record sealed under a customer key through its envelope, and only so', () => {
    const wrapped = newWrappedDataKey(MASTER);
    const sealed = sealForCustomer(person, wrapped, MASTER);
    expect(openPii(customerEnvelope(sealed, wrapped), MASTER)).to.deep.equal(person);
    expect(() => openPii(sealed, MASTER), 'the record alone').to.throw(/data key/);
    expect(() => customerEnvelope(sealed, null), 'key destroyed').to.throw(/destroyed/);
    expect(
      () => openPii(customerEnvelope(sealed, newWrappedDataKey(MASTER)), MASTER),
      "another customer's key",
    ).to.throw();
    expect(() => openPii(customerEnvelope(sealed, wrapped), OTHER), 'another master key').to.throw();
  });

  it('still opens records sealed under the master key before per-customer keys (they pass through the envelope)', () => {
    const legacy = sealPii(person, MASTER);
    expect(customerEnvelope(legacy, null)).to.equal(legacy);
    expect(openPii(customerEnvelope(legacy, null), MASTER)).to.deep.equal(person);
  });

  it('a sealer seals under the key the database hands it', () => {
    const sealer = customerPiiSealer(person, MASTER);
    const wrapped = sealer.newWrappedKey();
    expect(openPii(customerEnvelope(sealer.seal(wrapped), wrapped), MASTER)).to.deep.equal(person);
  });

  it('round-trips any JSON value, lone surrogates and NULs included (property)', () => {
    const wrapped = newWrappedDataKey(MASTER);
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const value = { v, s }; // lone surrogates too: JSON.stringify escapes them
        expect(openPii(customerEnvelope(sealForCustomer(value, wrapped, MASTER), wrapped), MASTER)).to.deep.equal(
          JSON.parse(JSON.stringify(value)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never opens altered or arbitrary bytes: it throws (property)', () => {
    const wrapped = newWrappedDataKey(MASTER);
    const good = customerEnvelope(sealForCustomer(person, wrapped, MASTER), wrapped);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(good);
        bad[at]! ^= xor;
        expect(() => openPii(bad, MASTER)).to.throw();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(() => openPii(Buffer.from(bytes), MASTER)).to.throw();
      }),
      { numRuns: 300 },
    );
  });
});

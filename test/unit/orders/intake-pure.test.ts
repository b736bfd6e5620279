// Pure pieces of intake and of the order workflow's robustness (no services): the date window,
// the request fingerprint that tells a repeated order from a conflicting one, and the clamp
// that keeps a Datetime search attribute within what Temporal stores.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  fingerprintDifferences,
  intakeFingerprint,
  orderIntakeSchema,
  recordDifferences,
} from '../../../api/routes/orders';
import { isCleanText } from '../../../api/text';
import {
  INTAKE_WINDOW,
  intakeDateIssues,
  MAX_SEARCH_ATTRIBUTE_MS,
  searchAttributeInstant,
} from '../../../domain/orders';

const NOW = Date.UTC(2026, 2, 3, 10, 0);
const HOUR = 3_600_000;
const KEY = 'ZnJlc2hjaGFpbi1kZXYtcGlpLWtleS0zMi1ieXRlcyE=';

function parsed(over: Record<string, unknown> = {}) {
  return orderIntakeSchema.parse({
    orderId: 'o-1',
    customer: { id: 'c-1', name: 'Li Wei', phone: '+86 138 0000 5678', address: 'Room 1, 88 Test Road' },
    location: { lat: 31.23, lng: 121.47 },
    slot: { kind: 'instant' },
    lines: [
      { lineId: 'l1', sku: 'MILK', qty: 2 },
      { lineId: 'l2', sku: 'RICE', qty: 1 },
    ],
    ...over,
  });
}

describe('intake date window', () => {
  it('accepts no placedAt, and a placedAt within minutes of now', () => {
    expect(intakeDateIssues({ slot: { kind: 'instant' } }, NOW)).to.deep.equal([]);
    expect(intakeDateIssues({ placedAt: NOW - 10 * 60_000, slot: { kind: 'instant' } }, NOW)).to.deep.equal([]);
  });

  it('names the field of every date outside the window', () => {
    const far = Date.parse('9999-12-31T23:59:59Z');
    expect(
      intakeDateIssues({ placedAt: far, slot: { kind: 'instant' } }, NOW).map((i) => i.path.join('.')),
    ).to.deep.equal(['placedAt']);
    expect(
      intakeDateIssues({ placedAt: 0, slot: { kind: 'instant' } }, NOW).map((i) => i.path.join('.')),
    ).to.deep.equal(['placedAt']);
    expect(
      intakeDateIssues({ slot: { kind: 'scheduled', start: NOW - 2 * HOUR, end: NOW - HOUR } }, NOW).map((i) =>
        i.path.join('.'),
      ),
    ).to.deep.equal(['slot.start']);
    expect(
      intakeDateIssues({ slot: { kind: 'scheduled', start: NOW + HOUR, end: far } }, NOW).map((i) => i.path.join('.')),
    ).to.deep.equal(['slot.end']);
    expect(
      intakeDateIssues({ slot: { kind: 'scheduled', start: NaN, end: NaN } }, NOW).map((i) => i.path.join('.')),
    ).to.deep.equal(['slot.start', 'slot.end']);
  });

  it('accepts exactly the slots inside the horizon with a sane length (property)', () => {
    const w = INTAKE_WINDOW;
    fc.assert(
      fc.property(
        fc.integer({ min: -30 * 24 * HOUR, max: 30 * 24 * HOUR }),
        fc.integer({ min: -HOUR, max: 24 * HOUR }),
        (offset, length) => {
          const ok =
            intakeDateIssues({ slot: { kind: 'scheduled', start: NOW + offset, end: NOW + offset + length } }, NOW)
              .length === 0;
          expect(ok).to.equal(
            offset >= -w.slotStartGraceMs && offset <= w.horizonMs && length > 0 && length <= w.maxSlotMs,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws, whatever numbers it gets (property)', () => {
    const num = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(NaN, Infinity, -Infinity, 8.64e15, -8.64e15, 1e308),
    );
    fc.assert(
      fc.property(fc.option(num, { nil: undefined }), num, num, (placedAt, start, end) => {
        const issues = intakeDateIssues(
          { ...(placedAt === undefined ? {} : { placedAt }), slot: { kind: 'scheduled', start, end } },
          NOW,
        );
        for (const i of issues) expect(i.message).to.be.a('string').and.not.equal('');
      }),
    );
  });
});

describe('intake fingerprint', () => {
  it('is the same however an equal body is spelled', () => {
    const a = intakeFingerprint(parsed(), KEY);
    const b = intakeFingerprint(
      parsed({
        customer: { id: 'c-1', name: '  Li   Wei ', phone: '+86 (138) 0000-5678', address: 'room 1,  88 TEST road' },
        lines: [
          { lineId: 'l2', sku: 'RICE', qty: 1 },
          { lineId: 'l1', sku: 'MILK', qty: 2 },
        ],
      }),
      KEY,
    );
    expect(fingerprintDifferences(a, b)).to.deep.equal([]);
    const start = Date.now() + 24 * HOUR;
    const z = intakeFingerprint(
      parsed({
        slot: { kind: 'scheduled', start: new Date(start).toISOString(), end: new Date(start + HOUR).toISOString() },
      }),
      KEY,
    );
    const offset = intakeFingerprint(
      parsed({
        slot: {
          kind: 'scheduled',
          start: new Date(start + 8 * HOUR).toISOString().replace('Z', '+08:00'),
          end: new Date(start + 9 * HOUR).toISOString().replace('Z', '+08:00'),
        },
      }),
      KEY,
    );
    expect(fingerprintDifferences(z, offset)).to.deep.equal([]);
  });

  it('names each field that differs', () => {
    const a = intakeFingerprint(parsed(), KEY);
    expect(
      fingerprintDifferences(
        a,
        intakeFingerprint(
          parsed({
            lines: [
              { lineId: 'l1', sku: 'MILK', qty: 3 },
              { lineId: 'l2', sku: 'RICE', qty: 1 },
            ],
          }),
          KEY,
        ),
      ),
    ).to.deep.equal(['lines']);
    expect(
      fingerprintDifferences(
        a,
        intakeFingerprint(parsed({ location: { lat: 31.24, lng: 121.47 }, options: { mergeWindowMs: 0 } }), KEY),
      ),
    ).to.deep.equal(['location', 'options']);
    expect(
      fingerprintDifferences(
        a,
        intakeFingerprint(
          parsed({
            customer: { id: 'c-1', name: 'Li Lei', phone: '+86 138 0000 5678', address: 'Room 1, 88 Test Road' },
          }),
          KEY,
        ),
      ),
    ).to.deep.equal(['customer']);
  });

  it('holds no personal data in the clear, and depends on the key', () => {
    const f = intakeFingerprint(parsed(), KEY);
    expect(JSON.stringify(f)).not.to.match(/Li Wei|5678|Test Road/);
    expect(fingerprintDifferences(f, intakeFingerprint(parsed(), 'another-key'))).to.have.length(6);
  });

  it('compares an order recorded before fingerprints on what its row holds', () => {
    const body = parsed();
    const row = {
      customerId: 'c-1',
      lines: [...body.lines].reverse(),
      location: body.location,
      slot: { kind: 'instant', start: 0, end: 0 },
    };
    expect(recordDifferences(row, body)).to.deep.equal([]);
    expect(
      recordDifferences({ ...row, customerId: 'c-2', lines: [{ lineId: 'l1', sku: 'MILK', qty: 1 }] }, body),
    ).to.deep.equal(['customer', 'lines']);
  });
});

describe('Datetime search attribute clamp', () => {
  it('keeps real deadlines and clamps what Temporal cannot store', () => {
    expect(searchAttributeInstant(NOW)).to.equal(NOW);
    expect(new Date(searchAttributeInstant(Date.parse('9999-12-31T23:59:59Z') + 30 * 60_000)!).toISOString()).to.equal(
      '9999-12-31T23:59:59.999Z',
    );
    expect(searchAttributeInstant(-1)).to.equal(0);
    expect(searchAttributeInstant(NaN)).to.equal(undefined);
  });

  it('always gives a four-digit-year RFC 3339 instant for any number (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(8.64e15, -8.64e15, 1e308, Infinity)), (ms) => {
        const at = searchAttributeInstant(ms);
        expect(at === undefined).to.equal(!Number.isFinite(ms));
        if (at === undefined) return;
        expect(new Date(at).toISOString()).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(at).to.be.within(0, MAX_SEARCH_ATTRIBUTE_MS);
      }),
    );
  });
});

describe('clean text (the refinement every free-text field of a body shares)', () => {
  // Oracle: no Unicode control character, and the string survives a UTF-8 round trip (a lone
  // surrogate comes back as U+FFFD).
  const oracle = (s: string) => !/\p{Cc}/u.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s;

  it('agrees with the oracle on any UTF-16 string (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 })),
        (s) => {
          expect(isCleanText(s), JSON.stringify(s)).to.equal(oracle(s));
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff })).map((cs) => String.fromCharCode(...cs)),
        (s) => {
          expect(isCleanText(s), JSON.stringify(s)).to.equal(oracle(s));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses NUL, DEL, C1 controls and unpaired surrogates; keeps emoji and CJK', () => {
    for (const bad of ['a\u0000b', '\u007f', '\u0085', '\ud800', 'x\udc00', '\udc00\ud800', 'line\nbreak'])
      expect(isCleanText(bad), JSON.stringify(bad)).to.equal(false);
    for (const good of ['李伟', '🥬🥛', "Zoë O'Brien", '']) expect(isCleanText(good), good).to.equal(true);
  });
});

// The order intake body at the boundary (issue 12, items 4 and 7): every string field refuses
// NUL, control characters and lone surrogates with its path named; every date is checked
// against the server clock; and what enters the workflow carries no exact coordinates.
// Property-based (fast-check): hostile values in any field give a 400 naming a field, never a
// throw of another kind and never an accepted body with unclean text in it.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { ZodError } from 'zod';
import { addressKey, orderIntakeSchema, toOrderInput } from '../../../api/routes/orders';
import { isCleanText } from '../../../api/text';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const KEY = 'a-test-personal-data-key';
const parsedBody = () => orderIntakeSchema.parse(body());

function body(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'o-1',
    customer: { id: 'c-1', name: 'Li Wei', phone: '+86 138 0000 5678', address: 'Room 1, 88 Test Road' },
    location: { lat: 31.2304123, lng: 121.4737456 },
    slot: { kind: 'instant' },
    lines: [{ lineId: 'l1', sku: 'MILK', qty: 2 }],
    ...over,
  };
}

/** Every string in a value, however deep. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

/** Paths (dotted) of the issues a body is refused with; [] when accepted. */
function refusedAt(b: unknown): string[] {
  const r = orderIntakeSchema.safeParse(b);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
}

const iso = (ms: number) => new Date(ms).toISOString();
const scheduled = (start: number, end: number) => ({ slot: { kind: 'scheduled', start: iso(start), end: iso(end) } });

// Where a string field lives in the body, and how to put a value there.
const STRING_FIELDS: { path: string; set: (v: string) => Record<string, unknown> }[] = [
  { path: 'orderId', set: (v) => body({ orderId: v }) },
  { path: 'customer.id', set: (v) => body({ customer: { ...(body().customer as object), id: v } }) },
  { path: 'customer.name', set: (v) => body({ customer: { ...(body().customer as object), name: v } }) },
  { path: 'customer.phone', set: (v) => body({ customer: { ...(body().customer as object), phone: v } }) },
  { path: 'customer.address', set: (v) => body({ customer: { ...(body().customer as object), address: v } }) },
  { path: 'lines.0.lineId', set: (v) => body({ lines: [{ lineId: v, sku: 'MILK', qty: 1 }] }) },
  { path: 'lines.0.sku', set: (v) => body({ lines: [{ lineId: 'l1', sku: v, qty: 1 }] }) },
];

// A string with at least one character no text field may hold: a control character (C0, DEL,
// C1; NUL included) or an unpaired surrogate, somewhere among ordinary text.
const poison = fc
  .oneof(
    fc.integer({ min: 0, max: 0x1f }),
    fc.constant(0x7f),
    fc.integer({ min: 0x80, max: 0x9f }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
  )
  .map((c) => String.fromCharCode(c));
const hostileString = fc
  .tuple(fc.string({ maxLength: 20 }), poison, fc.string({ maxLength: 20 }))
  .map(([a, p, b]) => `Li${a}${p}${b}Wei`);

describe('order intake body', () => {
  it('refuses a customer name with a NUL byte, naming the field', () => {
    expect(refusedAt(body({ customer: { ...(body().customer as object), name: 'Li\u0000Wei' } }))).to.deep.equal([
      'customer.name',
    ]);
  });

  it('refuses an address with a lone surrogate, naming the field', () => {
    expect(
      refusedAt(body({ customer: { ...(body().customer as object), address: 'Room 1 \ud800, 88 Test Road' } })),
    ).to.deep.equal(['customer.address']);
  });

  it('accepts names in any script, emoji included', () => {
    expect(refusedAt(body({ customer: { ...(body().customer as object), name: '李伟 🥬 Łukasz' } }))).to.deep.equal([]);
  });

  it('refuses control characters and lone surrogates in every string field, naming that field (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_FIELDS), hostileString, (field, s) => {
        expect(refusedAt(field.set(s))).to.include(field.path);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON, and accepts only clean text (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.constantFrom(...STRING_FIELDS),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (junk, field, s) => {
          expect(orderIntakeSchema.safeParse(junk).success).to.equal(false);
          const r = orderIntakeSchema.safeParse(field.set(s));
          if (r.success)
            for (const text of strings(r.data)) expect(isCleanText(text), JSON.stringify(text)).to.equal(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses __proto__ keys, deep nesting and huge numbers without throwing anything but a validation error', () => {
    const proto = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    for (const b of [
      { ...body(), ...proto },
      body({ options: deep }),
      body({ lines: [{ lineId: 'l1', sku: 'MILK', qty: 1e308 }] }),
      body({ location: { lat: 1e308, lng: 0 } }),
    ]) {
      const r = orderIntakeSchema.safeParse(b);
      expect(r.success).to.equal(false);
      expect(r.error).to.be.instanceOf(ZodError);
    }
  });

  describe('dates against the server clock', () => {
    it('refuses placedAt in year 9999, naming placedAt', () => {
      expect(refusedAt(body({ placedAt: '9999-12-31T23:59:59Z' }))).to.deep.equal(['placedAt']);
    });

    it('refuses placedAt long past, and accepts it within minutes of now or omitted', () => {
      const now = Date.now();
      expect(refusedAt(body({ placedAt: iso(now - 2 * DAY) }))).to.deep.equal(['placedAt']);
      expect(refusedAt(body({ placedAt: iso(now - 3 * MIN) }))).to.deep.equal([]);
      expect(refusedAt(body())).to.deep.equal([]);
    });

    it('refuses scheduled slots in the past or beyond the bookable horizon, naming the field', () => {
      const now = Date.now();
      expect(refusedAt(body(scheduled(now - 2 * DAY, now - 2 * DAY + HOUR)))).to.include('slot.start');
      expect(refusedAt(body(scheduled(now + 3 * 365 * DAY, now + 3 * 365 * DAY + HOUR)))).to.deep.equal(['slot.start']);
      expect(
        refusedAt(body({ slot: { kind: 'scheduled', start: iso(now + DAY), end: '9999-12-31T23:59:59Z' } })),
      ).to.deep.equal(['slot.end']);
      expect(refusedAt(body(scheduled(now + DAY + HOUR, now + DAY)))).to.deep.equal(['slot.end']);
      expect(refusedAt(body(scheduled(now + DAY, now + DAY + HOUR)))).to.deep.equal([]);
      expect(refusedAt(body(scheduled(now, now + 3000)))).to.deep.equal([]);
    });

    it('accepts a slot only inside the window (property)', () => {
      const now = Date.now();
      fc.assert(
        fc.property(
          fc.integer({ min: -400 * DAY, max: 400 * DAY }),
          fc.integer({ min: -DAY, max: 2 * DAY }),
          (startOffset, length) => {
            const ok = refusedAt(body(scheduled(now + startOffset, now + startOffset + length))).length === 0;
            // A few ms pass between `now` here and the schema's own clock: stay clear of the edges.
            if (ok) {
              expect(startOffset).to.be.at.least(-5 * MIN - 1000);
              expect(startOffset).to.be.at.most(14 * DAY);
              expect(length).to.be.greaterThan(0);
              expect(length).to.be.at.most(12 * HOUR);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  it('puts no exact coordinates into the workflow input', () => {
    const parsed = orderIntakeSchema.parse(body());
    const input = toOrderInput(parsed, Date.now(), KEY);
    const text = JSON.stringify(input);
    expect(text).not.to.include('31.2304123');
    expect(text).not.to.include('121.4737456');
    expect(input.addressKey).to.match(/^[0-9a-f]{32}$/);
  });

  it("keys the door's hash: a guessed address cannot be confirmed from a history without the key", () => {
    const address = parsedBody().customer.address;
    const normalised = address.trim().toLowerCase().replace(/\s+/g, ' ');
    const k = addressKey(address, KEY);
    for (const plain of [normalised, address]) {
      expect(k).not.to.equal(createHash('sha256').update(plain).digest('hex').slice(0, 32));
    }
    expect(addressKey(`  ${address.toUpperCase().replace(/ /g, '   ')} `, KEY), 'spacing and case').to.equal(k);
    expect(addressKey(address, `${KEY}x`), 'another key').not.to.equal(k);
    expect(addressKey(`${address} 2`, KEY), 'another door').not.to.equal(k);
  });
});

import { expect } from 'chai';
import { DEFAULT_RETURN_WINDOWS, resolveCustomerReturn, takeFromLots } from '../../../domain/orders';
import type { ReturnableLine, ReturnRequestLine } from '../../../domain/orders';

const deliveredAt = Date.parse('2026-11-20T10:00:00+08:00');
const HOUR = 3_600_000;
const milk: ReturnableLine = { lineId: 'milk', sku: { sku: 'MILK', perishable: true, unitPriceCents: 800 }, delivered: 2, returned: 0, deliveredAtMs: deliveredAt };
const rice: ReturnableLine = { lineId: 'rice', sku: { sku: 'RICE', perishable: false, unitPriceCents: 2000 }, delivered: 3, returned: 1, deliveredAtMs: deliveredAt };
const ask = (over: Partial<ReturnRequestLine> & { lineId: string }): ReturnRequestLine => ({ qty: 1, reason: 'quality', condition: 'unknown', customerChoice: 'refund', ...over });

describe('returns after delivery (resolveCustomerReturn)', () => {
  it('refunds sour milk and writes it off; takes back unwanted rice in sellable condition onto the shelf', () => {
    const d = resolveCustomerReturn([milk, rice], [ask({ lineId: 'milk', qty: 2 }), ask({ lineId: 'rice', qty: 2, reason: 'changed_mind', condition: 'sellable' })], deliveredAt + 20 * HOUR);
    expect(d).to.deep.equal({
      ok: true,
      creditCents: 2 * 800 + 2 * 2000,
      lines: [
        { lineId: 'milk', sku: 'MILK', qty: 2, reason: 'quality', creditCents: 1600, restock: false, writeOff: true, replacement: false },
        { lineId: 'rice', sku: 'RICE', qty: 2, reason: 'changed_mind', creditCents: 4000, restock: true, writeOff: false, replacement: false },
      ],
    });
  });

  it('sends a replacement instead of money when the customer asks for one', () => {
    const d = resolveCustomerReturn([milk], [ask({ lineId: 'milk', customerChoice: 'replacement' })], deliveredAt + HOUR);
    expect(d.ok && d.lines[0]).to.include({ replacement: true, creditCents: 0, writeOff: true });
    expect(d.ok && d.creditCents).to.equal(0);
  });

  it('never takes back more than the customer still holds: delivered minus earlier returns', () => {
    const d = resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 3, reason: 'damaged' })], deliveredAt + HOUR);
    expect(d).to.deep.equal({ ok: false, refusal: 'line rice: cannot return 3; 2 returnable (3 delivered, 1 returned before)' });
    expect(resolveCustomerReturn([{ ...rice, returned: 3 }], [ask({ lineId: 'rice' })], deliveredAt).ok).to.equal(false);
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 0 })], deliveredAt).ok, 'zero units').to.equal(false);
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 1.5 })], deliveredAt).ok, 'part of a unit').to.equal(false);
  });

  it('keeps fresh goods out of no-reason returns, but accepts their quality, damage and wrong-item claims', () => {
    const changed = resolveCustomerReturn([milk], [ask({ lineId: 'milk', reason: 'changed_mind', condition: 'sellable' })], deliveredAt + HOUR);
    expect(changed).to.deep.equal({ ok: false, refusal: 'line milk: fresh goods are returned only for a quality problem, damage or a wrong item' });
    for (const reason of ['quality', 'damaged', 'wrong_item'] as const) {
      const d = resolveCustomerReturn([milk], [ask({ lineId: 'milk', reason, condition: 'sellable' })], deliveredAt + HOUR);
      expect(d.ok && d.lines[0], reason).to.include({ restock: false, writeOff: true });
    }
  });

  it('closes the window 48 h after delivery for perishables and 7 days for ambient goods', () => {
    expect(resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 48 * HOUR).ok, 'on the edge').to.equal(true);
    expect(resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 48 * HOUR + 1)).to.deep.equal({ ok: false, refusal: 'line milk: perishable goods can be returned within 48 h of delivery' });
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice' })], deliveredAt + 6 * 24 * HOUR).ok).to.equal(true);
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice' })], deliveredAt + 7 * 24 * HOUR + 1)).to.deep.equal({ ok: false, refusal: 'line rice: ambient goods can be returned within 7 days of delivery' });
    expect(resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 3 * HOUR, { ...DEFAULT_RETURN_WINDOWS, perishableMs: 2 * HOUR }).ok, 'a shorter window when configured').to.equal(false);
  });

  it('refuses the whole return for an unknown or repeated line, or an empty request', () => {
    expect(resolveCustomerReturn([milk, rice], [ask({ lineId: 'rice' }), ask({ lineId: 'eggs' })], deliveredAt)).to.deep.equal({ ok: false, refusal: 'line eggs was not delivered with this order' });
    expect(resolveCustomerReturn([milk], [ask({ lineId: 'milk' }), ask({ lineId: 'milk' })], deliveredAt)).to.deep.equal({ ok: false, refusal: 'line milk appears twice' });
    expect(resolveCustomerReturn([milk], [], deliveredAt)).to.deep.equal({ ok: false, refusal: 'a return names at least one line' });
  });
});

describe('takeFromLots: which lots returned units came from', () => {
  const lots = [{ lotId: 'A', qty: 2 }, { lotId: 'B', qty: 3 }];
  it('takes from the last lot first, then the one before, never more than each gave', () => {
    expect(takeFromLots(lots, 2)).to.deep.equal([{ lotId: 'B', qty: 2 }]);
    expect(takeFromLots(lots, 4)).to.deep.equal([{ lotId: 'B', qty: 3 }, { lotId: 'A', qty: 1 }]);
    expect(takeFromLots(lots, 9), 'no more than the line held').to.deep.equal([{ lotId: 'B', qty: 3 }, { lotId: 'A', qty: 2 }]);
    expect(takeFromLots([], 1)).to.deep.equal([]);
  });
});

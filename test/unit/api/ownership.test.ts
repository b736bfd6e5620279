// The ownership rules alone (api/ownership.ts): ops reach everything; an integrator only the
// orders it placed (never one recorded without an owner); a courier only its own fulfilments,
// or a packed one nobody has taken yet, and that only to dispatch it.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Principal } from '../../../api/auth';
import { courierMayAct, mayReachOrder } from '../../../api/ownership';
import type { CourierAct } from '../../../api/ownership';

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);
const STATES = ['allocated', 'picking', 'packed', 'dispatched', 'delivered', 'rejected', 'cancelled'];
const act: fc.Arbitrary<CourierAct> = fc.oneof(
  id.map((courierId) => ({ type: 'dispatched' as const, courierId })),
  fc.constantFrom({ type: 'delivered' as const }, { type: 'rejected' as const }),
);

describe('ownership rules', () => {
  it('lets ops reach any order, and anyone else only the orders it placed', () => {
    fc.assert(
      fc.property(
        id,
        fc.constantFrom('ops', 'integrator', 'courier', 'picker' as const),
        fc.option(id, { nil: null }),
        (sub, role, placedBy) => {
          const p: Principal = role === 'picker' ? { sub, role, nodeId: 'n' } : { sub, role };
          expect(mayReachOrder(p, placedBy)).to.equal(role === 'ops' || placedBy === sub);
        },
      ),
    );
    expect(
      mayReachOrder({ sub: 'erp', role: 'integrator' }, null),
      'an order without an owner is for ops only',
    ).to.equal(false);
  });

  it("never lets a courier act on another courier's fulfilment, nor on another order's", () => {
    fc.assert(
      fc.property(id, id, id, id, fc.constantFrom(...STATES), act, (me, other, orderId, otherOrder, state, a) => {
        fc.pre(me !== other && orderId !== otherOrder);
        expect(courierMayAct(me, orderId, { orderId, state, courierId: other }, a)).to.equal(false);
        expect(courierMayAct(me, orderId, { orderId: otherOrder, state, courierId: me }, a)).to.equal(false);
        expect(courierMayAct(me, orderId, undefined, a)).to.equal(false);
        expect(courierMayAct(me, orderId, { orderId, state, courierId: me }, a)).to.equal(true);
      }),
    );
  });

  it('lets a courier take a packed fulfilment nobody has, by dispatching it, and nothing else unassigned', () => {
    fc.assert(
      fc.property(id, id, fc.constantFrom(...STATES), act, (me, orderId, state, a) => {
        expect(courierMayAct(me, orderId, { orderId, state, courierId: null }, a)).to.equal(
          state === 'packed' && a.type === 'dispatched',
        );
      }),
    );
  });
});

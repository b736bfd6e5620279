// The order and fulfilment workflows on the real dev server, with their activities replaced by
// in-memory fakes: the pure allocator over a hand-made network instead of the database, and
// gates that hold an activity until the test lets it go, so interleavings that are races
// against a real database become deterministic.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import { allocateOrder, buildStockIndex } from '../../domain/orders';
import type { Node, Order, Sku, StockLot } from '../../domain/orders';
import type { createActivities } from '../../activities';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { startPickingUpdate } from '../../workflows/fulfilment.contract';
import {
  cancelOrderUpdate,
  orderStatusQuery,
  orderWorkflowId,
  reallocateLinesSignal,
} from '../../workflows/order.contract';
import type { OrderInput, OrderView } from '../../domain/orders';
import { orderWorkflow } from '../../workflows/order';
import { installTemporalRuntime, workflowBundle } from '../../workflows/worker';
import { cityToday } from '../support/orders';
import { requireTemporal, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

type Activities = ReturnType<typeof createActivities>;
type Event = temporal.api.history.v1.IHistoryEvent;

const centre = { lat: 31.23, lng: 121.47 };
const expires = new Date(Date.parse(cityToday()) + 5 * 86_400_000).toISOString().slice(0, 10);
const node = (id: string, dLat: number): Node => ({
  id,
  kind: 'front',
  name: id,
  location: { lat: centre.lat + dLat, lng: centre.lng },
  serviceRadiusKm: 3,
  zones: ['ambient', 'chilled', 'frozen'],
  pickMinutesPerOrder: 3,
  packMinutes: 1,
  travelKmPerHour: 20,
  slotCapacity: { '*': 1000 },
});
const skus: Sku[] = [
  {
    sku: 'MILK',
    name: 'milk',
    category: 'dairy',
    zone: 'chilled',
    minShelfLifeDays: 1,
    perishable: true,
    unitPriceCents: 800,
  },
  {
    sku: 'RICE',
    name: 'rice',
    category: 'rice',
    zone: 'ambient',
    minShelfLifeDays: 1,
    perishable: false,
    unitPriceCents: 2000,
  },
];
// Milk only at N0, rice only at N1: an order for both splits over two nodes.
const nodes = [node('N0', 0), node('N1', 0.005)];
const lots: StockLot[] = [
  { nodeId: 'N0', sku: 'MILK', lotId: 'MILK-A', expiresOn: expires, available: 10, bin: 'A-01-1' },
  { nodeId: 'N1', sku: 'RICE', lotId: 'RICE-B', expiresOn: expires, available: 10, bin: 'B-01-1' },
];

/** A gate an activity waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** Fake activities that record what they were asked. */
function fakeActivities(hold: { secondJoin?: Promise<void>; release?: Promise<void> } = {}) {
  const calls: { name: string; args: unknown }[] = [];
  let joins = 0;
  const record = (name: string, args: unknown) => calls.push({ name, args });
  const activities: Partial<Activities> = {
    async recordOrder(order) {
      record('recordOrder', order.orderId);
    },
    async allocateAndReserve({ order }) {
      record('allocateAndReserve', order.orderId);
      // The workflow passes no coordinates; the real activity reads the door from the orders row.
      return {
        allocation: allocateOrder(
          buildStockIndex(nodes, skus, lots),
          { ...order, location: centre } as Order,
          Date.now(),
        ),
        replayed: false,
      };
    },
    async joinDelivery(a) {
      record('joinDelivery', a.nodeId);
      if (++joins === 2 && hold.secondJoin) await hold.secondJoin;
      return { deliveryId: `d-${a.orderId}-${a.nodeId}`, orderIds: [a.orderId] };
    },
    async appendOrderEvent(e) {
      record('appendOrderEvent', e.type);
    },
    async refundUnfulfilled(a) {
      record('refundUnfulfilled', a.lines.length);
      return a.lines.length;
    },
    async commitReservations(a) {
      record('commitReservations', a.nodeId);
      return 1;
    },
    async releaseReservations(a) {
      record('releaseReservations', a.slot?.nodeId ?? a.lotIds);
      if (hold.release) await hold.release;
      return 1;
    },
    async settleReturns(a) {
      record('settleReturns', a.lines.length);
    },
    async skuFacts(ids) {
      return Object.fromEntries(
        ids.map((id) => {
          const s = skus.find((x) => x.sku === id)!;
          return [id, { perishable: s.perishable, unitPriceCents: s.unitPriceCents }];
        }),
      );
    },
    async syncPickTask() {},
    async substitutionPolicy() {
      return { policy: 'refund', sku: null, decisionWindowS: null };
    },
    async recordShortPick(a) {
      record('recordShortPick', a.lineId);
    },
    async refundLine(a) {
      record('refundLine', a.lineId);
      return a.qty;
    },
  };
  return { activities, calls, names: () => calls.map((c) => c.name) };
}

describe('Order workflow with fake activities (integration, dev server)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    await requireTemporal();
    installTemporalRuntime(testLogger);
    const cfg = loadConfig({ ...process.env, FRESHCHAIN_PROFILE: 'test' });
    env = await TestWorkflowEnvironment.createFromExistingServer({
      address: cfg.temporal.address,
      namespace: cfg.temporal.namespace,
    });
  });
  after(async () => env?.teardown());

  const input = (orderId: string): OrderInput => {
    const now = Date.now();
    return {
      // As intake starts it: no coordinates (the door is in the orders row).
      orderId,
      customerId: 'c1',
      addressKey: `door-${orderId}`,
      placedAt: now,
      slot: { kind: 'instant', start: now, end: now + 30 * 60_000 },
      lines: [
        { lineId: 'l1', sku: 'MILK', qty: 1 },
        { lineId: 'l2', sku: 'RICE', qty: 1 },
      ],
    };
  };

  async function withWorker<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = uniqueId('tq-fake');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    return worker.runUntil(fn(taskQueue));
  }

  /** An order started on the fake worker, once it is allocated. */
  async function startAllocatedOrder(taskQueue: string) {
    const orderId = uniqueId('fake');
    const handle = await env.client.workflow.start(orderWorkflow, {
      workflowId: orderWorkflowId(orderId),
      taskQueue,
      args: [input(orderId)],
    });
    expect(
      await eventually(async () => (await handle.query(orderStatusQuery)).status === 'allocated', 10_000, 20),
    ).to.equal(true);
    return handle;
  }

  it('keeps a split order "received" until its second fulfilment has started, though the first already moved', async () => {
    const second = gate();
    const fake = fakeActivities({ secondJoin: second.opened });
    // Opened in any case: a failed assertion must not leave the worker draining a held activity.
    await withWorker(fake.activities, async (taskQueue) => {
      try {
        const orderId = uniqueId('fake');
        const handle = await env.client.workflow.start(orderWorkflow, {
          workflowId: orderWorkflowId(orderId),
          taskQueue,
          args: [input(orderId)],
        });
        // The first fulfilment starts picking (and tells the order) while the second's delivery
        // join waits: the order has taken the signal in (a workflow task completed after it).
        // ('allocated' is no longer reported: the order started the child with it.)
        let first = '';
        await eventually(
          async () => !!(first = (await handle.query(orderStatusQuery)).fulfilments[0]?.fulfilmentId ?? ''),
          10_000,
          20,
        );
        await env.client.workflow
          .getHandle(first)
          .executeUpdate(startPickingUpdate, { args: [{ pickerId: 'sim-picker' }] });
        const signalTaken = async () => {
          const events = (await handle.fetchHistory()).events ?? [];
          const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
          return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes);
        };
        expect(await eventually(signalTaken, 10_000, 50)).to.equal(true);
        const during: OrderView = await handle.query(orderStatusQuery);
        expect(during.status).to.equal('received');
        expect(during.fulfilments.map((f) => f.nodeId)).to.deep.equal(['N0']);

        second.open();
        let after: OrderView | undefined;
        expect(
          await eventually(
            async () => (after = await handle.query(orderStatusQuery)).status !== 'received',
            10_000,
            20,
          ),
        ).to.equal(true);
        expect(after!.status).to.equal('allocated'); // the least advanced fulfilment: N1
        expect(after!.fulfilments.map((f) => f.nodeId)).to.deep.equal(['N0', 'N1']);

        for (const f of after!.fulfilments) await driveFulfilment(env.client, f.fulfilmentId);
        const outcome = await handle.result();
        expect(outcome.status).to.equal('delivered');
        expect(
          fake.calls
            .filter((c) => c.name === 'commitReservations')
            .map((c) => c.args)
            .sort(),
        ).to.deep.equal(['N0', 'N1']);
        expect(fake.names().filter((n) => n === 'allocateAndReserve')).to.have.length(1);
      } finally {
        second.open();
      }
    });
  });

  it('releases what each node holds when cancelled before picking, and ends cancelled', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startAllocatedOrder(taskQueue);
      const result = await handle.executeUpdate(cancelOrderUpdate, {
        args: [{ reason: 'customer changed their mind' }],
      });
      expect(result.outcome).to.equal('cancelled');
      const outcome = await handle.result();
      expect(outcome.status).to.equal('cancelled');
      expect(outcome.fulfilments.map((f) => f.state)).to.deep.equal(['cancelled', 'cancelled']);
      expect(fake.names()).to.include('releaseReservations');
      expect(fake.names()).to.not.include('commitReservations');
    });
  });

  it('finishes cancelling when lines ask to be re-allocated during the cancel (no busy loop)', async () => {
    const release = gate();
    const fake = fakeActivities({ release: release.opened });
    await withWorker(fake.activities, async (taskQueue) => {
      try {
        const handle = await startAllocatedOrder(taskQueue);
        const { fulfilments } = await handle.query(orderStatusQuery);
        // The cancel waits for the fulfilments, whose release is held: a re-allocation arrives meanwhile.
        const cancelling = handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed their mind' }] });
        expect(
          await eventually(() => Promise.resolve(fake.names().includes('releaseReservations')), 10_000, 20),
        ).to.equal(true);
        await handle.signal(reallocateLinesSignal, {
          fulfilmentId: fulfilments[0]!.fulfilmentId,
          lines: [{ lineId: 'l1', sku: 'MILK', qty: 1 }],
          reason: 'short_pick:damaged',
        });
        // Before the fix the order spun on its already-true condition: the task deadlocked (TMPRL1101).
        await new Promise((r) => setTimeout(r, 500));
        release.open();
        expect((await cancelling).outcome).to.equal('cancelled');
        const outcome = await Promise.race([
          handle.result(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('order never ended')), 15_000)),
        ]);
        expect(outcome.status).to.equal('cancelled');
        expect(fake.names().filter((n) => n === 'allocateAndReserve')).to.have.length(1);
        // Not acted on, but not dropped silently either: the order's events say it was skipped.
        expect(fake.calls.filter((c) => c.name === 'appendOrderEvent').map((c) => c.args)).to.include(
          'reallocation_skipped',
        );
      } finally {
        release.open();
      }
    });
  });

  it('tells the order only news, answers a move without waiting for the order, and upserts once per task', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startAllocatedOrder(taskQueue);
      const { fulfilments } = await handle.query(orderStatusQuery);
      for (const f of fulfilments) await driveFulfilment(env.client, f.fulfilmentId);
      expect((await handle.result()).status).to.equal('delivered');

      const orderEvents = await historyOf(handle.workflowId);
      // picking, packed, dispatched, delivered per fulfilment; 'allocated' is what the order started them with.
      expect(signalsNamed(orderEvents, 'fulfilmentState')).to.equal(4 * fulfilments.length);
      expect(mostUpsertsInOneTask(orderEvents)).to.equal(1);
      for (const f of fulfilments) {
        const events = await historyOf(f.fulfilmentId);
        expect(mostUpsertsInOneTask(events), f.fulfilmentId).to.be.at.most(1);
        // The child starts with OrderStatus 'allocated': written again only when it changes.
        expect(upserts(events), f.fulfilmentId).to.equal(4);
        // 'packed' sends its state signal and answers in the same task.
        expect(tasksBetweenAcceptAndAnswer(events, 'packed'), f.fulfilmentId).to.equal(0);
      }
    });
  });

  async function historyOf(workflowId: string): Promise<Event[]> {
    return (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  }
});

function signalsNamed(events: readonly Event[], name: string): number {
  return events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name).length;
}

/**
 * Upserts the workflow code made. Not counted: the SDK's own `TemporalChangeVersion` upsert,
 * which Temporal's core adds beside the marker of every patch id's first `patched()` call.
 */
function isOurUpsert(e: Event): boolean {
  const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
  return !!fields && Object.keys(fields).some((k) => k !== 'TemporalChangeVersion');
}

function upserts(events: readonly Event[]): number {
  return events.filter(isOurUpsert).length;
}

/** Commands follow their task's WorkflowTaskCompleted event: count upserts per such stretch. */
function mostUpsertsInOneTask(events: readonly Event[]): number {
  let most = 0;
  let inTask = 0;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) inTask = 0;
    if (isOurUpsert(e)) most = Math.max(most, ++inTask);
  }
  return most;
}

/** Workflow tasks completed between an update's acceptance and its answer (0: answered in the task that took it). */
function tasksBetweenAcceptAndAnswer(events: readonly Event[], updateName: string): number {
  const accepted = events.findIndex(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === updateName,
  );
  const updateId = events[accepted]?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
  const answered = events.findIndex(
    (e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === updateId,
  );
  expect(accepted, `update ${updateName} accepted`).to.be.at.least(0);
  expect(answered, `update ${updateName} answered`).to.be.greaterThan(accepted);
  return events.slice(accepted, answered).filter((e) => e.workflowTaskCompletedEventAttributes).length;
}

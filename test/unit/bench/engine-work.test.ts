import { expect } from 'chai';
import fc from 'fast-check';
import { engineWorkOf, skeletonPlanOf, splitEvenly } from '../../../bench/lib/engine-work';
import type { EngineWork } from '../../../bench/lib/engine-work';

// History events as fetchHistory returns them: one attributes field set per event.
const completed = { workflowTaskCompletedEventAttributes: {} };
const accepted = { workflowExecutionUpdateAcceptedEventAttributes: {} };
const signaled = { workflowExecutionSignaledEventAttributes: {} };
const signalSent = { signalExternalWorkflowExecutionInitiatedEventAttributes: {} };
const child = { startChildWorkflowExecutionInitiatedEventAttributes: {} };
const activity = { activityTaskScheduledEventAttributes: {} };
const local = { markerRecordedEventAttributes: { markerName: 'core_local_activity' } };
const patch = { markerRecordedEventAttributes: { markerName: 'core_patch' } };
const timer = { timerStartedEventAttributes: {} };
const upsert = { upsertWorkflowSearchAttributesEventAttributes: {} };

const zero: EngineWork = {
  workflowTasks: 0,
  updates: 0,
  signalsReceived: 0,
  signalsSent: 0,
  childWorkflows: 0,
  activities: 0,
  localActivities: 0,
  timers: 0,
  searchAttributeUpserts: 0,
};

describe('bench engine work', () => {
  it('counts what the engine does from a history', () => {
    const events = [
      completed,
      activity,
      completed,
      local,
      local,
      patch,
      child,
      completed,
      accepted,
      completed,
      signalSent,
      signaled,
      completed,
      timer,
      upsert,
      {},
    ];
    expect(engineWorkOf(events)).to.deep.equal({
      workflowTasks: 5,
      updates: 1,
      signalsReceived: 1,
      signalsSent: 1,
      childWorkflows: 1,
      activities: 1,
      localActivities: 2,
      timers: 1,
      searchAttributeUpserts: 1,
    });
    expect(engineWorkOf([])).to.deep.equal(zero);
  });

  it('ignores events it does not know, whatever their keys (__proto__ included)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue())), (events) => {
        const known = /EventAttributes$/;
        const clean = events.filter((e) => !Object.keys(e).some((k) => known.test(k)));
        expect(engineWorkOf(clean)).to.deep.equal(zero);
      }),
    );
    expect(engineWorkOf([JSON.parse('{"__proto__":{"workflowTaskCompletedEventAttributes":{}}}')])).to.deep.equal(zero);
  });

  it('splits a count over slots as evenly as possible, losing nothing', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 1, max: 200 }), (total, slots) => {
        const parts = splitEvenly(total, slots);
        expect(parts).to.have.length(slots);
        expect(parts.reduce((a, b) => a + b, 0)).to.equal(total);
        expect(Math.max(...parts) - Math.min(...parts)).to.be.at.most(1);
      }),
    );
    expect(splitEvenly(5, 0)).to.deep.equal([]);
  });

  it('turns an order and its fulfilments into a skeleton plan with the same engine work', () => {
    const order: EngineWork = {
      ...zero,
      workflowTasks: 9,
      activities: 2,
      localActivities: 3,
      childWorkflows: 2,
      signalsReceived: 4,
    };
    const f1: EngineWork = {
      ...zero,
      workflowTasks: 12,
      updates: 6,
      activities: 1,
      localActivities: 7,
      signalsSent: 3,
    };
    const f2: EngineWork = { ...zero, workflowTasks: 5, updates: 2, signalsSent: 1 };
    const plan = skeletonPlanOf(order, [f1, f2]);
    expect(plan.parent).to.deep.equal({ activities: 2, localActivities: 3, updates: 0, signalsExpected: 4 });
    expect(plan.children).to.deep.equal([
      { updates: 6, activities: 1, localActivities: 7, signalsToParent: 3 },
      { updates: 2, activities: 0, localActivities: 0, signalsToParent: 1 },
    ]);
  });
});

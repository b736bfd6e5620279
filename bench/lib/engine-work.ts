// How much engine work a workflow execution was, counted from its history, and the plan for a
// skeleton (empty-bodied workflows) that makes Temporal do exactly that work again. Pure: the
// bench fetches the histories, this only counts.

/** What the engine did for one execution. */
export interface EngineWork {
  /** Workflow tasks completed: each is a round trip server → worker → server and a replay step. */
  workflowTasks: number;
  /** Updates accepted (rejected ones leave no event). */
  updates: number;
  signalsReceived: number;
  /** Signals this execution sent to another one (e.g. a fulfilment's state to its order). */
  signalsSent: number;
  childWorkflows: number;
  activities: number;
  /** Local activities: a marker each, run inside a workflow task. */
  localActivities: number;
  timers: number;
  searchAttributeUpserts: number;
}

/** An event as fetchHistory returns it: one `…EventAttributes` field set, the rest absent. */
export type HistoryEventLike = object;

const COUNTED: readonly [keyof EngineWork, string][] = [
  ['workflowTasks', 'workflowTaskCompletedEventAttributes'],
  ['updates', 'workflowExecutionUpdateAcceptedEventAttributes'],
  ['signalsReceived', 'workflowExecutionSignaledEventAttributes'],
  ['signalsSent', 'signalExternalWorkflowExecutionInitiatedEventAttributes'],
  ['childWorkflows', 'startChildWorkflowExecutionInitiatedEventAttributes'],
  ['activities', 'activityTaskScheduledEventAttributes'],
  ['timers', 'timerStartedEventAttributes'],
  ['searchAttributeUpserts', 'upsertWorkflowSearchAttributesEventAttributes'],
];
// The TypeScript SDK's local-activity marker (patches record 'core_patch' markers: not work).
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function emptyWork(): EngineWork {
  return {
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
}

/** An own, non-null attribute: `__proto__` or inherited keys of hostile input count for nothing. */
function own(event: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(event, key) ? (event as Record<string, unknown>)[key] : undefined;
}

/** Count one execution's engine work from its history events. */
export function engineWorkOf(events: readonly HistoryEventLike[]): EngineWork {
  const work = emptyWork();
  for (const e of events) {
    for (const [field, attr] of COUNTED) if (own(e, attr) != null) work[field]++;
    const marker = own(e, 'markerRecordedEventAttributes');
    if (marker && typeof marker === 'object' && own(marker, 'markerName') === LOCAL_ACTIVITY_MARKER)
      work.localActivities++;
  }
  return work;
}

/** Field-wise sum. */
export function addWork(a: EngineWork, b: EngineWork): EngineWork {
  const out = emptyWork();
  for (const k of Object.keys(out) as (keyof EngineWork)[]) out[k] = a[k] + b[k];
  return out;
}

/** `total` over `slots` as evenly as possible (earlier slots get the remainder); [] for no slot. */
export function splitEvenly(total: number, slots: number): number[] {
  if (slots <= 0) return [];
  return Array.from(
    { length: slots },
    (_, i) => Math.floor(((i + 1) * total) / slots) - Math.floor((i * total) / slots),
  );
}

/** The skeleton parent's part: its own activities and local activities, updates sent to it, signals it waits for. */
export interface ParentPlan {
  activities: number;
  localActivities: number;
  updates: number;
  signalsExpected: number;
}
/** One skeleton child: driven by `updates` updates; its activities, local activities and signals to the parent spread over them. */
export interface ChildPlan {
  updates: number;
  activities: number;
  localActivities: number;
  signalsToParent: number;
}
export interface SkeletonPlan {
  parent: ParentPlan;
  children: ChildPlan[];
}

/** The skeleton of one order: the order's own work for the parent, one child per fulfilment with that fulfilment's work. */
export function skeletonPlanOf(order: EngineWork, fulfilments: readonly EngineWork[]): SkeletonPlan {
  return {
    parent: {
      activities: order.activities,
      localActivities: order.localActivities,
      updates: order.updates,
      signalsExpected: order.signalsReceived,
    },
    children: fulfilments.map((f) => ({
      updates: f.updates,
      activities: f.activities,
      localActivities: f.localActivities,
      signalsToParent: f.signalsSent,
    })),
  };
}

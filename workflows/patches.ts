// Every `patched()` id of the order workflows, in one place. Each marks a change made while
// executions recorded under the old code could still be running; docs/workflow-versioning.md
// says which replay fixture proves each one and when it may be deprecated, then removed.
// An id never changes: histories carry it in a marker.

/**
 * Fulfilment: tell the parent about a final state after answering the update that caused it,
 * not before. The parent ends (and its close policy terminated children) as soon as every
 * fulfilment is done, which could cut off the last update's answer (a courier's `delivered`
 * then failed although it was recorded).
 */
export const FINAL_SIGNAL_PATCH = 'fulfilment-final-state-signal-on-completion';

/**
 * Fulfilment: a cancel after picking began commits only the picked units and releases the rest.
 * Before, the whole allocation was committed and its perishables written off, picked or not:
 * units still on the shelf vanished from stock.
 */
export const CANCEL_PICKED_ONLY_PATCH = 'cancel-after-pick-returns-picked-units-only';

/**
 * Fulfilment: order events wait for the next sync and are written with the picking view in one
 * local activity. Before, each event was its own local activity, ahead of the view's.
 */
export const EVENTS_WITH_SYNC_PATCH = 'fulfilment-events-with-sync';

/**
 * Fulfilment: quarantined units already in a tote are written off and exactly the affected
 * lines' holds are released, with the order event, in one activity. Before, every hold of the
 * quarantined lots was released, picked units (and other lines' holds on them) included.
 */
export const QUARANTINE_PICKED_PATCH = 'quarantine-writes-off-picked-units';

/**
 * Fulfilment: a count or POS sale that took held units makes the lines lose them and the order
 * re-allocate them. Only histories that received the signal run the handler; the marker names
 * the change in the Temporal UI.
 */
export const STOCK_SHORTFALL_PATCH = 'stock-shortfall-reallocates';

/**
 * Maintenance: a step erases personal data of orders finished longer ago than
 * PII_RETENTION_DAYS, before the telemetry step. Passes started before it replay without it.
 */
export const PII_RETENTION_PATCH = 'pii-retention';

/**
 * Maintenance: a step relays stock shortfalls whose signal the API did not send (a crash between
 * the fact's commit and the signal). Passes started before it replay without the step.
 */
export const SHORTFALL_RELAY_PATCH = 'maintenance-relays-stock-shortfalls';

/**
 * Order: the status moves only once an allocation has started all its fulfilments. Before,
 * readers could see "allocated" with half the fulfilments listed.
 */
export const STATUS_AFTER_ALLOCATION_PATCH = 'order-status-after-allocation';

/**
 * Return: the replacement's door is copied row to row, so neither the return's history nor the
 * replacement's holds coordinates. Runs started before carry them in the settlement result.
 */
export const REPLACEMENT_DOOR_PATCH = 'replacement-door-from-orders-row';

/**
 * Fulfilment: the parent hears only what it does not know (no 'allocated': it started the child
 * with that allocation, unless the cold-chain risk is already raised), an update answers without
 * waiting for the parent's acknowledgement (the signals go out in order, one after another, and
 * the workflow completes only once every one is acknowledged), and the status search attribute
 * is written only when it changes (the child starts with 'allocated'). Before, every state was
 * signalled and awaited inside the update that caused it: one more task per parent and child.
 */
export const LEAN_STATE_SIGNALS_PATCH = 'fulfilment-state-signals-changes-only-unawaited';

/**
 * Order: search attributes and memo are written at most once per activation, and only the
 * attributes whose value changed. Before, every fulfilment state change upserted every attribute
 * and often the status a second time in the same task.
 */
export const ORDER_ATTRIBUTES_ONCE_PATCH = 'order-search-attributes-changed-once-per-task';

/**
 * Order: a re-allocation (stock shortfall, short pick) that no node can serve substitutes the
 * lines whose customer named a specific item, as new lines, before refunding what is left.
 * Before, every such line was refunded and the policy never consulted.
 */
export const REALLOCATION_SUBSTITUTES_PATCH = 'reallocation-substitutes-by-policy';

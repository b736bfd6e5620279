-- Picking: the open-task table the picker API plans waves from, and customers' substitution
-- policies. See docs/picker.md.

-- One row per fulfilment, written by FulfilmentWorkflow (activity syncPickTask) on every change:
-- consistent as soon as an update returns, unlike Temporal visibility, and one indexed query per
-- node. `view` is the workflow's PickView (no personal data); `version` only grows, so a
-- retried or late write never replaces a newer one.
CREATE TABLE pick_tasks (
  fulfilment_id text PRIMARY KEY,
  order_id text NOT NULL,
  node_id text NOT NULL,
  state text NOT NULL,
  -- Pickers holding at least one zone of the fulfilment.
  pickers text[] NOT NULL DEFAULT '{}',
  pick_deadline timestamptz NOT NULL,
  view jsonb NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pick_tasks_open ON pick_tasks (node_id, pick_deadline) WHERE state IN ('allocated', 'picking', 'packed');
CREATE INDEX pick_tasks_order ON pick_tasks (order_id);

-- What the customer wants when an item is short: the picker's best match, one specific item,
-- or a refund. line_id '*' is the order's default; a line's own row wins. No row: best_match.
CREATE TABLE substitution_policies (
  order_id text NOT NULL,
  line_id text NOT NULL,
  policy text NOT NULL CHECK (policy IN ('best_match', 'specific', 'refund')),
  sku text,
  -- How long a best-match substitute waits for the customer's answer before it stands.
  decision_window_s integer CHECK (decision_window_s BETWEEN 1 AND 3600),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, line_id),
  CHECK ((policy = 'specific') = (sku IS NOT NULL))
);

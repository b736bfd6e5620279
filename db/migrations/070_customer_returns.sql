-- Returns after delivery (POST /v1/orders/{orderId}/returns, CustomerReturnWorkflow): one row
-- per returned line. What the customer still holds of a line is what was delivered minus these
-- rows, so a line is never refunded twice. Credits go to order_credits (reason
-- 'return:<returnId>'), stock to lots and stock_adjustments, like door rejections.
CREATE TABLE order_returns (
  order_id text NOT NULL,
  return_id text NOT NULL,
  line_id text NOT NULL,
  sku text NOT NULL,
  -- The lot a restocked unit goes back to, or the write-off is booked against.
  lot_id text REFERENCES lots (lot_id),
  qty integer NOT NULL CHECK (qty > 0),
  reason text NOT NULL CHECK (reason IN ('quality', 'damaged', 'wrong_item', 'changed_mind')),
  condition text NOT NULL CHECK (condition IN ('sellable', 'damaged', 'unknown')),
  customer_choice text NOT NULL CHECK (customer_choice IN ('refund', 'replacement')),
  restock boolean NOT NULL,
  credit_cents integer NOT NULL CHECK (credit_cents >= 0),
  -- The order sent in replacement, when the customer chose one.
  replacement_order_id text,
  requested_at timestamptz NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, return_id, line_id)
);

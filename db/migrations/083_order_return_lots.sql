-- Returns after delivery, per lot. A line picked from several lots was booked against one of
-- them (order_returns.lot_id), so restocks and write-offs landed on a lot that never gave those
-- units, and a recall of a lot could not find every order its units went to and came back from.
-- One row per lot a returned line's units are booked against; the units of a line's rows sum to
-- its order_returns.qty. Returns recorded before this table count as booked on their lot_id.
CREATE TABLE order_return_lots (
  order_id text NOT NULL,
  return_id text NOT NULL,
  line_id text NOT NULL,
  lot_id text NOT NULL REFERENCES lots (lot_id),
  qty integer NOT NULL CHECK (qty > 0),
  PRIMARY KEY (order_id, return_id, line_id, lot_id),
  FOREIGN KEY (order_id, return_id, line_id) REFERENCES order_returns (order_id, return_id, line_id)
);
-- Lot → orders (a recall): which returns touched a lot.
CREATE INDEX order_return_lots_lot ON order_return_lots (lot_id);

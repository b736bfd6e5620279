-- Indexes for the KPI report (db/kpis.ts, docs/kpis.md). The report reads, per window of days:
-- order events of a few types (delivered, allocated, packed, picker outcomes), cycle counts and
-- excursion alerts. Queries stay correct without these indexes; they only keep them from
-- scanning every event, count or alert of the window's chunks.

-- Events of one type within a time range (order_events is a hypertable on `at`: the index is
-- created on every chunk).
CREATE INDEX IF NOT EXISTS order_events_type_at ON order_events (type, at);

-- Cycle counts by time (stock_adjustments has no time index).
CREATE INDEX IF NOT EXISTS stock_adjustments_count_at ON stock_adjustments (at) WHERE kind = 'count';

-- Excursion episodes of a node overlapping a window.
CREATE INDEX IF NOT EXISTS alerts_excursion_node_window ON alerts (node_id, window_start) WHERE kind = 'excursion';

-- The extension is created by the local stack's superuser at set-up; on a managed server it is
-- usually pre-created too. IF NOT EXISTS keeps this a no-op for a non-superuser role.
CREATE EXTENSION IF NOT EXISTS timescaledb;

-- Fulfilment network: front warehouses (dark stores) and store warehouses.
CREATE TABLE nodes (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('front', 'store')),
  name text NOT NULL,
  lat double precision NOT NULL,
  lng double precision NOT NULL,
  service_radius_km double precision NOT NULL,
  zones text[] NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'
);

-- Cold-chain equipment and the sensors on it. band: the temperature band of what it holds.
CREATE TABLE assets (
  id text PRIMARY KEY,
  node_id text NOT NULL REFERENCES nodes (id),
  kind text NOT NULL CHECK (kind IN ('fridge', 'freezer', 'cold_room', 'van', 'shelf')),
  band text NOT NULL
);

CREATE TABLE sensors (
  id text PRIMARY KEY,
  asset_id text NOT NULL REFERENCES assets (id),
  node_id text NOT NULL REFERENCES nodes (id),
  active boolean NOT NULL DEFAULT true
);

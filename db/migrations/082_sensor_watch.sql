-- When a sensor was registered. A sensor that never reports goes offline one inactivity timeout
-- after its registration (or after the evaluator started, whichever is later); sensors
-- registered before this column existed count from the migration.
ALTER TABLE sensors ADD COLUMN IF NOT EXISTS registered_at timestamptz NOT NULL DEFAULT now();

-- State rows without an offline deadline: new ones, and ones a sweep must look at again (a
-- sensor without a rule profile yet, or left unwatched by earlier versions). Oldest first.
CREATE INDEX IF NOT EXISTS alert_sensor_state_unwatched ON alert_sensor_state (updated_at) WHERE offline_due_at IS NULL;

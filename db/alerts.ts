// SQL of cold-chain alerting: rule state per sensor, alerts and their audit trail, lot
// locations, quarantine and what an alert touched. Webhook tables live in db/webhooks.ts.
import type { Alert, AlertSeverity, AlertStatus, AuditEntry, AlertComment } from '../domain/coldchain/alerts';
import type { RuleProfile } from '../domain/coldchain/bands';
import type { MinuteBucket } from '../domain/coldchain/evidence';
import type { TempPoint } from '../domain/coldchain/mkt';
import type { LotHolding } from '../domain/coldchain/orderExposure';
import type { SensorRuleState } from '../domain/coldchain/ruleState';
import { rowsOf } from './pool';
import type { Queryable } from './pool';

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
const ts = (n: number | null | undefined): Date | null => (n === null || n === undefined ? null : new Date(n));

// ---------------------------------------------------------------------------------------------
// Rule profiles

/** Custom rule profiles as stored (unvalidated JSON: the caller validates). */
export async function loadCustomProfiles(db: Queryable): Promise<{ id: string; profile: unknown }[]> {
  return rowsOf<{ id: string; profile: unknown }>(db, 'SELECT id, profile FROM alert_rule_profiles ORDER BY id');
}

/** Create or replace a custom profile (already validated). */
export async function upsertProfile(db: Queryable, profile: RuleProfile): Promise<void> {
  await rowsOf(
    db,
    `INSERT INTO alert_rule_profiles (id, profile) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET profile = EXCLUDED.profile, updated_at = now()`,
    [profile.id, JSON.stringify(profile)],
  );
}

// ---------------------------------------------------------------------------------------------
// Rule state

/** A sensor's persisted rule state with what the evaluator needs to know about its asset. */
export interface SensorStateRow {
  sensorId: string;
  assetId: string;
  nodeId: string;
  /** assets.band: the id of the rule profile guarding the asset. */
  profileId: string;
  active: boolean;
  state: SensorRuleState;
}

/**
 * Create missing state rows for registered sensors (unknown ids are skipped: the ingester
 * dead-letters their readings). `initial` builds the fresh state of one sensor.
 */
export async function ensureSensorStates(
  c: Queryable,
  sensorIds: readonly string[],
  initial: (sensorId: string) => SensorRuleState,
): Promise<void> {
  if (sensorIds.length === 0) return;
  // Sorted, so two evaluators inserting overlapping sets take the index locks in one order.
  const ids = [...new Set(sensorIds)].sort();
  await c.query(
    `INSERT INTO alert_sensor_state (sensor_id, state)
     SELECT t.id, t.state::jsonb FROM unnest($1::text[], $2::text[]) AS t(id, state)
     JOIN sensors s ON s.id = t.id
     ORDER BY t.id
     ON CONFLICT (sensor_id) DO NOTHING`,
    [ids, ids.map((id) => JSON.stringify(initial(id)))],
  );
}

/**
 * Lock the state rows of these sensors, in sensor order (two instances locking overlapping
 * sets in one order cannot deadlock). Another evaluator holding a row makes this wait: that is
 * how readings of one sensor are serialised across instances.
 */
export async function lockSensorStates(c: Queryable, sensorIds: readonly string[]): Promise<SensorStateRow[]> {
  if (sensorIds.length === 0) return [];
  const { rows } = await c.query<SensorStateRow>(
    `SELECT st.sensor_id AS "sensorId", s.asset_id AS "assetId", s.node_id AS "nodeId", a.band AS "profileId", s.active, st.state
       FROM alert_sensor_state st JOIN sensors s ON s.id = st.sensor_id JOIN assets a ON a.id = s.asset_id
      WHERE st.sensor_id = ANY($1::text[])
      ORDER BY st.sensor_id
        FOR UPDATE OF st`,
    [[...new Set(sensorIds)]],
  );
  return rows;
}

/**
 * Lock up to `limit` sensors whose offline deadline has passed, skipping rows another instance
 * holds (an evaluator mid-batch, or another sweep): those are handled there or next time.
 */
export async function lockOfflineDue(
  c: Queryable,
  now: number,
  limit: number,
  nodeId: string | null = null,
): Promise<SensorStateRow[]> {
  const { rows } = await c.query<SensorStateRow>(
    `SELECT st.sensor_id AS "sensorId", s.asset_id AS "assetId", s.node_id AS "nodeId", a.band AS "profileId", s.active, st.state
       FROM alert_sensor_state st JOIN sensors s ON s.id = st.sensor_id JOIN assets a ON a.id = s.asset_id
      WHERE st.offline_due_at IS NOT NULL AND st.offline_due_at <= $1 AND ($3::text IS NULL OR s.node_id = $3)
      ORDER BY st.offline_due_at
      LIMIT $2
        FOR UPDATE OF st SKIP LOCKED`,
    [new Date(now), limit, nodeId],
  );
  return rows;
}

/**
 * Create state rows for active sensors that have none yet (never reported), so the offline sweep
 * can watch them; `lockUnwatchedSensors` then gives them their deadline. Returns how many.
 */
export async function watchSilentSensors(
  c: Queryable,
  initial: (sensorId: string) => SensorRuleState,
  nodeId: string | null = null,
  limit = 1000,
): Promise<number> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT s.id FROM sensors s
      WHERE s.active AND ($2::text IS NULL OR s.node_id = $2) AND NOT EXISTS (SELECT 1 FROM alert_sensor_state st WHERE st.sensor_id = s.id)
      LIMIT $1`,
    [limit, nodeId],
  );
  if (rows.length === 0) return 0;
  await ensureSensorStates(
    c,
    rows.map((r) => r.id),
    initial,
  );
  return rows.length;
}

/** A state row without an offline deadline, with when its sensor was registered. */
export interface UnwatchedSensorRow extends SensorStateRow {
  /** sensors.registered_at (epoch ms). */
  registeredAt: number;
}

/**
 * Lock state rows of active sensors that have no offline deadline although they are not offline
 * (new rows, rows whose profile was missing, rows earlier versions left unwatched), oldest
 * update first so rows that stay unwatchable (no profile) do not starve the others; rows another
 * instance holds are skipped.
 */
export async function lockUnwatchedSensors(
  c: Queryable,
  limit: number,
  nodeId: string | null = null,
): Promise<UnwatchedSensorRow[]> {
  const { rows } = await c.query<SensorStateRow & { registeredAt: Date }>(
    `SELECT st.sensor_id AS "sensorId", s.asset_id AS "assetId", s.node_id AS "nodeId", a.band AS "profileId", s.active, st.state,
            s.registered_at AS "registeredAt"
       FROM alert_sensor_state st JOIN sensors s ON s.id = st.sensor_id JOIN assets a ON a.id = s.asset_id
      WHERE st.offline_due_at IS NULL AND s.active AND st.state -> 'offline' -> 'active' IS DISTINCT FROM 'true'::jsonb
        AND ($2::text IS NULL OR s.node_id = $2)
      ORDER BY st.updated_at
      LIMIT $1
        FOR UPDATE OF st SKIP LOCKED`,
    [limit, nodeId],
  );
  return rows.map((r) => ({ ...r, registeredAt: r.registeredAt.getTime() }));
}

/** Persist new states; `offlineDueAt` null means "not watched for silence" (offline already). */
export async function saveSensorStates(
  c: Queryable,
  rows: readonly { state: SensorRuleState; offlineDueAt: number | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `UPDATE alert_sensor_state st SET state = t.state::jsonb, last_ts = t.last_ts, offline_due_at = t.due, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS t(id, state, last_ts, due)
      WHERE st.sensor_id = t.id`,
    [
      rows.map((r) => r.state.sensorId),
      rows.map((r) => JSON.stringify(r.state)),
      rows.map((r) => ts(r.state.lastTs)),
      rows.map((r) => ts(r.offlineDueAt)),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Alerts

/** Kind of alert, by the rule behind it. */
export type AlertKind = 'excursion' | 'hard_limit' | 'rate_of_change' | 'offline';

/** An alert as stored: the domain alert (without its comment and audit lists) plus context. */
export interface AlertRecord extends Omit<Alert, 'comments' | 'audit'> {
  kind: AlertKind;
  rule: string;
  assetId: string;
  nodeId: string;
  profileId: string;
  windowStart: number;
  windowEnd: number | null;
  peakC: number | null;
  thresholdC: number | null;
  nextEscalationAt: number | null;
  impactCheckedAt: number | null;
  updatedAt: number;
}

const ALERT_COLUMNS = `id, source_id, kind, rule, sensor_id, asset_id, node_id, profile_id, title, status, severity, severity_since,
  opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, assignee, escalation_level, next_escalation_at,
  window_start, window_end, peak_c, threshold_c, impact_checked_at, updated_at`;

interface AlertDbRow {
  id: string;
  source_id: string;
  kind: AlertKind;
  rule: string;
  sensor_id: string;
  asset_id: string;
  node_id: string;
  profile_id: string;
  title: string;
  status: AlertStatus;
  severity: AlertSeverity;
  severity_since: Date;
  opened_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  assignee: string | null;
  escalation_level: number;
  next_escalation_at: Date | null;
  window_start: Date;
  window_end: Date | null;
  peak_c: number | null;
  threshold_c: number | null;
  impact_checked_at: Date | null;
  updated_at: Date;
}

function toRecord(r: AlertDbRow): AlertRecord {
  return {
    id: r.id,
    sourceId: r.source_id,
    kind: r.kind,
    rule: r.rule,
    sensorId: r.sensor_id,
    assetId: r.asset_id,
    nodeId: r.node_id,
    profileId: r.profile_id,
    title: r.title,
    status: r.status,
    severity: r.severity,
    severitySince: r.severity_since.getTime(),
    openedAt: r.opened_at.getTime(),
    acknowledgedAt: ms(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: ms(r.resolved_at),
    resolvedBy: r.resolved_by,
    assignee: r.assignee,
    escalationLevel: r.escalation_level,
    nextEscalationAt: ms(r.next_escalation_at),
    windowStart: r.window_start.getTime(),
    windowEnd: ms(r.window_end),
    peakC: r.peak_c,
    thresholdC: r.threshold_c,
    impactCheckedAt: ms(r.impact_checked_at),
    updatedAt: r.updated_at.getTime(),
  };
}

/** One alert, locked for a change. */
export async function alertForUpdate(c: Queryable, id: string): Promise<AlertRecord | null> {
  const { rows } = await c.query<AlertDbRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** One alert, unlocked. */
export async function getAlert(q: Queryable, id: string): Promise<AlertRecord | null> {
  const { rows } = await q.query<AlertDbRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Write the mutable fields of an alert back. */
export async function updateAlert(c: Queryable, a: AlertRecord): Promise<void> {
  await c.query(
    `UPDATE alerts SET status = $2, severity = $3, severity_since = $4, acknowledged_at = $5, acknowledged_by = $6, resolved_at = $7,
       resolved_by = $8, assignee = $9, escalation_level = $10, next_escalation_at = $11, window_end = $12, peak_c = $13, updated_at = now()
     WHERE id = $1`,
    [
      a.id,
      a.status,
      a.severity,
      ts(a.severitySince),
      ts(a.acknowledgedAt),
      a.acknowledgedBy,
      ts(a.resolvedAt),
      a.resolvedBy,
      a.assignee,
      a.escalationLevel,
      ts(a.nextEscalationAt),
      ts(a.windowEnd),
      a.peakC,
    ],
  );
}

/** The alerts of these episodes (source ids), locked in id order, keyed by source id. */
export async function alertsBySourceForUpdate(
  c: Queryable,
  sourceIds: readonly string[],
): Promise<Map<string, AlertRecord>> {
  if (sourceIds.length === 0) return new Map();
  const { rows } = await c.query<AlertDbRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE source_id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [sourceIds],
  );
  return new Map(rows.map((r) => [r.source_id, toRecord(r)]));
}

const iso = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());

// One JSON object per alert for jsonb_to_recordset, so a batch is one statement.
function alertJson(a: AlertRecord) {
  return {
    id: a.id,
    source_id: a.sourceId,
    kind: a.kind,
    rule: a.rule,
    sensor_id: a.sensorId,
    asset_id: a.assetId,
    node_id: a.nodeId,
    profile_id: a.profileId,
    title: a.title,
    status: a.status,
    severity: a.severity,
    severity_since: iso(a.severitySince),
    opened_at: iso(a.openedAt),
    acknowledged_at: iso(a.acknowledgedAt),
    acknowledged_by: a.acknowledgedBy,
    resolved_at: iso(a.resolvedAt),
    resolved_by: a.resolvedBy,
    assignee: a.assignee,
    escalation_level: a.escalationLevel,
    next_escalation_at: iso(a.nextEscalationAt),
    window_start: iso(a.windowStart),
    window_end: iso(a.windowEnd),
    peak_c: a.peakC,
    threshold_c: a.thresholdC,
  };
}

const ALERT_RECORDSET = `id uuid, source_id text, kind text, rule text, sensor_id text, asset_id text, node_id text,
  profile_id text, title text, status text, severity text, severity_since timestamptz, opened_at timestamptz,
  acknowledged_at timestamptz, acknowledged_by text, resolved_at timestamptz, resolved_by text, assignee text,
  escalation_level int, next_escalation_at timestamptz, window_start timestamptz, window_end timestamptz,
  peak_c double precision, threshold_c double precision`;

const ALERT_INSERT_COLUMNS = `id, source_id, kind, rule, sensor_id, asset_id, node_id, profile_id, title, status,
  severity, severity_since, opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, assignee, escalation_level,
  next_escalation_at, window_start, window_end, peak_c, threshold_c`;

/** Outcome of inserting a batch of new alerts: the source ids another transaction took first. */
export type InsertAlertsResult = { ok: true } | { ok: false; taken: string[] };

/**
 * Insert new alerts (ids chosen by the caller) in one statement. The caller loaded their
 * episodes under lock and found none; an episode taken by another writer since is reported,
 * not overwritten.
 */
export async function insertAlerts(c: Queryable, alerts: readonly AlertRecord[]): Promise<InsertAlertsResult> {
  if (alerts.length === 0) return { ok: true };
  const { rows } = await c.query<{ source_id: string }>(
    `INSERT INTO alerts (${ALERT_INSERT_COLUMNS})
     SELECT ${ALERT_INSERT_COLUMNS}
     FROM jsonb_to_recordset($1::jsonb) AS r(${ALERT_RECORDSET})
     ON CONFLICT (source_id) DO NOTHING
     RETURNING source_id`,
    [JSON.stringify(alerts.map(alertJson))],
  );
  if (rows.length === alerts.length) return { ok: true };
  const inserted = new Set(rows.map((r) => r.source_id));
  return { ok: false, taken: alerts.map((a) => a.sourceId).filter((s) => !inserted.has(s)) };
}

/** Write the mutable fields of several alerts back in one statement. */
export async function updateAlerts(c: Queryable, alerts: readonly AlertRecord[]): Promise<void> {
  if (alerts.length === 0) return;
  await c.query(
    `UPDATE alerts a SET status = r.status, severity = r.severity, severity_since = r.severity_since,
       acknowledged_at = r.acknowledged_at, acknowledged_by = r.acknowledged_by, resolved_at = r.resolved_at,
       resolved_by = r.resolved_by, assignee = r.assignee, escalation_level = r.escalation_level,
       next_escalation_at = r.next_escalation_at, window_end = r.window_end, peak_c = r.peak_c, updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS r(${ALERT_RECORDSET})
     WHERE a.id = r.id`,
    [JSON.stringify(alerts.map(alertJson))],
  );
}

/** Audit entries and comments of several alerts, appended in the given order in two statements. */
export async function appendAlertHistory(
  c: Queryable,
  history: readonly { alertId: string; audit: readonly AuditEntry[]; comments: readonly AlertComment[] }[],
): Promise<void> {
  const audit = history.flatMap((h) =>
    h.audit.map((e) => ({
      alert_id: h.alertId,
      at: iso(e.at),
      actor: e.actor,
      action: e.action,
      from_status: e.from,
      to_status: e.to,
      detail: e.detail,
    })),
  );
  const comments = history.flatMap((h) =>
    h.comments.map((m) => ({
      alert_id: h.alertId,
      at: iso(m.at),
      author: m.author,
      text: m.text,
    })),
  );
  // n keeps the given order: ids (bigserial) follow the insert order, and readers sort by them.
  const numbered = <T>(rows: T[]) => rows.map((r, n) => ({ ...r, n }));
  if (audit.length > 0) {
    await c.query(
      `INSERT INTO alert_audit (alert_id, at, actor, action, from_status, to_status, detail)
       SELECT alert_id, at, actor, action, from_status, to_status, detail
       FROM jsonb_to_recordset($1::jsonb)
         AS r(alert_id uuid, at timestamptz, actor text, action text, from_status text, to_status text, detail text,
              n int)
       ORDER BY n`,
      [JSON.stringify(numbered(audit))],
    );
  }
  if (comments.length > 0) {
    await c.query(
      `INSERT INTO alert_comments (alert_id, at, author, text)
       SELECT alert_id, at, author, text
       FROM jsonb_to_recordset($1::jsonb) AS r(alert_id uuid, at timestamptz, author text, text text, n int)
       ORDER BY n`,
      [JSON.stringify(numbered(comments))],
    );
  }
}

/** Append audit entries. */
export async function insertAudit(c: Queryable, alertId: string, entries: readonly AuditEntry[]): Promise<void> {
  await appendAlertHistory(c, [{ alertId, audit: entries, comments: [] }]);
}

/** Append comments. */
export async function insertComments(c: Queryable, alertId: string, comments: readonly AlertComment[]): Promise<void> {
  await appendAlertHistory(c, [{ alertId, audit: [], comments }]);
}

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  nodeId?: string;
  sensorId?: string;
  assetId?: string;
  kind?: AlertKind[];
  /** Opened at or after (epoch ms). */
  from?: number;
  /** Opened before (epoch ms). */
  to?: number;
  limit: number;
  offset: number;
}

/** Alerts matching a filter, newest first. */
export async function listAlerts(db: Queryable, f: AlertFilter): Promise<AlertRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status?.length) add('status = ANY(?::text[])', f.status);
  if (f.severity?.length) add('severity = ANY(?::text[])', f.severity);
  if (f.kind?.length) add('kind = ANY(?::text[])', f.kind);
  if (f.nodeId) add('node_id = ?', f.nodeId);
  if (f.sensorId) add('sensor_id = ?', f.sensorId);
  if (f.assetId) add('asset_id = ?', f.assetId);
  if (f.from !== undefined) add('opened_at >= ?', new Date(f.from));
  if (f.to !== undefined) add('opened_at < ?', new Date(f.to));
  params.push(f.limit, f.offset);
  const rows = await rowsOf<AlertDbRow>(
    db,
    `SELECT ${ALERT_COLUMNS} FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY opened_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map(toRecord);
}

/** The audit trail and comments of an alert, oldest first. */
export async function alertHistory(
  db: Queryable,
  alertId: string,
): Promise<{ audit: AuditEntry[]; comments: AlertComment[] }> {
  const audit = await rowsOf<{
    at: Date;
    actor: string;
    action: AuditEntry['action'];
    from_status: AlertStatus | null;
    to_status: AlertStatus;
    detail: string;
  }>(db, 'SELECT at, actor, action, from_status, to_status, detail FROM alert_audit WHERE alert_id = $1 ORDER BY id', [
    alertId,
  ]);
  const comments = await rowsOf<{ at: Date; author: string; text: string }>(
    db,
    'SELECT at, author, text FROM alert_comments WHERE alert_id = $1 ORDER BY id',
    [alertId],
  );
  return {
    audit: audit.map((a) => ({
      at: a.at.getTime(),
      actor: a.actor,
      action: a.action,
      from: a.from_status,
      to: a.to_status,
      detail: a.detail,
    })),
    comments: comments.map((m) => ({ at: m.at.getTime(), author: m.author, text: m.text })),
  };
}

/** Lock open alerts whose next escalation step is due, skipping rows others hold. */
export async function lockEscalationsDue(
  c: Queryable,
  now: number,
  limit: number,
  nodeId: string | null = null,
): Promise<AlertRecord[]> {
  const { rows } = await c.query<AlertDbRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts
      WHERE status = 'open' AND next_escalation_at IS NOT NULL AND next_escalation_at <= $1 AND ($3::text IS NULL OR node_id = $3)
      ORDER BY next_escalation_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [new Date(now), limit, nodeId],
  );
  return rows.map(toRecord);
}

/**
 * Lock excursion alerts whose shelf-life impact should be (re)checked: still open, or closed
 * less than `settleMs` ago (readings may still be arriving through the ingester), and not
 * checked within `everyMs`. The sensor's state row is locked with the alert (skipping both when
 * either is held), so the lock order is the evaluator's: sensor, alert, then lots.
 */
export async function lockImpactChecksDue(
  c: Queryable,
  now: number,
  everyMs: number,
  settleMs: number,
  limit: number,
  nodeId: string | null = null,
): Promise<AlertRecord[]> {
  const { rows } = await c.query<AlertDbRow>(
    `SELECT ${ALERT_COLUMNS.split(',')
      .map((col) => `a.${col.trim()}`)
      .join(', ')}
       FROM alerts a JOIN alert_sensor_state st ON st.sensor_id = a.sensor_id
      WHERE a.kind = 'excursion'
        AND (a.window_end IS NULL OR a.window_end > $1)
        AND (a.impact_checked_at IS NULL OR a.impact_checked_at <= $2)
        AND ($4::text IS NULL OR a.node_id = $4)
      ORDER BY a.impact_checked_at NULLS FIRST LIMIT $3
        FOR UPDATE OF st, a SKIP LOCKED`,
    [new Date(now - settleMs), new Date(now - everyMs), limit, nodeId],
  );
  return rows.map(toRecord);
}

/** Record that an alert's impact was just checked. */
export async function markImpactChecked(c: Queryable, alertId: string, now: number): Promise<void> {
  await c.query('UPDATE alerts SET impact_checked_at = $2 WHERE id = $1', [alertId, new Date(now)]);
}

// ---------------------------------------------------------------------------------------------
// Readings, lots and quarantine

/** Temperatures of one sensor in [from, to], oldest first. */
export async function sensorTemps(q: Queryable, sensorId: string, from: number, to: number): Promise<TempPoint[]> {
  const { rows } = await q.query<{ ts: Date; temp_c: number }>(
    'SELECT ts, temp_c FROM sensor_readings WHERE sensor_id = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts',
    [sensorId, new Date(from), new Date(to)],
  );
  return rows.map((r) => ({ ts: r.ts.getTime(), tempC: r.temp_c }));
}

/** A sensor's 1-minute buckets, and whether the aggregate may be behind its raw readings there. */
export interface SensorMinuteBuckets {
  buckets: MinuteBucket[];
  /**
   * True when readings written behind the aggregate's watermark (late readings, of any sensor)
   * are not materialized yet somewhere in the range: the buckets may then miss them, so the
   * caller must use raw readings. Ahead of the watermark the real-time part reads raw anyway.
   */
  stale: boolean;
}

/**
 * One sensor's 1-minute buckets (sensor_readings_1m, real-time) overlapping [from, to], oldest
 * first, and in the same statement (one snapshot) whether TimescaleDB's invalidation logs hold
 * an unmaterialized change in that range before the watermark (catalog of the pinned 2.19.3).
 */
export async function sensorMinuteBuckets(
  q: Queryable,
  sensorId: string,
  from: number,
  to: number,
): Promise<SensorMinuteBuckets> {
  const { rows } = await q.query<{
    bucket: Date | null;
    n: string | null;
    min_c: number | null;
    max_c: number | null;
    stale: boolean;
  }>(
    `WITH cagg AS (
       SELECT mat_hypertable_id AS mat_id, raw_hypertable_id AS raw_id,
              (extract(epoch FROM $2::timestamptz) * 1000000)::bigint - 60000000 AS lo,
              LEAST((extract(epoch FROM $3::timestamptz) * 1000000)::bigint + 60000000,
                    _timescaledb_functions.cagg_watermark(mat_hypertable_id)) AS hi
         FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = 'sensor_readings_1m'),
     stale AS (
       SELECT EXISTS (SELECT 1 FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log h, cagg
                       WHERE h.hypertable_id = cagg.raw_id AND h.lowest_modified_value < cagg.hi AND h.greatest_modified_value >= cagg.lo)
           OR EXISTS (SELECT 1 FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log m, cagg
                       WHERE m.materialization_id = cagg.mat_id AND m.lowest_modified_value < cagg.hi AND m.greatest_modified_value >= cagg.lo)
           OR NOT EXISTS (SELECT 1 FROM cagg) AS stale),
     buckets AS (
       SELECT bucket, n, min_c, max_c FROM sensor_readings_1m
        WHERE sensor_id = $1 AND bucket > $2::timestamptz - INTERVAL '1 minute' AND bucket <= $3)
     SELECT b.bucket, b.n, b.min_c, b.max_c, s.stale FROM stale s LEFT JOIN buckets b ON true ORDER BY b.bucket`,
    [sensorId, new Date(from), new Date(to)],
  );
  const stale = rows[0]?.stale ?? true;
  const buckets = rows
    .filter((r) => r.bucket !== null)
    .map((r) => ({ start: r.bucket!.getTime(), readings: Number(r.n), minC: r.min_c!, maxC: r.max_c! }));
  return { buckets, stale };
}

/**
 * Temperatures of one sensor in the given 1-minute buckets (starts, epoch ms), oldest first;
 * consecutive minutes are read as one range.
 */
export async function sensorTempsInMinutes(
  q: Queryable,
  sensorId: string,
  minuteStarts: readonly number[],
): Promise<TempPoint[]> {
  const ranges = minuteRanges(minuteStarts);
  if (ranges.length === 0) return [];
  const { rows } = await q.query<{ ts: Date; temp_c: number }>(
    `SELECT r.ts, r.temp_c FROM unnest($2::timestamptz[], $3::timestamptz[]) AS m(lo, hi)
       JOIN sensor_readings r ON r.sensor_id = $1 AND r.ts >= m.lo AND r.ts < m.hi ORDER BY r.ts`,
    [sensorId, ranges.map((r) => new Date(r.lo)), ranges.map((r) => new Date(r.hi))],
  );
  return rows.map((r) => ({ ts: r.ts.getTime(), tempC: r.temp_c }));
}

function minuteRanges(starts: readonly number[]): { lo: number; hi: number }[] {
  const out: { lo: number; hi: number }[] = [];
  for (const s of [...starts].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last.hi === s) last.hi = s + 60_000;
    else out.push({ lo: s, hi: s + 60_000 });
  }
  return out;
}

/** Sample-and-hold sums of one sensor over a window (see sensorHeldSums). */
export interface HeldSums {
  /** Held time, ms. */
  heldMs: number;
  /** Σ seconds · e^(−10 000 K / T), the MKT numerator. */
  sumArrhenius: number;
  /** Σ ms · °C, the time-weighted mean's numerator. */
  sumTempMs: number;
}

/**
 * MKT and mean sums over [from, end] from the raw readings, computed in the database (one row
 * back): the reading at or before `from` (within maxGapMs) carried in at `from`, each reading
 * held until the next one or `end`, capped at maxGapMs — as windowPoints + intervals do.
 */
export async function sensorHeldSums(
  q: Queryable,
  sensorId: string,
  from: number,
  end: number,
  maxGapMs: number,
): Promise<HeldSums> {
  const { rows } = await q.query<{ held_ms: number; sum_arrhenius: number; sum_temp_ms: number }>(
    `WITH carried AS (
       SELECT $2::timestamptz AS ts, r.temp_c FROM sensor_readings r
        WHERE r.sensor_id = $1 AND r.ts >= $2::timestamptz - make_interval(secs => $4::float8 / 1000) AND r.ts <= $2
        ORDER BY r.ts DESC LIMIT 1),
     points AS (
       SELECT ts, temp_c FROM carried
       UNION ALL
       SELECT ts, temp_c FROM sensor_readings WHERE sensor_id = $1 AND ts > $2 AND ts <= $3),
     held AS (
       SELECT temp_c, LEAST(GREATEST(0, extract(epoch FROM coalesce(lead(ts) OVER (ORDER BY ts), $3::timestamptz) - ts) * 1000), $4::numeric)::float8 AS ms
         FROM points)
     SELECT coalesce(sum(ms), 0)::float8 AS held_ms,
            coalesce(sum(ms / 1000 * exp(-10000.0 / (temp_c + 273.15))), 0)::float8 AS sum_arrhenius,
            coalesce(sum(ms * temp_c), 0)::float8 AS sum_temp_ms
       FROM held`,
    [sensorId, new Date(from), new Date(end), maxGapMs],
  );
  const r = rows[0]!;
  return { heldMs: r.held_ms, sumArrhenius: r.sum_arrhenius, sumTempMs: r.sum_temp_ms };
}

/** An asset with its node, profile id and sensors; null when unknown. */
export async function assetWithSensors(
  q: Queryable,
  assetId: string,
): Promise<{ assetId: string; nodeId: string; kind: string; profileId: string; sensorIds: string[] } | null> {
  const { rows } = await q.query<{ id: string; node_id: string; kind: string; band: string; sensors: string[] | null }>(
    `SELECT a.id, a.node_id, a.kind, a.band, array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL) AS sensors
       FROM assets a LEFT JOIN sensors s ON s.asset_id = a.id WHERE a.id = $1 GROUP BY a.id`,
    [assetId],
  );
  const r = rows[0];
  return r ? { assetId: r.id, nodeId: r.node_id, kind: r.kind, profileId: r.band, sensorIds: r.sensors ?? [] } : null;
}

/** A lot that was at an asset during a window, with its product's shelf-life model. */
export interface LotExposure {
  lotId: string;
  sku: string;
  status: string;
  expiresOn: string;
  /** Overlap of the lot's stay at the asset with the queried window (epoch ms). */
  from: number;
  to: number;
  q10: number;
  refTempC: number;
  shelfLifeDaysAtRef: number;
  minShelfLifeDays: number;
}

/** Lots located at an asset at some time in [from, to], with the overlap of their stay. */
export async function lotsAtAssetDuring(
  q: Queryable,
  assetId: string,
  from: number,
  to: number,
): Promise<LotExposure[]> {
  const { rows } = await q.query<{
    lot_id: string;
    sku: string;
    status: string;
    expires_on: string;
    from_ts: Date;
    to_ts: Date;
    q10: number;
    ref_temp_c: number;
    shelf_life_days_at_ref: number;
    min_shelf_life_days: number;
  }>(
    `SELECT l.lot_id, l.sku, l.status, l.expires_on::text AS expires_on,
            greatest(ll.from_ts, $2) AS from_ts, least(coalesce(ll.to_ts, $3), $3) AS to_ts,
            k.q10, k.ref_temp_c, k.shelf_life_days_at_ref, k.min_shelf_life_days
       FROM lot_locations ll JOIN lots l ON l.lot_id = ll.lot_id JOIN skus k ON k.sku = l.sku
      WHERE ll.asset_id = $1 AND ll.from_ts <= $3 AND (ll.to_ts IS NULL OR ll.to_ts >= $2)
      ORDER BY l.lot_id, ll.from_ts`,
    [assetId, new Date(from), new Date(to)],
  );
  return rows.map((r) => ({
    lotId: r.lot_id,
    sku: r.sku,
    status: r.status,
    expiresOn: r.expires_on,
    from: r.from_ts.getTime(),
    to: r.to_ts.getTime(),
    q10: r.q10,
    refTempC: r.ref_temp_c,
    shelfLifeDaysAtRef: r.shelf_life_days_at_ref,
    minShelfLifeDays: r.min_shelf_life_days,
  }));
}

/** Record a move of a lot with an explicit time (closes its open stay, opens a new one). */
export async function recordLotLocation(
  c: Queryable,
  lotId: string,
  assetId: string | null,
  at: number,
): Promise<void> {
  await c.query('UPDATE lot_locations SET to_ts = greatest($2, from_ts) WHERE lot_id = $1 AND to_ts IS NULL', [
    lotId,
    new Date(at),
  ]);
  if (assetId !== null)
    await c.query('INSERT INTO lot_locations (lot_id, asset_id, from_ts) VALUES ($1, $2, $3)', [
      lotId,
      assetId,
      new Date(at),
    ]);
}

/** Quarantine lots that are still available; returns the lots changed now. */
export async function quarantineLots(
  c: Queryable,
  lots: readonly { lotId: string; reason: string }[],
): Promise<string[]> {
  if (lots.length === 0) return [];
  const { rows } = await c.query<{ lot_id: string }>(
    `UPDATE lots l SET status = 'quarantined', status_reason = t.reason, updated_at = now()
       FROM (SELECT * FROM unnest($1::text[], $2::text[]) AS u(lot_id, reason) ORDER BY lot_id) t
      WHERE l.lot_id = t.lot_id AND l.status = 'available'
      RETURNING l.lot_id`,
    [lots.map((l) => l.lotId), lots.map((l) => l.reason)],
  );
  return rows.map((r) => r.lot_id).sort();
}

/**
 * Orders holding a non-released reservation on any of these lots, with what became of the units:
 * one holding per fulfilment that took units of the lot (from the open-task table's picking view),
 * with when it was packed (or dispatched: the units left the asset) and delivered, from the order
 * event stream. A reservation no fulfilment shows (not started, or older data) is one holding
 * with unknown times, which the domain counts as still in the asset.
 */
export async function orderHoldingsOfLots(
  c: Queryable,
  lotIds: readonly string[],
): Promise<{ orderId: string; holdings: LotHolding[] }[]> {
  if (lotIds.length === 0) return [];
  const { rows } = await c.query<{ order_id: string; lot_id: string; left_at: Date | null; delivered_at: Date | null }>(
    `WITH r AS (
       SELECT DISTINCT order_id, node_id, lot_id FROM stock_reservations WHERE lot_id = ANY($1::text[]) AND status <> 'released'),
     f AS (
       SELECT r.order_id, r.lot_id, t.fulfilment_id
         FROM r JOIN pick_tasks t ON t.order_id = r.order_id AND t.node_id = r.node_id
        WHERE EXISTS (
          SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.view -> 'lines') = 'array' THEN t.view -> 'lines' ELSE '[]'::jsonb END) l
           CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(l -> 'lots') = 'array' THEN l -> 'lots' ELSE '[]'::jsonb END) x
           WHERE x ->> 'lotId' = r.lot_id))
     SELECT r.order_id, r.lot_id,
            (SELECT min(e.at) FROM order_events e WHERE e.order_id = f.order_id AND e.event_key IN (f.fulfilment_id || ':packed', f.fulfilment_id || ':dispatched')) AS left_at,
            (SELECT min(e.at) FROM order_events e WHERE e.order_id = f.order_id AND e.event_key = f.fulfilment_id || ':delivered') AS delivered_at
       FROM r LEFT JOIN f ON f.order_id = r.order_id AND f.lot_id = r.lot_id
      ORDER BY r.order_id, r.lot_id, f.fulfilment_id`,
    [[...lotIds]],
  );
  const byOrder = new Map<string, LotHolding[]>();
  for (const r of rows) {
    const list = byOrder.get(r.order_id) ?? [];
    list.push({ lotId: r.lot_id, leftAssetAt: ms(r.left_at), deliveredAt: ms(r.delivered_at) });
    byOrder.set(r.order_id, list);
  }
  return [...byOrder].map(([orderId, holdings]) => ({ orderId, holdings }));
}

/** What an alert touched. */
export interface AlertImpact {
  alertId: string;
  /** A lot quarantined, an order holding such lots, or a transfer whose goods were in the van. */
  kind: 'lot' | 'order' | 'transfer';
  refId: string;
  reason: string;
  detail: string;
  lotIds: string[];
  createdAt: number;
  signalledAt: number | null;
  signalResult: string | null;
}

/** An impact to record. `settled` is set when no signal is due (e.g. delivered_exposed): stored as its signal result. */
export type NewImpact = Omit<AlertImpact, 'createdAt' | 'signalledAt' | 'signalResult'> & { settled?: string };

/**
 * Record impacts (idempotent per alert × kind × ref). New lots on a recorded order make it due
 * for a signal again, unless the new record is settled (nothing to signal).
 */
export async function insertImpacts(c: Queryable, impacts: readonly NewImpact[]): Promise<void> {
  for (const i of impacts) {
    await c.query(
      `INSERT INTO alert_impacts (alert_id, kind, ref_id, reason, detail, lot_ids, signalled_at, signal_result)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::text IS NULL THEN NULL ELSE now() END, $7)
       ON CONFLICT (alert_id, kind, ref_id) DO UPDATE SET lot_ids = (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(alert_impacts.lot_ids || EXCLUDED.lot_ids) x),
         signalled_at = CASE WHEN EXCLUDED.signal_result IS NOT NULL THEN coalesce(alert_impacts.signalled_at, EXCLUDED.signalled_at)
                             WHEN EXCLUDED.lot_ids <@ alert_impacts.lot_ids THEN alert_impacts.signalled_at ELSE NULL END,
         signal_result = CASE WHEN EXCLUDED.signal_result IS NOT NULL AND alert_impacts.signalled_at IS NULL THEN EXCLUDED.signal_result ELSE alert_impacts.signal_result END`,
      [i.alertId, i.kind, i.refId, i.reason, i.detail, i.lotIds, i.settled ?? null],
    );
  }
}

interface ImpactRow {
  alert_id: string;
  kind: 'lot' | 'order';
  ref_id: string;
  reason: string;
  detail: string;
  lot_ids: string[];
  created_at: Date;
  signalled_at: Date | null;
  signal_result: string | null;
}
const toImpact = (r: ImpactRow): AlertImpact => ({
  alertId: r.alert_id,
  kind: r.kind,
  refId: r.ref_id,
  reason: r.reason,
  detail: r.detail,
  lotIds: r.lot_ids,
  createdAt: r.created_at.getTime(),
  signalledAt: ms(r.signalled_at),
  signalResult: r.signal_result,
});

/** Impacts of one alert. */
export async function alertImpacts(q: Queryable, alertId: string): Promise<AlertImpact[]> {
  const { rows } = await q.query<ImpactRow>('SELECT * FROM alert_impacts WHERE alert_id = $1 ORDER BY kind, ref_id', [
    alertId,
  ]);
  return rows.map(toImpact);
}

/** Order impacts whose signal has not been sent, oldest first (the quarantine outbox). */
export async function unsignalledOrders(
  q: Queryable,
  opts: { olderThan?: number; alertIds?: readonly string[]; limit: number; lock?: boolean; nodeId?: string | null },
): Promise<AlertImpact[]> {
  const { rows } = await q.query<ImpactRow>(
    `SELECT i.* FROM alert_impacts i
      WHERE i.kind = 'order' AND i.signalled_at IS NULL
        AND ($1::timestamptz IS NULL OR i.created_at <= $1) AND ($2::uuid[] IS NULL OR i.alert_id = ANY($2::uuid[]))
        AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM alerts a WHERE a.id = i.alert_id AND a.node_id = $4))
      ORDER BY i.created_at LIMIT $3 ${opts.lock ? 'FOR UPDATE OF i SKIP LOCKED' : ''}`,
    [ts(opts.olderThan), opts.alertIds ? [...opts.alertIds] : null, opts.limit, opts.nodeId ?? null],
  );
  return rows.map(toImpact);
}

/** Mark an order impact as signalled (or as having no workflow to signal). */
export async function markSignalled(
  q: Queryable,
  alertId: string,
  orderId: string,
  result: string,
  lotIds: readonly string[],
): Promise<void> {
  // Only when the lots signalled are still all of them: a later quarantine may have added lots.
  await q.query(
    `UPDATE alert_impacts SET signalled_at = now(), signal_result = $3
      WHERE alert_id = $1 AND kind = 'order' AND ref_id = $2 AND lot_ids <@ $4::text[]`,
    [alertId, orderId, result, [...lotIds]],
  );
}

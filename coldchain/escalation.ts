// Escalation of unacknowledged alerts: the default table and when the next step falls due.
import type { Alert, EscalationTable } from '../domain/coldchain/alerts';

const MIN = 60_000;

/**
 * Default escalation table (ThingsBoard-style delay → recipients). Counted from when the
 * alert's current severity began; acknowledging stops it. Recipients are roles that the
 * webhook consumer (paging, chat) resolves to people.
 */
export const DEFAULT_ESCALATION: EscalationTable = {
  warning: [
    { level: 1, delayMs: 15 * MIN, recipients: ['shift-lead'] },
    { level: 2, delayMs: 60 * MIN, recipients: ['site-manager'] },
  ],
  critical: [
    { level: 1, delayMs: 5 * MIN, recipients: ['shift-lead'] },
    { level: 2, delayMs: 15 * MIN, recipients: ['site-manager'] },
    { level: 3, delayMs: 60 * MIN, recipients: ['ops-director'] },
  ],
};

/**
 * When the next escalation step of an alert falls due (epoch ms), or null when none will:
 * not open (acknowledged or resolved), or every step of its severity already notified.
 */
export function nextEscalationAt(
  alert: Pick<Alert, 'status' | 'severity' | 'severitySince' | 'escalationLevel'>,
  table: EscalationTable,
): number | null {
  if (alert.status !== 'open') return null;
  const pending = table[alert.severity].filter((s) => s.level > alert.escalationLevel);
  if (pending.length === 0) return null;
  return alert.severitySince + Math.min(...pending.map((s) => s.delayMs));
}

// The transfer state machine (issue 14), free of imports so the workflow bundle can use it:
// planned → picked → shipped → done (received), and cancelled from planned or picked only
// (once the van has left, the goods arrive and are received or refused at the destination).

export const TRANSFER_STATUSES = ['planned', 'picked', 'shipped', 'done', 'cancelled'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];
export type TransferAction = 'picked' | 'shipped' | 'received' | 'cancel';

/** Which status each action needs, and the one it leads to. Cancel is possible only before shipping. */
const TRANSITIONS: Record<TransferAction, { from: readonly TransferStatus[]; to: TransferStatus }> = {
  picked: { from: ['planned'], to: 'picked' },
  shipped: { from: ['picked'], to: 'shipped' },
  received: { from: ['shipped'], to: 'done' },
  cancel: { from: ['planned', 'picked'], to: 'cancelled' },
};

/** The status an action leads to, or why it is refused in this status. */
export function transition(
  status: TransferStatus,
  action: TransferAction,
): { ok: true; to: TransferStatus } | { ok: false; why: string } {
  const t = TRANSITIONS[action];
  return t.from.includes(status)
    ? { ok: true, to: t.to }
    : {
        ok: false,
        why: `a ${status} transfer cannot be ${action === 'cancel' ? 'cancelled' : action} (needs ${t.from.join(' or ')})`,
      };
}

/** A problem naming the request field. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A step's outcome: done (or already done), refused with problems naming fields (422), not allowed in this status (409), or no such transfer. */
export type StepResult =
  | { outcome: 'ok'; status: TransferStatus }
  | { outcome: 'refused'; problems: FieldProblem[] }
  | { outcome: 'conflict'; message: string }
  | { outcome: 'missing' };

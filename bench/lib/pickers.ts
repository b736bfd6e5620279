// Simulated pickers for `npm run bench:orders`' scan phase, through the real picker HTTP API
// (/picker/v1, picker tokens of their node): each claims an open wave, walks its pick path
// (start a line, confirm the scan), stages and hands over what is fully picked, and a courier
// (ops token) marks it delivered. The time of every confirm, answered, is recorded.
import { randomUUID } from 'node:crypto';

/** One picker: its node and bearer token. */
export interface PickerLogin {
  nodeId: string;
  token: string;
}

export interface PickerRunOptions {
  url: string;
  pickers: readonly PickerLogin[];
  /** Token for the courier's delivered event (ops may act for any courier). */
  courierToken: string;
  courierId: string;
  /** How long an idle picker waits before looking for a wave again. */
  idleMs?: number;
}

/** What the pickers saw: confirm latencies (ms, answered 200) and non-200 answers by step and status. */
export interface PickerRunResult {
  confirmMs: number[];
  refused: Record<string, number>;
  delivered: number;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(url: string, method: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface Step {
  fulfilmentId: string;
  lineId: string;
  sku: string;
  lotId: string;
  qty: number;
}
interface Task {
  fulfilmentId: string;
  orderNumber: string;
  pickStatus: string;
  totesToStage?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start the pickers; `stop()` lets each finish its current wave and resolves with what they saw. */
export function startPickers(opts: PickerRunOptions): { stop(): Promise<PickerRunResult> } {
  const result: PickerRunResult = { confirmMs: [], refused: {}, delivered: 0 };
  let stopping = false;
  const count = (what: string, a: Answer) => {
    if (a.status === 200) return true;
    const key = `${what}_${a.status}`;
    result.refused[key] = (result.refused[key] ?? 0) + 1;
    return false;
  };
  const p = (path: string) => `${opts.url}/picker/v1${path}`;

  /** Stage, hand over and deliver a fulfilment this picker's scans completed (another picker may hold a zone still). */
  const finish = async (me: PickerLogin, fulfilmentId: string) => {
    const got = await send(p(`/fulfilments/${fulfilmentId}`), 'GET', me.token);
    const task = got.body as unknown as Task;
    if (got.status !== 200 || task.pickStatus !== 'picked' || !task.totesToStage?.length) return;
    if (
      !count(
        'stage',
        await send(p(`/fulfilments/${fulfilmentId}/stage`), 'POST', me.token, {
          location: 'S-01',
          toteLabels: task.totesToStage,
        }),
      )
    )
      return;
    if (
      !count(
        'hand_over',
        await send(p(`/fulfilments/${fulfilmentId}/hand-over`), 'POST', me.token, { courierId: opts.courierId }),
      )
    )
      return;
    const delivered = await send(
      `${opts.url}/v1/orders/${task.orderNumber}/courier-events`,
      'POST',
      opts.courierToken,
      { type: 'delivered', fulfilmentId },
    );
    if (count('delivered', delivered)) result.delivered++;
  };

  const pickOneWave = async (me: PickerLogin, index: number): Promise<boolean> => {
    const waves = (await send(p(`/nodes/${me.nodeId}/waves`), 'GET', me.token)).body.waves as
      { waveId: string }[] | undefined;
    if (!waves?.length) return false;
    // Pickers of one node spread over the open waves rather than all racing for the first.
    const wave = waves[index % waves.length]!;
    if (!count('claim', await send(p(`/nodes/${me.nodeId}/claims`), 'POST', me.token, { waveId: wave.waveId })))
      return true;
    const path = ((await send(p(`/nodes/${me.nodeId}/tasks`), 'GET', me.token)).body.pickPath ?? []) as Step[];
    for (const s of path) {
      const line = `/fulfilments/${s.fulfilmentId}/lines/${s.lineId}`;
      count('start', await send(p(`${line}/start`), 'POST', me.token, {}));
      const t0 = performance.now();
      const confirmed = await send(p(`${line}/confirm`), 'POST', me.token, { sku: s.sku, lotId: s.lotId, qty: s.qty });
      if (count('confirm', confirmed)) result.confirmMs.push(performance.now() - t0);
    }
    for (const fulfilmentId of new Set(path.map((s) => s.fulfilmentId))) await finish(me, fulfilmentId);
    return true;
  };

  const loops = opts.pickers.map(async (me, i) => {
    while (!stopping) {
      try {
        if (!(await pickOneWave(me, i))) await sleep(opts.idleMs ?? 500);
      } catch (err) {
        const key = `error_${(err as Error).name}`;
        result.refused[key] = (result.refused[key] ?? 0) + 1;
        await sleep(opts.idleMs ?? 500);
      }
    }
  });
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return result;
    },
  };
}

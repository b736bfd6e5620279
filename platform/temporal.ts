import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

/** A client on the configured namespace, plus its connection for health checks and closing. */
export interface TemporalHandle { connection: Connection; client: Client }

/** Connect to Temporal (fails fast when the server is unreachable). */
export async function connectTemporal(cfg: Config['temporal']): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: cfg.address, connectTimeout: '5s' });
  return { connection, client: new Client({ connection, namespace: cfg.namespace }) };
}

/** True when the namespace answers; the error message otherwise. */
export async function temporalHealth(handle: TemporalHandle, namespace: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await handle.connection.workflowService.describeNamespace({ namespace });
    return { ok: true, detail: `namespace ${res.namespaceInfo?.name ?? namespace} reachable` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

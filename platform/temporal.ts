import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { EncryptionCodec } from './codec';

/** The data converter every client and worker of a deployment shares: encrypted when a key is set. */
export function dataConverterFor(cfg: Config['temporal']): DataConverter | undefined {
  return cfg.payloadKey ? { payloadCodecs: [EncryptionCodec.fromBase64(cfg.payloadKey)] } : undefined;
}

/** A client on the configured namespace, plus its connection for health checks and closing. */
export interface TemporalHandle {
  connection: Connection;
  client: Client;
}

/** Connect to Temporal (fails fast when the server is unreachable). */
export async function connectTemporal(cfg: Config['temporal']): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: cfg.address, connectTimeout: '5s' });
  const dataConverter = dataConverterFor(cfg);
  return {
    connection,
    client: new Client({ connection, namespace: cfg.namespace, ...(dataConverter ? { dataConverter } : {}) }),
  };
}

/** True when the namespace answers; the error message otherwise. */
export async function temporalHealth(
  handle: TemporalHandle,
  namespace: string,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await handle.connection.workflowService.describeNamespace({ namespace });
    return { ok: true, detail: `namespace ${res.namespaceInfo?.name ?? namespace} reachable` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

// Bench child for `npm run bench:orders`: what `npm start` runs for orders, in its own process so
// its CPU can be told apart from the harness's — the production worker (production bundle), the
// API, and the bench's skeleton worker (its own bundle, its own task queue). It reports which of
// its threads are the workflow threads, so the bench can split the worker's CPU by thread.
import { readdirSync, readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config';
import { createDb } from '../../db/pool';
import { createLogger } from '../../platform/logger';
import { connectTemporal } from '../../platform/temporal';
import { installTemporalRuntime, startWorker } from '../../workflows/worker';
import * as skeletonActivities from '../skeleton/activities';
import { runChild, serveParent } from './child';

/** Threads of this process named "node": the main thread, V8's platform threads and worker threads. */
function nodeThreads(): Set<number> {
  const out = new Set<number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'node') out.add(Number(tid));
    } catch {
      // thread gone
    }
  }
  return out;
}

/** Run `create` and return the "node" threads it started: for a Temporal worker, its workflow thread(s). */
async function threadsStartedBy<T>(create: () => Promise<T>): Promise<{ value: T; tids: number[] }> {
  const before = nodeThreads();
  const value = await create();
  return { value, tids: [...nodeThreads()].filter((t) => !before.has(t)) };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('warn', pino.destination(2));
  installTemporalRuntime(logger);
  const db = createDb({ connectionString: config.db.connectionString, max: 20, logger });
  const prod = await threadsStartedBy(() => startWorker(config, { db, logger }));
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const skeleton = await threadsStartedBy(() =>
    Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: process.env.BENCH_SKELETON_TASK_QUEUE!,
      workflowsPath: require.resolve('../skeleton/workflows'),
      activities: skeletonActivities,
      shutdownGraceTime: '10s',
    }),
  );
  const skeletonRun = skeleton.value.run();
  const temporal = await connectTemporal(config.temporal);
  const api = await startApi(config, { db, temporal, logger }, 0);
  serveParent({
    handled: () => 0,
    stats: async () => ({ stats: {} }),
    stop: async () => {
      await api.stop();
      skeleton.value.shutdown();
      await skeletonRun;
      await prod.value.stop();
      await temporal.connection.close();
      await connection.close();
      await db.close();
    },
  });
  process.send?.({ type: 'ready' });
  process.send?.({
    type: 'info',
    info: { apiPort: api.port, workflowThreads: prod.tids, skeletonThreads: skeleton.tids },
  });
}

runChild(main);

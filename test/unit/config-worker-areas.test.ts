// Workers per area: which queues a worker polls, which activities each area registers, and the
// `npm run worker -- --area …` command line.
import { expect } from 'chai';
import fc from 'fast-check';
import { createActivities, createAreaActivities } from '../../activities';
import type { Db } from '../../db/pool';
import { TASK_QUEUE_AREAS, taskQueuesBeside, taskQueuesFor } from '../../config/task-queues';
import { createLogger } from '../../platform/logger';
import { queuesToServe, workerTuning, workflowCode } from '../../workflows/worker';
import { loadConfig } from '../../config';
import { WorkerUsageError, areasFromArgs } from '../../workflows/worker-args';

const deps = { db: {} as Db, logger: createLogger('silent') };
const names = (o: object): string[] => Object.keys(o).sort();

describe('worker areas', () => {
  it('each area registers only its own activities; together they are every activity', () => {
    const orders = names(createAreaActivities(['orders'], deps));
    const coldchain = names(createAreaActivities(['coldchain'], deps));
    const forecasting = names(createAreaActivities(['forecasting'], deps));
    expect(orders).to.include.members([
      'allocateAndReserve',
      'syncPickTask',
      'pickTransfer',
      'releaseExpiredReservations',
      'erasePersonalDataPastRetention',
    ]);
    expect(coldchain).to.include.members([
      'attemptWebhookDelivery',
      'finishWebhookDelivery',
      'coldChainReport',
      'telemetryMaintenance',
    ]);
    expect(forecasting).to.include.members([
      'startForecastRun',
      'forecastRunChunk',
      'planForecastNodes',
      'finishForecastRun',
    ]);
    for (const [a, b] of [
      [orders, coldchain],
      [orders, forecasting],
      [coldchain, forecasting],
    ] as const) {
      expect(
        a.filter((n) => b.includes(n)),
        'only the platform smoke activity is shared',
      ).to.deep.equal(['echo']);
    }
    expect(names(createAreaActivities(TASK_QUEUE_AREAS, deps))).to.deep.equal(names(createActivities(deps)));
  });

  it('polls one queue per area, or one queue for areas that share it', () => {
    expect([...queuesToServe(taskQueuesFor('p'), ['orders', 'forecasting'])]).to.deep.equal([
      ['p-orders', ['orders']],
      ['p-forecasting', ['forecasting']],
    ]);
    expect([...queuesToServe(taskQueuesBeside('tq-1'), TASK_QUEUE_AREAS)]).to.deep.equal([
      ['tq-1', [...TASK_QUEUE_AREAS]],
    ]);
  });

  it('runs one CPU-heavy forecast activity at a time on a forecasting queue of its own; shared queues untuned', () => {
    expect(workerTuning(['forecasting'])).to.deep.equal({ maxConcurrentActivityTaskExecutions: 1 });
    expect(workerTuning(['orders'])).to.deep.equal({});
    expect(workerTuning(['coldchain'])).to.deep.equal({});
    expect(workerTuning([...TASK_QUEUE_AREAS])).to.deep.equal({});
  });

  it('refuses to serve part of a shared queue, or nothing', () => {
    expect(() => queuesToServe(taskQueuesBeside('tq-1'), ['orders'])).to.throw(
      /tq-1 holds the areas orders, coldchain, forecasting/,
    );
    expect(() => queuesToServe(taskQueuesFor('p'), [])).to.throw(/at least one area/);
  });

  it('runs a given pre-built bundle; bundles at start only outside production', async () => {
    expect(await workflowCode(loadConfig({ WORKFLOW_BUNDLE: '/app/dist/workflow-bundle.js' }))).to.deep.equal({
      codePath: '/app/dist/workflow-bundle.js',
    });
    const production = loadConfig({
      FRESHCHAIN_PROFILE: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      MQTT_PASSWORD: 'm',
      MQTT_DEVICE_PASSWORD: 'd',
      MQTT_OPS_PASSWORD: 'o',
      API_TOKEN_SECRET: 's'.repeat(40),
      PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      PAYLOAD_CODEC_KEY: Buffer.alloc(32, 2).toString('base64'),
    });
    // Source run through tsx: no compiled bundle beside it, and production will not bundle.
    const err = await workflowCode(production).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err)
      .to.be.instanceOf(Error)
      .with.property('message')
      .match(/pre-built workflow bundle.*npm run build/);
  });

  it('reads --area (repeated or comma-separated), else the configured areas', () => {
    expect(areasFromArgs([], ['coldchain'])).to.deep.equal(['coldchain']);
    expect(areasFromArgs(['--area', 'forecasting'], [...TASK_QUEUE_AREAS])).to.deep.equal(['forecasting']);
    expect(areasFromArgs(['--area', 'forecasting', '--area=orders'], [])).to.deep.equal(['orders', 'forecasting']);
    expect(areasFromArgs(['--area', 'coldchain,orders'], [])).to.deep.equal(['orders', 'coldchain']);
    expect(areasFromArgs(['--area', 'all'], [])).to.deep.equal([...TASK_QUEUE_AREAS]);
  });

  it('refuses unknown options, positionals and areas with a usage error naming them', () => {
    expect(() => areasFromArgs(['--areas', 'orders'], [])).to.throw(WorkerUsageError, /--areas/);
    expect(() => areasFromArgs(['orders'], [])).to.throw(WorkerUsageError, /orders/);
    expect(() => areasFromArgs(['--area', 'billing'], [])).to.throw(WorkerUsageError, /--area: unknown area "billing"/);
    expect(() => areasFromArgs(['--area'], [])).to.throw(WorkerUsageError);
  });

  it('property: any command line gives known areas or a usage error, never anything else', () => {
    const token = fc.oneof(
      fc.constantFrom(
        '--area',
        '--area=orders',
        'orders',
        'coldchain,forecasting',
        'all',
        '--',
        '-a',
        '__proto__',
        '\u0000',
        '\uD800',
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), (argv) => {
        try {
          for (const a of areasFromArgs(argv, [...TASK_QUEUE_AREAS])) expect(TASK_QUEUE_AREAS).to.include(a);
        } catch (err) {
          expect(err).to.be.instanceOf(WorkerUsageError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

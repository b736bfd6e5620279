// Task queues per area: one map, derived from TEMPORAL_TASK_QUEUE_PREFIX by config and from the
// queue a workflow runs on by workflow code; the two must always agree.
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../config';
import {
  TASK_QUEUE_AREAS,
  UnknownAreaError,
  parseAreas,
  taskQueuesBeside,
  taskQueuesFor,
} from '../../config/task-queues';

/** Strings as hostile as an environment can hold: NUL, lone surrogates, unicode, huge. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('\u0000', '\uD800', 'a\uDC00b', ' ', '', '-', '__proto__', 'constructor', 'x'.repeat(5000)),
);

describe('config: task queues per area', () => {
  it('derives one queue per area from TEMPORAL_TASK_QUEUE_PREFIX (default freshchain)', () => {
    expect(loadConfig({}).temporal.taskQueues).to.deep.equal({
      orders: 'freshchain-orders',
      coldchain: 'freshchain-coldchain',
      forecasting: 'freshchain-forecasting',
    });
    expect(loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: 'eu1' }).temporal.taskQueues).to.deep.equal({
      orders: 'eu1-orders',
      coldchain: 'eu1-coldchain',
      forecasting: 'eu1-forecasting',
    });
  });

  it('keeps TEMPORAL_TASK_QUEUE working: `<p>-orders` selects prefix p, another name is one queue for all', () => {
    expect(loadConfig({ TEMPORAL_TASK_QUEUE: 'freshchain-orders' }).temporal.taskQueues).to.deep.equal(
      taskQueuesFor('freshchain'),
    );
    expect(loadConfig({ TEMPORAL_TASK_QUEUE: 'tq-x1' }).temporal.taskQueues).to.deep.equal({
      orders: 'tq-x1',
      coldchain: 'tq-x1',
      forecasting: 'tq-x1',
    });
    // The more specific variable wins, so a throwaway queue overrides a deployment's prefix.
    expect(
      loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: 'eu1', TEMPORAL_TASK_QUEUE: 'tq-x1' }).temporal.taskQueues.forecasting,
    ).to.equal('tq-x1');
  });

  it('refuses a prefix or queue name that is not one, naming the variable', () => {
    for (const bad of ['', ' ', 'a b', 'x\u0000y', 'a\uD800', 'x'.repeat(201), '-lead']) {
      expect(() => loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: bad }), JSON.stringify(bad)).to.throw(
        ConfigError,
        /TEMPORAL_TASK_QUEUE_PREFIX/,
      );
      expect(() => loadConfig({ TEMPORAL_TASK_QUEUE: bad }), JSON.stringify(bad)).to.throw(
        ConfigError,
        /TEMPORAL_TASK_QUEUE/,
      );
    }
  });

  it('reads WORKER_AREAS (default every area) and refuses an unknown area by name', () => {
    expect(loadConfig({}).worker.areas).to.deep.equal([...TASK_QUEUE_AREAS]);
    expect(loadConfig({ WORKER_AREAS: 'forecasting,orders' }).worker.areas).to.deep.equal(['orders', 'forecasting']);
    expect(() => loadConfig({ WORKER_AREAS: 'orders,billing' })).to.throw(ConfigError, /WORKER_AREAS.*billing/);
  });

  it('takes a pre-built workflow bundle path, absolute', () => {
    expect(loadConfig({ WORKFLOW_BUNDLE: '/app/dist/workflow-bundle.js' }).worker.workflowBundlePath).to.equal(
      '/app/dist/workflow-bundle.js',
    );
    expect(() => loadConfig({ WORKFLOW_BUNDLE: 'dist/workflow-bundle.js' })).to.throw(ConfigError, /WORKFLOW_BUNDLE/);
    expect(loadConfig({}).worker.workflowBundlePath).to.equal(undefined);
  });

  it('never throws anything but a ConfigError on hostile values', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (prefix, queue, areas) => {
        for (const env of [
          { TEMPORAL_TASK_QUEUE_PREFIX: prefix },
          { TEMPORAL_TASK_QUEUE: queue },
          { WORKER_AREAS: areas },
        ]) {
          try {
            const cfg = loadConfig(env);
            for (const q of Object.values(cfg.temporal.taskQueues)) expect(q).to.be.a('string').and.not.equal('');
          } catch (err) {
            expect(err).to.be.instanceOf(ConfigError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('task-queue map', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$/);

  it('maps a prefix to distinct queues, one per area', () => {
    fc.assert(
      fc.property(name, (p) => {
        const q = taskQueuesFor(p);
        expect(new Set(Object.values(q)).size).to.equal(TASK_QUEUE_AREAS.length);
      }),
    );
  });

  it('recovers the same map from any of its queues (what workflow code does)', () => {
    fc.assert(
      fc.property(name, (p) => {
        const q = taskQueuesFor(p);
        for (const area of TASK_QUEUE_AREAS) expect(taskQueuesBeside(q[area])).to.deep.equal(q);
      }),
    );
  });

  it('is a fixed point for any queue name, hostile ones included', () => {
    fc.assert(
      fc.property(fc.oneof(name, hostile), (queue) => {
        const q = taskQueuesBeside(queue);
        for (const area of TASK_QUEUE_AREAS) expect(taskQueuesBeside(q[area])).to.deep.equal(q);
        expect(Object.values(q)).to.include(queue);
      }),
    );
  });

  it('parses area lists: all, any order, duplicates; refuses empty or unknown names', () => {
    expect(parseAreas('all')).to.deep.equal([...TASK_QUEUE_AREAS]);
    expect(parseAreas(' forecasting , orders,orders')).to.deep.equal(['orders', 'forecasting']);
    for (const bad of ['', ',', 'billing', 'orders,__proto__', 'all,orders', 'ORDERS', 'orders\u0000']) {
      expect(() => parseAreas(bad), JSON.stringify(bad)).to.throw(UnknownAreaError);
    }
    fc.assert(
      fc.property(hostile, (s) => {
        try {
          for (const a of parseAreas(s)) expect(TASK_QUEUE_AREAS).to.include(a);
        } catch (err) {
          expect(err).to.be.instanceOf(UnknownAreaError);
        }
      }),
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { loadConfig } from '../../../config';
import { DEV_DEFAULTS } from '../../../config/schema';
import { topicScheme } from '../../../domain/coldchain/topics';
import {
  RUN_ID_VARIABLE,
  databaseUrl,
  newRunId,
  parseRunId,
  runOfResource,
  suiteEnvironment,
  suiteResources,
} from '../../support/isolation';

const runIds = fc.stringMatching(/^[a-z0-9]{1,16}$/);
const suiteIds = fc.oneof(fc.integer({ min: 0, max: 4_194_304 }), fc.constant(Number.MAX_SAFE_INTEGER));
/** Strings a hostile or careless environment may hold. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '__proto__',
    'constructor',
    'a\u0000b',
    '\uD800',
    'abc\uDFFF',
    'ABC',
    'a-b',
    'x'.repeat(17),
    '1e308',
    '../x',
  ),
);

describe('suite isolation names (test/support/isolation)', () => {
  it('a new run id is always accepted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8_640_000_000_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (now, random) => {
          expect(parseRunId(newRunId(now, random))).to.be.a('string');
        },
      ),
    );
  });

  it('a run id from the environment is accepted unchanged or refused naming the variable', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        let accepted: string | undefined;
        try {
          accepted = parseRunId(value);
        } catch (err) {
          expect((err as Error).message).to.contain(RUN_ID_VARIABLE);
          return;
        }
        expect(accepted)
          .to.equal(value)
          .and.match(/^[a-z0-9]{1,16}$/);
      }),
    );
  });

  it('every name is valid where it is used, and names the run it belongs to', () => {
    fc.assert(
      fc.property(runIds, suiteIds, (run, id) => {
        const r = suiteResources(run, id);
        expect(Buffer.byteLength(r.database), 'PostgreSQL identifiers: 63 bytes').to.be.at.most(63);
        expect(r.database).to.match(/^[a-z0-9_]+$/);
        expect(r.shareGroup).to.match(/^[A-Za-z0-9_-]+$/);
        expect(r.alertsShareGroup).to.match(/^[A-Za-z0-9_-]+$/);
        expect(`${r.clientIdPrefix}-alerts`).to.match(/^[A-Za-z0-9_.-]{1,100}$/);
        expect(runOfResource(r.database)).to.equal(run);
        expect(runOfResource(r.namespace)).to.equal(run);
      }),
    );
  });

  it('two suites of a run, or one suite of two runs, share no name', () => {
    fc.assert(
      fc.property(runIds, runIds, suiteIds, suiteIds, (runA, runB, a, b) => {
        fc.pre(runA !== runB || a !== b);
        const [x, y] = [suiteResources(runA, a), suiteResources(runB, b)];
        for (const key of [
          'database',
          'namespace',
          'taskQueuePrefix',
          'shareGroup',
          'alertsShareGroup',
          'clientIdPrefix',
          'topicPrefix',
        ] as const) {
          expect(x[key], key).to.not.equal(y[key]);
        }
      }),
    );
  });

  it('refuses a suite id that is not a non-negative integer', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => suiteResources('abc', bad)).to.throw(/suite id/);
    }
  });

  it('is no test resource: the shared database, the default namespace, look-alikes', () => {
    for (const name of [
      'freshchain',
      'default',
      'freshchain_template',
      'freshchain_test_',
      'freshchain_test_ABC_1',
      'freshchain-test-abc',
      'freshchain_test_abc_1; DROP',
      'freshchain_test_abc_1\u0000',
    ]) {
      expect(runOfResource(name), name).to.equal(undefined);
    }
  });

  it("the environment it derives is a valid configuration pointing at the suite's resources", () => {
    fc.assert(
      fc.property(runIds, suiteIds, (run, id) => {
        const r = suiteResources(run, id);
        const config = loadConfig({ FRESHCHAIN_PROFILE: 'test', ...suiteEnvironment(r, DEV_DEFAULTS.databaseUrl) });
        expect(new URL(config.db.connectionString!).pathname).to.equal(`/${r.database}`);
        expect(config.temporal.namespace).to.equal(r.namespace);
        // The worker's queues (one per area, or one for all) carry the suite's prefix.
        expect(JSON.stringify(config.temporal)).to.contain(`"${r.taskQueuePrefix}-orders"`);
        expect(config.mqtt.shareGroup).to.equal(r.shareGroup);
        expect(config.mqtt.topicPrefix).to.equal(r.topicPrefix);
        expect(topicScheme(config.mqtt.topicPrefix).readingFilter()).to.equal(
          `${r.topicPrefix}/freshchain/v1/telemetry/+/+/+`,
        );
        expect(config.alerts.shareGroup).to.equal(r.alertsShareGroup);
        expect(config.ingest.clientIdPrefix).to.equal(r.clientIdPrefix);
        expect(config.ingest.metricsPort).to.equal(0);
        expect(config.workerMetricsBind).to.equal(undefined);
      }),
      { numRuns: 50 },
    );
  });

  it('a database URL keeps the server, role and password, and replaces only the database', () => {
    const url = new URL(
      databaseUrl('postgres://fc:p%40ss@db.example:6543/freshchain?sslmode=require', 'freshchain_test_a_1'),
    );
    expect([url.username, url.password, url.host, url.pathname, url.search]).to.deep.equal([
      'fc',
      'p%40ss',
      'db.example:6543',
      '/freshchain_test_a_1',
      '?sslmode=require',
    ]);
  });
});

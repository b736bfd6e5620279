// deploy/compose/docker-compose.yml as a system: health checks, start order, restart policies,
// entry points, the broker's accounts and the Temporal search attributes.
import vm from 'node:vm';
import { expect } from 'chai';
import {
  COMPOSE_DIR,
  arr,
  compiledEntry,
  composeEnv,
  composeOneShots,
  composeServices,
  dig,
  interpolate,
  isAppService,
  isObj,
  obj,
  read,
  searchAttributes,
  str,
  workerProbeFromCompose,
} from './support';

const services = composeServices();
const oneShots = composeOneShots(services);
const longRunning = Object.keys(services).filter((n) => !oneShots.has(n));

/** The user names of a Mosquitto ACL file. */
const aclUsers = (text: string): string[] => [...text.matchAll(/^user\s+(\S+)\s*$/gm)].map((m) => m[1]!);

describe('deploy/compose', () => {
  it('separates one-shots (migrations, Temporal schema and setup, the broker certificate) from long-running services', () => {
    expect([...oneShots].sort()).to.deep.equal(['migrate', 'mosquitto-tls', 'temporal-schema', 'temporal-setup']);
    expect(longRunning).to.include.members([
      'timescaledb',
      'temporal-postgresql',
      'temporal',
      'temporal-ui',
      'mosquitto',
      'worker',
      'api',
      'ingest-1',
      'ingest-2',
    ]);
  });

  for (const name of longRunning) {
    it(`${name}: has a health check and restarts unless stopped`, () => {
      const s = services[name]!;
      const hc = obj(s.healthcheck, `${name}.healthcheck`);
      expect(hc.disable, `${name}: healthcheck disabled`).to.not.equal(true);
      const test = arr(hc.test, `${name}.healthcheck.test`);
      expect(test[0]).to.be.oneOf(['CMD', 'CMD-SHELL']);
      expect(test.length).to.be.greaterThan(1);
      for (const k of ['interval', 'timeout', 'retries'])
        expect(hc[k], `${name}.healthcheck.${k}`).to.not.equal(undefined);
      expect(s.restart, `${name}.restart`).to.be.oneOf(['unless-stopped', 'always']);
    });
  }

  for (const name of oneShots) {
    it(`${name}: a one-shot, retried on failure only`, () => {
      expect(str(services[name]!.restart, `${name}.restart`)).to.match(/^(no|on-failure(:\d+)?)$/);
    });
  }

  it('every depends_on waits on a condition its target can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.depends_on === undefined) continue;
      const deps = obj(s.depends_on, `${name}.depends_on`);
      for (const [target, d] of Object.entries(deps)) {
        expect(services[target], `${name} → ${target}`).to.not.equal(undefined);
        const cond = dig(d, 'condition');
        expect(cond, `${name} → ${target}`).to.be.oneOf(['service_healthy', 'service_completed_successfully']);
        if (cond === 'service_healthy')
          expect(services[target]!.healthcheck, `${target} has no healthcheck`).to.not.equal(undefined);
      }
    }
  });

  it('start order: databases → Temporal schema → Temporal → setup; migrations before our services', () => {
    const deps = (n: string): string[] => Object.keys(obj(services[n]!.depends_on ?? {}, n));
    expect(deps('temporal-schema')).to.include('temporal-postgresql');
    expect(deps('temporal')).to.include('temporal-schema');
    expect(deps('temporal-setup')).to.include('temporal');
    expect(deps('migrate')).to.include('timescaledb');
    for (const n of ['worker', 'api', 'ingest-1', 'ingest-2'])
      expect(deps(n)).to.include.members(['migrate', 'temporal-setup']);
    for (const n of ['api', 'ingest-1', 'ingest-2']) expect(deps(n)).to.include('mosquitto');
  });

  it('our services run the entry points of the npm scripts', () => {
    const command = (n: string): unknown => services[n]!.command;
    expect(command('migrate')).to.deep.equal([compiledEntry('migrate')]);
    expect(command('worker')).to.deep.equal([compiledEntry('worker')]);
    expect(command('api')).to.deep.equal([compiledEntry('api')]);
    expect(command('ingest-1')).to.deep.equal([compiledEntry('ingest')]);
    expect(command('ingest-2')).to.deep.equal([compiledEntry('ingest')]);
  });

  it('publishes the API on 3000, the Temporal UI on 8233 → 8080 and MQTT over TLS on 8883', () => {
    const ports = (n: string): string[] => arr(services[n]!.ports, `${n}.ports`).map((p) => interpolate(String(p), {}));
    expect(ports('api').some((p) => p.endsWith(':3000:3000'))).to.equal(true);
    expect(ports('temporal-ui').some((p) => p.endsWith(':8233:8080'))).to.equal(true);
    expect(ports('mosquitto')).to.deep.equal(['0.0.0.0:8883:8883']);
  });

  it('health checks probe the ports the services listen on', () => {
    const test = (n: string): string => arr(dig(services[n], 'healthcheck', 'test'), n).join(' ');
    expect(test('api')).to.contain(`127.0.0.1:${composeEnv(services.api!).PORT}/healthz`);
    for (const n of ['ingest-1', 'ingest-2'])
      expect(test(n)).to.contain(`127.0.0.1:${composeEnv(services[n]!).INGEST_METRICS_PORT}/metrics`);
  });

  it("the worker health check is valid JavaScript that asks Temporal for this container's pollers", () => {
    const script = workerProbeFromCompose();
    expect(() => new vm.Script(script)).to.not.throw();
    expect(script)
      .to.contain('describeTaskQueue')
      .and.contain("require('os').hostname()")
      .and.contain('TEMPORAL_TASK_QUEUE_PREFIX')
      .and.contain('WORKER_AREAS');
    expect(script, 'compose would interpolate a $').to.not.contain('$');
  });

  it('runs two ingesters with distinct, fixed INGEST_CLIENT_IDs', () => {
    const ingesters = Object.entries(services).filter(
      ([, s]) => isAppService(s) && JSON.stringify(s.command) === JSON.stringify([compiledEntry('ingest')]),
    );
    expect(ingesters.length).to.be.greaterThan(1);
    const ids = ingesters.map(([n, s]) => str(composeEnv(s).INGEST_CLIENT_ID, `${n} INGEST_CLIENT_ID`));
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids) expect(id, 'a fixed id, not interpolated').to.match(/^[A-Za-z0-9_-]+$/);
  });

  it('the broker requires a login and applies deploy/mosquitto/acl; our accounts are its users', () => {
    const conf = read(`${COMPOSE_DIR}/mosquitto/mosquitto.conf`);
    expect(conf).to.match(/^allow_anonymous false$/m);
    expect(conf).to.match(/^password_file \S+$/m);
    expect(conf).to.match(/^acl_file \S+$/m);
    expect(conf).to.match(/^persistence true$/m);
    const mounts = arr(services.mosquitto!.volumes, 'mosquitto volumes').map(String);
    expect(mounts.some((m) => m.startsWith('../mosquitto/acl:'))).to.equal(true);
    const users = aclUsers(read('deploy/mosquitto/acl'));
    expect(users.length).to.be.greaterThan(2);
    for (const [name, s] of Object.entries(services).filter(([, x]) => isAppService(x))) {
      const env = composeEnv(s);
      for (const k of ['MQTT_USERNAME', 'MQTT_DEVICE_USERNAME', 'MQTT_OPS_USERNAME'])
        expect(users, `${name}: ${k}`).to.include(env[k]);
    }
    const brokerEnv = composeEnv(services.mosquitto!);
    for (const k of ['MQTT_USERNAME', 'MQTT_DEVICE_USERNAME', 'MQTT_OPS_USERNAME'])
      expect(users, `mosquitto: ${k}`).to.include(brokerEnv[k]);
    // The start script writes an entry for each account it is given.
    const start = read(`${COMPOSE_DIR}/mosquitto/start.sh`);
    for (const k of ['MQTT_USERNAME', 'MQTT_DEVICE_USERNAME', 'MQTT_OPS_USERNAME', 'MQTT_GATEWAY_ACCOUNTS'])
      expect(start).to.contain(k);
  });

  it('registers exactly deploy/temporal/search-attributes.txt (mounted, read by the setup script)', () => {
    const setup = services['temporal-setup']!;
    const env = composeEnv(setup);
    const mount = arr(setup.volumes, 'temporal-setup volumes')
      .map(String)
      .find((m) => m.startsWith('../temporal/search-attributes.txt:'));
    expect(mount, 'search-attributes.txt mount').to.not.equal(undefined);
    expect(mount!.split(':')[1]).to.equal(env.SEARCH_ATTRIBUTES_FILE);
    const script = read(`${COMPOSE_DIR}/temporal/setup-namespace.sh`);
    expect(script).to.contain('"$SEARCH_ATTRIBUTES_FILE"').and.contain('temporal operator search-attribute create');
    expect(searchAttributes(read('deploy/temporal/search-attributes.txt')).length).to.be.greaterThan(3);
    // One namespace for workers and setup alike.
    expect(env.TEMPORAL_NAMESPACE).to.equal(composeEnv(services.worker!).TEMPORAL_NAMESPACE);
  });

  it('TimescaleDB: the application role is created by the init script with the password from .env', () => {
    const ts = services.timescaledb!;
    const env = composeEnv(ts);
    expect(env.FRESHCHAIN_DB_PASSWORD).to.match(/^\$\{FRESHCHAIN_DB_PASSWORD:\?/);
    const init = read(`${COMPOSE_DIR}/timescaledb/010-freshchain-role.sh`);
    expect(init)
      .to.contain('FRESHCHAIN_DB_PASSWORD')
      .and.contain('OWNER TO freshchain')
      .and.contain('CREATE EXTENSION IF NOT EXISTS timescaledb');
    expect(init).to.not.match(/SUPERUSER/);
  });

  it('keeps the Temporal UI off the network by default', () => {
    const port = arr(services['temporal-ui']!.ports, 'ui ports').map((p) => interpolate(String(p), {}))[0];
    expect(port).to.match(/^127\.0\.0\.1:/);
    expect(isObj(services['temporal-ui'])).to.equal(true);
  });
});

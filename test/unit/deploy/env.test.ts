// The environment our services get in compose and in Kubernetes: only names the code reads
// (config/schema.ts plus what it reads directly), every production secret from .env or a
// Secret and never a literal, and the whole environment accepted by loadConfig itself.
import { expect } from 'chai';
import { loadConfig } from '../../../config';
import {
  APP_IMAGE,
  COMPOSE_DIR,
  K8S_DIR,
  WORKLOAD_KINDS,
  compose,
  composeEnv,
  composeServices,
  composeVars,
  containers,
  dig,
  dummySecret,
  interpolate,
  isAppService,
  isObj,
  k8sResources,
  knownEnvNames,
  obj,
  podSpec,
  productionSecrets,
  read,
  str,
} from './support';
import type { K8sResource, Obj } from './support';

const known = knownEnvNames();
const secrets = productionSecrets();

/** Our containers in the Kubernetes manifests, with their workload. */
function appContainers(): { r: K8sResource; c: Obj }[] {
  return k8sResources()
    .filter((r) => WORKLOAD_KINDS.includes(r.kind))
    .flatMap((r) =>
      containers(podSpec(r))
        .filter((c) => c.image === APP_IMAGE)
        .map((c) => ({ r, c })),
    );
}
const configMap = (name: string): Obj =>
  obj(k8sResources().find((r) => r.kind === 'ConfigMap' && r.name === name)?.doc.data, `ConfigMap ${name}`);

/** A container's environment as loadConfig would see it (ConfigMaps, values, test secrets). */
function k8sEnv(c: Obj, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of (c.envFrom as unknown[] | undefined) ?? []) {
    const cm = dig(from, 'configMapRef', 'name');
    if (typeof cm === 'string') for (const [k, v] of Object.entries(configMap(cm))) env[k] = String(v);
  }
  for (const e of (c.env as unknown[] | undefined) ?? []) {
    const name = str(dig(e, 'name'), 'env name');
    const value = dig(e, 'value');
    const secretKey = dig(e, 'valueFrom', 'secretKeyRef', 'key');
    const field = dig(e, 'valueFrom', 'fieldRef', 'fieldPath');
    if (typeof value === 'string') env[name] = value;
    else if (secretKey === 'uri')
      env[name] = 'postgresql://freshchain:pw0123456789@freshchain-timescaledb-rw.freshchain:5432/freshchain';
    else if (typeof secretKey === 'string') env[name] = dummySecret(secretKey);
    else if (field === 'metadata.name') env[name] = podName;
    else throw new Error(`${name}: unsupported env source ${JSON.stringify(e)}`);
  }
  return env;
}

describe('deploy environment: names, secrets, and what loadConfig makes of it', () => {
  it('knows the schema, and the services read no variable around it (grep of process.env)', () => {
    expect(known.schema.size).to.be.greaterThan(20);
    const extra = [...known.direct.entries()]
      .filter(([n]) => !known.schema.has(n))
      .map(([n, file]) => `${n} (${file})`);
    expect(extra, 'names read outside config/schema.ts').to.deep.equal([]);
  });

  it('the production secrets come from config/index.ts and include the documented ones', () => {
    expect(secrets).to.include.members([
      'DATABASE_URL',
      'MQTT_PASSWORD',
      'MQTT_DEVICE_PASSWORD',
      'MQTT_OPS_PASSWORD',
      'API_TOKEN_SECRET',
      'PII_ENCRYPTION_KEY',
    ]);
  });

  describe('compose', () => {
    const services = Object.entries(composeServices()).filter(([, s]) => isAppService(s));

    it('has our four processes', () => {
      expect(services.map(([n]) => n)).to.include.members(['migrate', 'worker', 'api', 'ingest-1', 'ingest-2']);
    });

    for (const [name, s] of services) {
      describe(name, () => {
        const env = composeEnv(s);

        it('receives only variables the code reads', () => {
          for (const k of Object.keys(env))
            expect(known.all.has(k), `${name}: ${k} is read by no service code`).to.equal(true);
        });

        it('receives every production secret, each from .env (a required ${VAR:?}) and never as a literal', () => {
          for (const secret of secrets) {
            const raw = env[secret];
            expect(raw, `${name}: ${secret}`).to.be.a('string');
            const vars = composeVars(raw!);
            for (const v of vars) expect(v.op, `${name}: ${secret} uses ${v.raw}, a default`).to.be.oneOf([':?', '?']);
            if (secret === 'DATABASE_URL') {
              // The URL's password part is exactly one required variable.
              const marker = 'PASSWORD-FROM-ENV';
              const url = new URL(raw!.replace(/\$\{[^}]+\}/g, marker));
              expect(url.password, `${name}: DATABASE_URL password`).to.equal(marker);
              expect(vars.length).to.equal(1);
            } else {
              expect(vars.length, `${name}: ${secret}`).to.equal(1);
              expect(raw, `${name}: ${secret} must be the variable alone`).to.equal(vars[0]!.raw);
            }
          }
        });

        it('is a valid production configuration for loadConfig', () => {
          const dotenv: Record<string, string> = {};
          // .env holds the required variables; the optional ones keep compose's defaults.
          for (const v of Object.values(env).flatMap(composeVars))
            if (v.op === ':?' || v.op === '?') dotenv[v.name] = dummySecret(v.name);
          const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, dotenv)]));
          const cfg = loadConfig(resolved);
          expect(cfg.profile).to.equal('production');
          expect(cfg.demo).to.equal(false);
          expect(cfg.db.connectionString).to.match(/^postgres:\/\/freshchain:[^@]+@timescaledb:5432\/freshchain$/);
          expect(cfg.temporal.address).to.equal('temporal:7233');
          expect(cfg.mqtt.url).to.equal('mqtt://mosquitto:1883');
        });
      });
    }

    it('.env.example lists every variable compose interpolates for a secret, with no value', () => {
      const example = read(`${COMPOSE_DIR}/.env.example`);
      const lines = new Map(
        example
          .split('\n')
          .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
          .map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)]),
      );
      const strings: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') strings.push(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (isObj(v)) Object.values(v).forEach(walk);
      };
      walk(compose());
      const required = new Set(
        strings
          .flatMap(composeVars)
          .filter((v) => v.op === ':?' || v.op === '?')
          .map((v) => v.name),
      );
      expect(required.size).to.be.greaterThan(8);
      for (const name of required) {
        expect(lines.has(name), `.env.example: ${name}`).to.equal(true);
        expect(lines.get(name), `.env.example must not hold a value for ${name}`).to.equal('');
      }
    });

    it('.env itself is git-ignored', () => {
      expect(
        read('.gitignore')
          .split('\n')
          .map((l) => l.trim()),
      ).to.include('.env');
    });
  });

  describe('Kubernetes', () => {
    const ours = appContainers();

    it('runs our image in the migrate Job, the workers, the API and the ingesters', () => {
      expect(ours.map(({ r }) => `${r.kind}/${r.name}`)).to.have.members([
        'Job/freshchain-migrate',
        'Deployment/freshchain-worker',
        'Deployment/freshchain-worker-forecasting',
        'Deployment/freshchain-api',
        'StatefulSet/freshchain-ingest',
      ]);
    });

    it('the ConfigMap holds only known, non-secret variables', () => {
      const data = configMap('freshchain-config');
      for (const k of Object.keys(data)) {
        expect(known.all.has(k), `ConfigMap: ${k} is read by no service code`).to.equal(true);
        expect(secrets, `ConfigMap must not carry the secret ${k}`).to.not.include(k);
      }
      expect(data.FRESHCHAIN_PROFILE).to.equal('production');
    });

    for (const { r, c } of ours) {
      describe(`${r.kind}/${r.name}`, () => {
        const envList = ((c.env as unknown[] | undefined) ?? []).map((e) => obj(e, 'env entry'));

        it('receives only variables the code reads', () => {
          for (const e of envList)
            expect(known.all.has(str(e.name, 'name')), `${r.name}: ${String(e.name)}`).to.equal(true);
        });

        it('receives every production secret from a Secret (secretKeyRef), never a value', () => {
          for (const secret of secrets) {
            const e = envList.find((x) => x.name === secret);
            expect(e, `${r.name}: ${secret}`).to.not.equal(undefined);
            expect(e!.value, `${r.name}: ${secret} has a literal value`).to.equal(undefined);
            expect(dig(e, 'valueFrom', 'secretKeyRef', 'name'), `${r.name}: ${secret}`).to.be.a('string');
          }
        });

        it('is a valid production configuration for loadConfig', () => {
          const cfg = loadConfig(k8sEnv(c, `${r.name}-0`));
          expect(cfg.profile).to.equal('production');
          expect(cfg.temporal.address).to.match(/^temporal-frontend\.temporal\.svc/);
        });
      });
    }

    it('no Secret with data lives in the manifests', () => {
      for (const r of k8sResources().filter((x) => x.kind === 'Secret')) {
        expect(r.doc.data ?? r.doc.stringData, `Secret/${r.name}`).to.equal(undefined);
      }
    });

    it('every key read from freshchain-secrets is listed, without a value, in secrets.example.env', () => {
      const example = read(`${K8S_DIR}/secrets.example.env`);
      const keys = new Map(
        example
          .split('\n')
          .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
          .map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)]),
      );
      const referenced = new Set<string>();
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (isObj(v)) {
          if (isObj(v.secretKeyRef) && v.secretKeyRef.name === 'freshchain-secrets')
            referenced.add(str(v.secretKeyRef.key, 'key'));
          Object.values(v).forEach(walk);
        }
      };
      k8sResources().forEach((r) => walk(r.doc));
      expect(referenced.size).to.be.greaterThan(5);
      for (const k of referenced) {
        expect(keys.has(k), `secrets.example.env: ${k}`).to.equal(true);
        expect(keys.get(k), `secrets.example.env must not hold a value for ${k}`).to.equal('');
      }
    });
  });
});

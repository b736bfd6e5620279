// deploy/k8s as a system: probes and resources on every long-running container, autoscaling
// (KEDA on the task queue for workers, CPU for the API), stable client ids for ingesters,
// disruption budgets, the broker's accounts and ACL, and Temporal's values.
import vm from 'node:vm';
import { expect } from 'chai';
import {
  APP_IMAGE,
  K8S_DIR,
  WORKLOAD_KINDS,
  arr,
  compiledEntry,
  containers,
  dig,
  isObj,
  k8sResources,
  obj,
  podLabels,
  podSpec,
  read,
  searchAttributes,
  str,
  workerProbeFromCompose,
  yamlDoc,
} from './support';
import type { K8sResource, Obj } from './support';

const resources = k8sResources();
const find = (kind: string, name: string): K8sResource => {
  const r = resources.find((x) => x.kind === kind && x.name === name);
  if (!r) throw new Error(`${kind}/${name} is not in the kustomization`);
  return r;
};
const longRunning = resources.filter((r) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(r.kind));
const config = obj(find('ConfigMap', 'freshchain-config').doc.data, 'freshchain-config');
const values = obj(yamlDoc(`${K8S_DIR}/temporal-values.yaml`), 'temporal-values');

/** Does a label selector select these labels? */
const selects = (selector: unknown, labels: Obj): boolean => {
  const match = obj(dig(selector, 'matchLabels'), 'matchLabels');
  return Object.entries(match).every(([k, v]) => labels[k] === v);
};
const hasResources = (c: Obj, what: string): void => {
  for (const side of ['requests', 'limits']) {
    for (const res of ['cpu', 'memory'])
      expect(dig(c, 'resources', side, res), `${what}: resources.${side}.${res}`).to.not.equal(undefined);
  }
};

describe('deploy/k8s', () => {
  it('has the workloads of the design', () => {
    expect(resources.map((r) => `${r.kind}/${r.name}`)).to.include.members([
      'Deployment/freshchain-worker',
      'Deployment/freshchain-worker-forecasting',
      'ScaledObject/freshchain-worker-forecasting',
      'Deployment/freshchain-api',
      'StatefulSet/freshchain-ingest',
      'Job/freshchain-migrate',
      'StatefulSet/freshchain-emqx',
      'Cluster/freshchain-timescaledb',
      'ScaledObject/freshchain-worker',
      'HorizontalPodAutoscaler/freshchain-api',
    ]);
  });

  for (const r of longRunning) {
    it(`${r.kind}/${r.name}: every container has readiness and liveness probes, requests and limits`, () => {
      const spec = podSpec(r);
      for (const c of containers(spec)) {
        const what = `${r.name}/${String(c.name)}`;
        expect(c.readinessProbe, `${what}: readinessProbe`).to.satisfy(isObj);
        expect(c.livenessProbe, `${what}: livenessProbe`).to.satisfy(isObj);
        hasResources(c, what);
        // Named probe ports must be declared ports.
        const ports = ((c.ports as unknown[] | undefined) ?? []).map((p) => dig(p, 'name'));
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const port = dig(c, probe, 'httpGet', 'port');
          if (typeof port === 'string') expect(ports, `${what}: ${probe} port`).to.include(port);
        }
      }
      for (const c of containers(spec, 'initContainers')) hasResources(c, `${r.name}/${String(c.name)} (init)`);
    });
  }

  it('Jobs set requests and limits too', () => {
    for (const r of resources.filter((x) => x.kind === 'Job'))
      for (const c of containers(podSpec(r))) hasResources(c, r.name);
  });

  it('our containers run as non-root with a read-only root filesystem and the compiled entry points of the npm scripts', () => {
    const entries: Record<string, string> = {
      'freshchain-migrate': compiledEntry('migrate'),
      'freshchain-worker': compiledEntry('worker'),
      'freshchain-worker-forecasting': compiledEntry('worker'),
      'freshchain-api': compiledEntry('api'),
      'freshchain-ingest': compiledEntry('ingest'),
    };
    for (const r of resources.filter((x) => WORKLOAD_KINDS.includes(x.kind))) {
      const spec = podSpec(r);
      for (const c of containers(spec).filter((x) => x.image === APP_IMAGE)) {
        expect(c.args, r.name).to.deep.equal([entries[r.name]]);
        expect(dig(spec, 'securityContext', 'runAsNonRoot'), r.name).to.equal(true);
        expect(dig(spec, 'securityContext', 'runAsUser'), r.name)
          .to.be.a('number')
          .and.not.equal(0);
        expect(dig(c, 'securityContext', 'readOnlyRootFilesystem'), r.name).to.equal(true);
        expect(dig(c, 'securityContext', 'allowPrivilegeEscalation'), r.name).to.equal(false);
        // Scratch space: the root filesystem is read-only, /tmp must be a writable volume.
        const mounts = ((c.volumeMounts as unknown[] | undefined) ?? []).map((m) => dig(m, 'mountPath'));
        expect(mounts, r.name).to.include('/tmp');
        // Our database clients carry the label the TimescaleDB NetworkPolicy admits.
        expect(podLabels(r)['freshchain.io/database-client'], r.name).to.equal('true');
      }
    }
  });

  const prefix = String(config.TEMPORAL_TASK_QUEUE_PREFIX);
  for (const [name, areas] of [
    ['freshchain-worker', ['orders', 'coldchain']],
    ['freshchain-worker-forecasting', ['forecasting']],
  ] as const) {
    it(`${name}: serves ${areas.join(', ')}; probes run the compose health-check script; KEDA scales it on those queues`, () => {
      const worker = find('Deployment', name);
      const c = containers(podSpec(worker))[0]!;
      const env = arr(c.env, `${name} env`).find((e) => dig(e, 'name') === 'WORKER_AREAS');
      expect(dig(env, 'value'), `${name}: WORKER_AREAS`).to.equal(areas.join(','));
      const script = workerProbeFromCompose();
      expect(() => new vm.Script(script)).to.not.throw();
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(dig(c, probe, 'exec', 'command'), probe).to.deep.equal(['node', '-e', script]);
      }
      expect(dig(worker.doc, 'spec', 'replicas'), 'replicas belong to the autoscaler').to.equal(undefined);

      const so = find('ScaledObject', name);
      expect(dig(so.doc, 'spec', 'scaleTargetRef', 'name')).to.equal(name);
      expect(dig(so.doc, 'spec', 'minReplicaCount')).to.be.at.least(1);
      const triggers = arr(dig(so.doc, 'spec', 'triggers'), 'triggers').filter((t) => dig(t, 'type') === 'temporal');
      expect(triggers.map((t) => dig(t, 'metadata', 'taskQueue'))).to.deep.equal(areas.map((a) => `${prefix}-${a}`));
      for (const t of triggers) {
        const md = obj(dig(t, 'metadata'), 'temporal trigger metadata');
        expect(md.endpoint).to.equal(config.TEMPORAL_ADDRESS);
        expect(md.namespace).to.equal(config.TEMPORAL_NAMESPACE);
        expect(Number(md.targetQueueSize)).to.be.greaterThan(0);
      }
      // KEDA owns the worker's HPA: no second one.
      expect(
        resources.filter(
          (r) => r.kind === 'HorizontalPodAutoscaler' && dig(r.doc, 'spec', 'scaleTargetRef', 'name') === name,
        ),
      ).to.have.length(0);
    });
  }

  it('every area has workers: the worker Deployments together serve every task queue', () => {
    const served = resources
      .filter((r) => r.kind === 'Deployment' && r.name.startsWith('freshchain-worker'))
      .flatMap((r) =>
        String(
          dig(
            arr(containers(podSpec(r))[0]!.env, 'env').find((e) => dig(e, 'name') === 'WORKER_AREAS'),
            'value',
          ),
        ).split(','),
      );
    expect(served.sort()).to.deep.equal(['coldchain', 'forecasting', 'orders']);
  });

  it('the API: ready on /healthz, scaled on CPU', () => {
    const api = find('Deployment', 'freshchain-api');
    const c = containers(podSpec(api))[0]!;
    expect(dig(c, 'readinessProbe', 'httpGet', 'path')).to.equal('/healthz');
    expect(dig(c, 'startupProbe', 'httpGet', 'path')).to.equal('/healthz');
    expect(dig(c, 'livenessProbe', 'httpGet', 'path')).to.be.oneOf(['/healthz', '/metrics']);
    expect(dig(c, 'ports', 0, 'containerPort')).to.equal(Number(config.PORT));
    expect(dig(api.doc, 'spec', 'replicas'), 'replicas belong to the HPA').to.equal(undefined);
    const hpa = find('HorizontalPodAutoscaler', 'freshchain-api');
    expect(dig(hpa.doc, 'spec', 'scaleTargetRef')).to.deep.include({ kind: 'Deployment', name: 'freshchain-api' });
    expect(dig(hpa.doc, 'spec', 'minReplicas')).to.be.at.least(2);
    expect(dig(hpa.doc, 'spec', 'metrics', 0, 'resource', 'name')).to.equal('cpu');
  });

  it('the ingesters: a StatefulSet whose pod name is each INGEST_CLIENT_ID, metrics on INGEST_METRICS_PORT', () => {
    const ingest = find('StatefulSet', 'freshchain-ingest');
    const c = containers(podSpec(ingest))[0]!;
    const id = ((c.env as unknown[] | undefined) ?? []).find((e) => dig(e, 'name') === 'INGEST_CLIENT_ID');
    expect(dig(id, 'valueFrom', 'fieldRef', 'fieldPath')).to.equal('metadata.name');
    expect(Number(dig(ingest.doc, 'spec', 'replicas'))).to.be.at.least(2);
    const svc = find('Service', str(dig(ingest.doc, 'spec', 'serviceName'), 'serviceName'));
    expect(dig(svc.doc, 'spec', 'clusterIP')).to.equal('None');
    expect(dig(c, 'ports', 0, 'containerPort')).to.equal(Number(config.INGEST_METRICS_PORT));
    expect(
      resources.filter(
        (r) =>
          r.kind === 'HorizontalPodAutoscaler' && dig(r.doc, 'spec', 'scaleTargetRef', 'name') === 'freshchain-ingest',
      ),
    ).to.have.length(0);
  });

  it('PodDisruptionBudgets cover the API, the workers, the ingesters and the broker', () => {
    const pdbs = resources.filter((r) => r.kind === 'PodDisruptionBudget');
    for (const [kind, name] of [
      ['Deployment', 'freshchain-api'],
      ['Deployment', 'freshchain-worker'],
      ['Deployment', 'freshchain-worker-forecasting'],
      ['StatefulSet', 'freshchain-ingest'],
      ['StatefulSet', 'freshchain-emqx'],
    ] as const) {
      const labels = podLabels(find(kind, name));
      const covering = pdbs.filter((p) => selects(dig(p.doc, 'spec', 'selector'), labels));
      expect(covering, `${kind}/${name}`).to.have.length(1);
      const spec = obj(covering[0]!.doc.spec, 'pdb spec');
      expect(spec.minAvailable !== undefined || spec.maxUnavailable !== undefined, `${name}: PDB bound`).to.equal(true);
    }
  });

  it('every Service selects pods of some workload', () => {
    const pods = resources.filter((r) => ['Deployment', 'StatefulSet'].includes(r.kind)).map(podLabels);
    for (const svc of resources.filter((r) => r.kind === 'Service')) {
      const sel = obj(dig(svc.doc, 'spec', 'selector'), `${svc.name} selector`);
      expect(
        pods.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v)),
        `Service/${svc.name}`,
      ).to.equal(true);
    }
  });

  it('the MQTT URL names the EMQX Service; EMQX requires a login and its ACL grants our accounts', () => {
    expect(str(config.MQTT_URL, 'MQTT_URL')).to.equal('mqtt://freshchain-emqx:1883');
    find('Service', 'freshchain-emqx');
    const conf = read(`${K8S_DIR}/emqx/emqx.conf`);
    expect(conf)
      .to.match(/backend = built_in_database/)
      .and.match(/no_match = deny/)
      .and.match(/discovery_strategy = dns/);
    const acl = read(`${K8S_DIR}/emqx/acl.conf`);
    const emqxUsers = [...acl.matchAll(/\{username, "([^"]+)"\}/g)].map((m) => m[1]!).sort();
    const mosquittoUsers = [...read('deploy/mosquitto/acl').matchAll(/^user\s+(\S+)\s*$/gm)].map((m) => m[1]!).sort();
    expect(emqxUsers).to.deep.equal(mosquittoUsers);
    for (const k of ['MQTT_USERNAME', 'MQTT_DEVICE_USERNAME', 'MQTT_OPS_USERNAME'])
      expect(emqxUsers).to.include(config[k]);
    expect(
      acl
        .trim()
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('%%'))
        .pop(),
    ).to.equal('{deny, all}.');
    // The accounts file the init container writes has a line for each of them.
    const init = str(
      dig(containers(podSpec(find('StatefulSet', 'freshchain-emqx')), 'initContainers')[0], 'args', 0),
      'init script',
    );
    for (const u of mosquittoUsers) expect(init).to.contain(`${u},`);
  });

  it('Temporal: chart values on PostgreSQL, the password from a Secret, our namespace', () => {
    const persistence = obj(dig(values, 'server', 'config', 'persistence'), 'persistence');
    for (const store of ['default', 'visibility']) {
      const sql = obj(dig(persistence, 'datastores', store, 'sql'), `${store}.sql`);
      expect(sql.pluginName, store).to.match(/^postgres12/);
      expect(sql.password, `${store}: no literal password`).to.equal(undefined);
      expect(sql.existingSecret, store).to.be.a('string');
    }
    const ns = arr(dig(values, 'server', 'config', 'namespaces', 'namespace'), 'namespaces').map((n) => dig(n, 'name'));
    expect(ns).to.include(config.TEMPORAL_NAMESPACE);
    expect(str(config.TEMPORAL_ADDRESS, 'TEMPORAL_ADDRESS')).to.match(/^temporal-frontend\.temporal\.svc/);
  });

  it('Temporal: the release registers exactly deploy/temporal/search-attributes.txt, with the compose script', () => {
    const objects = arr(values.extraObjects, 'extraObjects').map((o) => obj(o, 'extra object'));
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(cm, 'ConfigMap').to.not.equal(undefined);
    expect(job, 'Job').to.not.equal(undefined);
    const data = obj(cm.data, 'ConfigMap data');
    expect(data['search-attributes.txt']).to.equal(read('deploy/temporal/search-attributes.txt'));
    expect(searchAttributes(str(data['search-attributes.txt'], 'list'))).to.deep.equal(
      searchAttributes(read('deploy/temporal/search-attributes.txt')),
    );
    expect(data['setup-namespace.sh']).to.equal(read('deploy/compose/temporal/setup-namespace.sh'));
    const c = obj(dig(job, 'spec', 'template', 'spec', 'containers', 0), 'job container');
    const env = Object.fromEntries(arr(c.env, 'env').map((e) => [dig(e, 'name'), dig(e, 'value')]));
    expect(env.TEMPORAL_NAMESPACE).to.equal(config.TEMPORAL_NAMESPACE);
    expect(env.TEMPORAL_ADDRESS).to.equal(config.TEMPORAL_ADDRESS);
    expect(dig(job, 'metadata', 'annotations', 'helm.sh/hook')).to.contain('post-install');
  });

  it('TimescaleDB: three CloudNativePG instances with a synchronous replica; DATABASE_URL is its app Secret', () => {
    const db = find('Cluster', 'freshchain-timescaledb');
    expect(dig(db.doc, 'spec', 'instances')).to.be.at.least(3);
    expect(dig(db.doc, 'spec', 'postgresql', 'shared_preload_libraries')).to.include('timescaledb');
    expect(dig(db.doc, 'spec', 'postgresql', 'synchronous', 'number')).to.be.at.least(1);
    const owner = dig(db.doc, 'spec', 'bootstrap', 'initdb', 'owner');
    for (const r of resources.filter((x) => WORKLOAD_KINDS.includes(x.kind))) {
      for (const c of containers(podSpec(r)).filter((x) => x.image === APP_IMAGE)) {
        const url = ((c.env as unknown[] | undefined) ?? []).find((e) => dig(e, 'name') === 'DATABASE_URL');
        expect(dig(url, 'valueFrom', 'secretKeyRef'), r.name).to.deep.equal({ name: `${db.name}-app`, key: 'uri' });
      }
    }
    expect(owner).to.equal('freshchain');
  });
});

// TLS for devices in every deployment we ship: the local stack generates (or takes) a certificate
// and runs a TLS listener while its plain listener stays on loopback; compose publishes only the
// TLS port; Kubernetes enables EMQX's TLS listener with a certificate from a Secret and exposes
// nothing but it beyond the namespace.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  COMPOSE_DIR,
  K8S_DIR,
  ROOT,
  arr,
  composeServices,
  containers,
  dig,
  interpolate,
  k8sResources,
  obj,
  podSpec,
  read,
  str,
  yamlDocs,
} from './support';
import type { K8sResource, Obj } from './support';

/** Run deploy/mosquitto.sh with its own FRESHCHAIN_HOME; no broker is started by these commands. */
function mosquittoSh(
  home: string,
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FRESHCHAIN_MQTT_|MQTT_)/.test(k)));
  const r = spawnSync('bash', ['deploy/mosquitto.sh', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...clean, FRESHCHAIN_HOME: home, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const cert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));
/** Mosquitto listener blocks: each `listener PORT [BIND]` line with the lines up to the next one. */
function listeners(conf: string): { port: string; bind?: string; body: string }[] {
  const out: { port: string; bind?: string; body: string }[] = [];
  for (const line of conf.split('\n')) {
    const m = /^listener (\S+)(?: (\S+))?$/.exec(line);
    if (m) out.push({ port: m[1]!, ...(m[2] ? { bind: m[2] } : {}), body: '' });
    else if (out.length) out[out.length - 1]!.body += `${line}\n`;
  }
  return out;
}

describe('deploy: TLS for devices, local stack (deploy/mosquitto.sh)', () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'fc-tls-'))));
  afterEach(() => {
    mosquittoSh(home, ['down']); // never leave a broker behind, should a refusal regress
    rmSync(home, { recursive: true, force: true });
  });

  it('generates a private CA and a server certificate for localhost, 127.0.0.1 and ::1, once', () => {
    const r = mosquittoSh(home, ['ca-file']);
    expect(r.status, r.stderr).to.equal(0);
    const caFile = r.stdout.trim();
    expect(caFile).to.equal(join(home, 'state/mosquitto/tls/ca.crt'));
    const ca = cert(caFile);
    const server = cert(join(home, 'state/mosquitto/tls/local/server.crt'));
    expect(ca.ca).to.equal(true);
    expect(server.ca).to.equal(false);
    expect(server.verify(ca.publicKey), 'signed by the CA').to.equal(true);
    expect(server.checkHost('localhost')).to.equal('localhost');
    expect(server.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(server.checkIP('::1')).to.not.equal(undefined);
    expect(server.checkHost('example.com')).to.equal(undefined);
    expect(new Date(server.validTo).getTime()).to.be.greaterThan(Date.now() + 300 * 86_400_000);
    // The private keys stay private.
    const mode = spawnSync(
      'stat',
      ['-c', '%a', join(home, 'state/mosquitto/tls/local/ca.key'), join(home, 'state/mosquitto/tls/local/server.key')],
      { encoding: 'utf8' },
    ).stdout.split('\n');
    expect(mode.slice(0, 2)).to.deep.equal(['600', '600']);
    // A second run keeps both.
    expect(mosquittoSh(home, ['ca-file']).status).to.equal(0);
    expect(cert(caFile).fingerprint256).to.equal(ca.fingerprint256);
    expect(cert(join(home, 'state/mosquitto/tls/local/server.crt')).fingerprint256).to.equal(server.fingerprint256);
  });

  it('re-issues the server certificate for FRESHCHAIN_MQTT_TLS_HOSTS under the same CA, and refuses a bad name', () => {
    expect(mosquittoSh(home, ['ca-file']).status).to.equal(0);
    const ca = cert(join(home, 'state/mosquitto/tls/ca.crt'));
    const r = mosquittoSh(home, ['ca-file'], { FRESHCHAIN_MQTT_TLS_HOSTS: 'mqtt.example.com, 192.0.2.10' });
    expect(r.status, r.stderr).to.equal(0);
    const server = cert(join(home, 'state/mosquitto/tls/local/server.crt'));
    expect(server.checkHost('mqtt.example.com')).to.equal('mqtt.example.com');
    expect(server.checkIP('192.0.2.10')).to.equal('192.0.2.10');
    expect(server.checkHost('localhost')).to.equal('localhost');
    expect(server.verify(ca.publicKey)).to.equal(true);
    const bad = mosquittoSh(home, ['ca-file'], { FRESHCHAIN_MQTT_TLS_HOSTS: 'bad host;rm' });
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.contain('FRESHCHAIN_MQTT_TLS_HOSTS');
  });

  it("takes the operator's certificate (all three files or none) and publishes its CA for clients", () => {
    expect(mosquittoSh(home, ['ca-file']).status).to.equal(0);
    // Stand-in for an operator's files: another home's generated ones.
    const other = mkdtempSync(join(tmpdir(), 'fc-tls-op-'));
    try {
      expect(mosquittoSh(other, ['ca-file']).status).to.equal(0);
      const d = join(other, 'state/mosquitto/tls/local');
      const env = {
        FRESHCHAIN_MQTT_TLS_CERT: join(d, 'server.crt'),
        FRESHCHAIN_MQTT_TLS_KEY: join(d, 'server.key'),
        FRESHCHAIN_MQTT_TLS_CA: join(d, 'ca.crt'),
      };
      const r = mosquittoSh(home, ['print-config'], env);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout)
        .to.contain(`certfile ${env.FRESHCHAIN_MQTT_TLS_CERT}\n`)
        .and.contain(`keyfile ${env.FRESHCHAIN_MQTT_TLS_KEY}\n`);
      expect(readFileSync(join(home, 'state/mosquitto/tls/ca.crt'), 'utf8')).to.equal(
        readFileSync(env.FRESHCHAIN_MQTT_TLS_CA, 'utf8'),
      );
      const partial = mosquittoSh(home, ['print-config'], { FRESHCHAIN_MQTT_TLS_CERT: env.FRESHCHAIN_MQTT_TLS_CERT });
      expect(partial.status).to.not.equal(0);
      expect(partial.stderr).to.contain('FRESHCHAIN_MQTT_TLS_KEY');
      // A certificate the named CA did not sign is refused.
      const mismatched = mosquittoSh(home, ['print-config'], {
        ...env,
        FRESHCHAIN_MQTT_TLS_CA: join(home, 'state/mosquitto/tls/local/ca.crt'),
      });
      expect(mismatched.status).to.not.equal(0);
      expect(mismatched.stderr).to.contain('not signed by FRESHCHAIN_MQTT_TLS_CA');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('writes a plain listener on 127.0.0.1 only and a TLS listener with the certificate; keeps the packet limit', () => {
    const r = mosquittoSh(home, ['print-config'], { FRESHCHAIN_MQTT_PORT: '1883', FRESHCHAIN_MQTT_TLS_PORT: '8883' });
    expect(r.status, r.stderr).to.equal(0);
    const ls = listeners(r.stdout);
    expect(ls.map((l) => [l.port, l.bind])).to.deep.equal([
      ['1883', '127.0.0.1'],
      ['8883', '127.0.0.1'],
    ]);
    expect(ls[0]!.body).to.not.match(/^(certfile|keyfile)/m);
    expect(ls[1]!.body)
      .to.match(/^certfile \/\S+server\.crt$/m)
      .and.match(/^keyfile \/\S+server\.key$/m)
      .and.match(/^tls_version tlsv1\.2$/m);
    expect(r.stdout)
      .to.match(/^max_packet_size \d+$/m)
      .and.match(/^allow_anonymous false$/m);
    // Opened to the network on request; the plain listener stays where it was.
    const open = mosquittoSh(home, ['print-config'], { FRESHCHAIN_MQTT_TLS_BIND: '0.0.0.0' });
    expect(listeners(open.stdout).map((l) => l.bind)).to.deep.equal(['127.0.0.1', '0.0.0.0']);
  });

  it('refuses to open the TLS listener beyond loopback while an account has its development password', () => {
    const r = mosquittoSh(home, ['up'], {
      FRESHCHAIN_MQTT_TLS_BIND: '0.0.0.0',
      FRESHCHAIN_MQTT_PORT: '1',
      FRESHCHAIN_MQTT_TLS_PORT: '2',
    });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.match(/FRESHCHAIN_MQTT_TLS_BIND=0\.0\.0\.0 .*MQTT_INGEST_PASSWORD/);
  });
});

describe('deploy: TLS for devices, docker compose', () => {
  const services = composeServices();
  const conf = read(`${COMPOSE_DIR}/mosquitto/mosquitto.conf`);

  it('publishes the TLS port and never the plain one', () => {
    const ports = arr(services.mosquitto!.ports, 'mosquitto.ports').map((p) => interpolate(String(p), {}));
    expect(ports.some((p) => p.endsWith(':8883:8883'))).to.equal(true);
    for (const [name, s] of Object.entries(services)) {
      const published =
        s.ports === undefined ? [] : arr(s.ports, `${name}.ports`).map((p) => interpolate(String(p), {}));
      for (const p of published) expect(p, `${name} publishes plain MQTT`).to.not.match(/:1883$/);
    }
  });

  it('the broker runs a TLS listener with the certificate files, and its plain listener for the compose network', () => {
    const ls = listeners(conf);
    const tls = ls.find((l) => l.port === '8883');
    expect(tls, 'listener 8883').to.not.equal(undefined);
    expect(tls!.body)
      .to.match(/^certfile (\S+)$/m)
      .and.match(/^keyfile (\S+)$/m)
      .and.match(/^cafile (\S+)$/m);
    expect(ls.find((l) => l.port === '1883')?.body ?? '').to.not.match(/^certfile/m);
    expect(conf).to.match(/^max_packet_size 270336$/m);
  });

  it("the certificate comes from the operator's directory or is generated once by a one-shot, before the broker starts", () => {
    const init = services['mosquitto-tls'];
    expect(init, 'mosquitto-tls one-shot').to.not.equal(undefined);
    expect(dig(services.mosquitto, 'depends_on', 'mosquitto-tls', 'condition')).to.equal(
      'service_completed_successfully',
    );
    const script = read(`${COMPOSE_DIR}/mosquitto/tls-init.sh`);
    expect(script)
      .to.contain('openssl')
      .and.contain('tls.crt')
      .and.contain('tls.key')
      .and.contain('ca.crt')
      .and.contain('MQTT_TLS_HOSTS');
    // The files the broker reads are where the one-shot writes them, in one volume.
    const volumeOf = (svc: Obj, target: string): string | undefined =>
      arr(svc.volumes, 'volumes')
        .map(String)
        .find((v) => v.split(':')[1] === target)
        ?.split(':')[0];
    const tlsTarget = /^certfile (\S+)\/tls\.crt$/m.exec(conf)![1]!;
    const start = read(`${COMPOSE_DIR}/mosquitto/start.sh`);
    expect(start, 'start.sh installs the certificate for the mosquitto user').to.contain(tlsTarget);
    const brokerSource = volumeOf(services.mosquitto!, '/freshchain/tls');
    expect(brokerSource, 'the broker mounts the TLS volume at /freshchain/tls').to.not.equal(undefined);
    expect(volumeOf(init!, '/tls')).to.equal(brokerSource);
    expect(
      arr(init!.volumes, 'mosquitto-tls volumes')
        .map(String)
        .some((v) => /^\$\{MQTT_TLS_DIR:-[^}]+\}:\/provided:ro$/.test(v)),
    ).to.equal(true);
  });

  it('the health check logs in over TLS, verifying the chain', () => {
    const test = arr(dig(services.mosquitto, 'healthcheck', 'test'), 'healthcheck').join(' ');
    expect(test).to.contain('-p 8883').and.contain('--cafile');
  });
});

describe('deploy: TLS for devices, Kubernetes (EMQX)', () => {
  const resources = k8sResources();
  const find = (kind: string, name: string): K8sResource => {
    const r = resources.find((x) => x.kind === kind && x.name === name);
    if (!r) throw new Error(`${kind}/${name} is not in the kustomization`);
    return r;
  };
  const emqxConf = read(`${K8S_DIR}/emqx/emqx.conf`);
  const sts = find('StatefulSet', 'freshchain-emqx');

  it('enables the SSL listener on 8883 with tls.crt / tls.key / ca.crt from the mounted Secret', () => {
    expect(emqxConf).to.not.match(/listeners\.ssl\.default\.enable\s*=\s*false/);
    const block = /listeners\.ssl\.default\s*\{([\s\S]*?)\n\}/.exec(emqxConf)?.[1] ?? '';
    expect(block).to.match(/bind\s*=\s*"0\.0\.0\.0:8883"/);
    const dir = /certfile\s*=\s*"([^"]+)\/tls\.crt"/.exec(block)?.[1];
    expect(dir, 'certfile').to.not.equal(undefined);
    expect(block).to.contain(`keyfile = "${dir}/tls.key"`).and.contain(`cacertfile = "${dir}/ca.crt"`);
    expect(block).to.match(/verify\s*=\s*verify_none/);
    const mount = arr(dig(containers(podSpec(sts))[0], 'volumeMounts'), 'mounts')
      .map((m) => obj(m, 'mount'))
      .find((m) => m.mountPath === dir);
    expect(mount, `a volume mounted at ${dir}`).to.not.equal(undefined);
    const volume = arr(podSpec(sts).volumes, 'volumes')
      .map((v) => obj(v, 'volume'))
      .find((v) => v.name === mount!.name);
    expect(str(dig(volume, 'secret', 'secretName'), 'secretName')).to.equal('freshchain-emqx-tls');
  });

  it("the cert-manager Certificate example fills that Secret with a server certificate for the devices' name", () => {
    const docs = yamlDocs(`${K8S_DIR}/emqx-certificate.example.yaml`).map((d) => obj(d, 'doc'));
    const cert = docs.find((d) => d.kind === 'Certificate' && dig(d, 'spec', 'secretName') === 'freshchain-emqx-tls');
    expect(cert, 'a Certificate for the Secret freshchain-emqx-tls').to.not.equal(undefined);
    expect(str(cert!.apiVersion, 'apiVersion')).to.equal('cert-manager.io/v1');
    expect(dig(cert, 'spec', 'isCA') ?? false).to.equal(false);
    // Its issuer is defined there too (a CA issuer gives ca.crt in the Secret).
    const issuer = str(dig(cert, 'spec', 'issuerRef', 'name'), 'issuerRef.name');
    expect(
      docs.some(
        (d) => d.kind === 'Issuer' && dig(d, 'metadata', 'name') === issuer && dig(d, 'spec', 'ca') !== undefined,
      ),
    ).to.equal(true);
    expect(arr(dig(cert, 'spec', 'usages'), 'usages')).to.include('server auth');
    expect(arr(dig(cert, 'spec', 'dnsNames'), 'dnsNames').length).to.be.greaterThan(0);
  });

  it('exposes only 8883 outside the cluster; 1883 stays a ClusterIP port', () => {
    const services = resources.filter((r) => r.kind === 'Service');
    for (const s of services) {
      const type = (dig(s.doc, 'spec', 'type') as string | undefined) ?? 'ClusterIP';
      const ports = arr(dig(s.doc, 'spec', 'ports'), `${s.name} ports`).map((p) => Number(dig(p, 'port')));
      if (type !== 'ClusterIP') expect(ports, `${type} Service ${s.name}`).to.not.include(1883);
    }
    const devices = find('Service', 'freshchain-emqx-devices');
    expect(dig(devices.doc, 'spec', 'type')).to.equal('LoadBalancer');
    expect(arr(dig(devices.doc, 'spec', 'ports'), 'ports').map((p) => Number(dig(p, 'port')))).to.deep.equal([8883]);
  });

  it('the NetworkPolicy admits 8883 from anywhere and 1883 only from pods of the namespace', () => {
    const np = find('NetworkPolicy', 'freshchain-emqx');
    const rules = arr(dig(np.doc, 'spec', 'ingress'), 'ingress').map((r) => obj(r, 'rule'));
    const portsOf = (r: Obj): number[] => arr(r.ports, 'ports').map((p) => Number(dig(p, 'port')));
    for (const r of rules.filter((x) => portsOf(x).includes(1883))) {
      expect(r.from, 'a rule for 1883 names its sources').to.not.equal(undefined);
      for (const f of arr(r.from, 'from'))
        expect(Object.keys(obj(f, 'from')), "1883 from this namespace's pods").to.deep.equal(['podSelector']);
    }
    expect(rules.some((r) => r.from === undefined && portsOf(r).includes(8883))).to.equal(true);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { DEFAULT_PARSE_LIMITS, DEFAULT_TOPICS } from '../../domain/coldchain/telemetry';
import { connectMqtt, mqttTlsOptions } from '../../platform/mqtt';
import { requireMqtt, suiteTopics, testConfig, uniqueId } from '../support/stack';

const MOSQUITTO_SH = join(__dirname, '../../deploy/mosquitto.sh');

/** A TCP port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
  });
}

/** How a TCP connection to host:port ends: 'connected', or the error code (ECONNREFUSED, ...). */
function tcpOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: 2000 });
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve('ETIMEDOUT');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Connect a device over TLS; the error message when the broker or the certificate check refuses it. */
async function tlsDeviceConnect(url: string, extra: Parameters<typeof connectMqtt>[1]): Promise<MqttClient | string> {
  try {
    return await connectMqtt(url, { ...testConfig.mqtt.device, reconnectPeriod: 0, ...extra }, 5000);
  } catch (err) {
    return (err as Error).message;
  }
}

describe('Mosquitto broker (integration)', () => {
  const clients: MqttClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it('carries a QoS 1 message from a device account to the ingest account', async () => {
    const sub = await requireMqtt('ingest');
    const pub = await requireMqtt('device');
    clients.push(sub, pub);
    // In the default namespace and in the suite's: the ACL grants both.
    for (const topics of [DEFAULT_TOPICS, suiteTopics]) {
      const topic = topics.readingTopic(uniqueId('node'), 'asset', 'sensor');
      await sub.subscribeAsync(topic, { qos: 1 });
      const received = new Promise<string>((resolve) =>
        sub.on('message', (t, payload) => t === topic && resolve(payload.toString())),
      );
      await pub.publishAsync(topic, '{"v":1}', { qos: 1 });
      expect(await received, topic).to.equal('{"v":1}');
    }
  });

  it('carries a payload at the telemetry contract (256 KiB) and disconnects a sender of a larger packet', async () => {
    const sub = await requireMqtt('ingest');
    const pub = await requireMqtt('device');
    const offender = await requireMqtt('device', { reconnectPeriod: 0 });
    clients.push(sub, pub);
    const topic = suiteTopics.readingTopic(uniqueId('node'), 'asset', 'sensor');
    await sub.subscribeAsync(topic, { qos: 1 });
    const sizes: number[] = [];
    sub.on('message', (t, payload) => t === topic && sizes.push(payload.length));
    const limit = DEFAULT_PARSE_LIMITS.maxPayloadBytes;
    const closed = new Promise<void>((resolve) => offender.once('close', () => resolve()));
    offender.publish(topic, Buffer.alloc(limit + 16 * 1024, 0x20), { qos: 1 }, () => undefined);
    await closed;
    // Closed by the broker: end it at once, without waiting for the refused packet's PUBACK.
    offender.end(true);
    await pub.publishAsync(topic, Buffer.alloc(limit, 0x20), { qos: 1 });
    const deadline = Date.now() + 5000;
    while (!sizes.includes(limit) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sizes).to.deep.equal([limit]);
  });

  it('refuses a client without valid credentials', async () => {
    let error: Error | undefined;
    try {
      const c = await connectMqtt(
        testConfig.mqtt.url,
        { username: 'freshchain-ingest', password: 'wrong', reconnectPeriod: 0 },
        3000,
      );
      clients.push(c);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/not authori[sz]ed|Bad User Name or Password|refused/i);
  });

  it('does not deliver what a device publishes outside its ACL', async () => {
    const sub = await requireMqtt('ops');
    const pub = await requireMqtt('device');
    clients.push(sub, pub);
    const topic = `freshchain/ops/${uniqueId('x')}`;
    await sub.subscribeAsync(topic, { qos: 1 });
    let got = false;
    sub.on('message', (t) => {
      if (t === topic) got = true;
    });
    // Mosquitto accepts the publish and silently drops it when the ACL denies it.
    await pub.publishAsync(topic, 'nope', { qos: 1 }).catch(() => undefined);
    await sub.publishAsync(`${topic}/ctl`, 'marker', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).to.equal(false);
  });

  it('lets a per-device gateway account publish its own node only', async function () {
    if (process.env.MQTT_URL)
      throw new Error(
        'this test provisions a device on the local broker; unset MQTT_URL to run it against the local stack',
      );
    const node = uniqueId('gw');
    const password = execFileSync('bash', [join(__dirname, '../../deploy/mosquitto.sh'), 'add-device', node])
      .toString()
      .trim();
    const sub = await requireMqtt('ops');
    clients.push(sub);
    const got: string[] = [];
    await sub.subscribeAsync(`${suiteTopics.root}/telemetry/+/${node}-asset/#`, { qos: 1 });
    sub.on('message', (t) => {
      const address = suiteTopics.parseTopic(t);
      if (address.ok) got.push(address.address.nodeId);
    });
    // The broker reloads its password file on SIGHUP; retry the login briefly.
    let gw: MqttClient | undefined;
    for (let i = 0; i < 20 && !gw; i++) {
      gw = await connectMqtt(testConfig.mqtt.url, { username: node, password, reconnectPeriod: 0 }, 2000).catch(
        () => undefined,
      );
      if (!gw) await new Promise((r) => setTimeout(r, 200));
    }
    expect(gw, 'device account accepted').to.not.equal(undefined);
    clients.push(gw!);
    await gw!
      .publishAsync(suiteTopics.readingTopic('someone-else', `${node}-asset`, 's1'), 'x', { qos: 1 })
      .catch(() => undefined);
    await gw!.publishAsync(suiteTopics.readingTopic(node, `${node}-asset`, 's1'), 'y', { qos: 1 });
    await new Promise((r) => setTimeout(r, 400));
    expect(got).to.deep.equal([node]);
  });

  describe('TLS for devices', () => {
    const deviceUrl = testConfig.mqtt.deviceUrl;

    it("a device publishes over TLS, verifying the stack's CA, and the ingest account receives it", async () => {
      expect(deviceUrl).to.match(/^mqtts:\/\//);
      const sub = await requireMqtt('ingest');
      clients.push(sub);
      const pub = await tlsDeviceConnect(deviceUrl, mqttTlsOptions(deviceUrl, testConfig.mqtt.caFile));
      expect(pub, `TLS connection to ${deviceUrl}`).to.not.be.a('string');
      clients.push(pub as MqttClient);
      const topic = suiteTopics.readingTopic(uniqueId('node'), 'asset', 'sensor');
      await sub.subscribeAsync(topic, { qos: 1 });
      const received = new Promise<string>((resolve) =>
        sub.on('message', (t, payload) => t === topic && resolve(payload.toString())),
      );
      await (pub as MqttClient).publishAsync(topic, '{"v":1,"tls":true}', { qos: 1 });
      expect(await received).to.equal('{"v":1,"tls":true}');
    });

    it('refuses a client that does not trust the CA (the system roots only), and one that skips TLS on the TLS port', async () => {
      const untrusting = await tlsDeviceConnect(deviceUrl, { rejectUnauthorized: true });
      if (typeof untrusting !== 'string') clients.push(untrusting);
      expect(untrusting)
        .to.be.a('string')
        .and.match(/self[- ]signed|unable to (get|verify)|certificate/i);
      const plain = await tlsDeviceConnect(deviceUrl.replace(/^mqtts:/, 'mqtt:'), {});
      if (typeof plain !== 'string') clients.push(plain);
      expect(plain, 'plain MQTT on the TLS port').to.be.a('string');
    });

    it('refuses wrong credentials over TLS too', async () => {
      const c = await tlsDeviceConnect(deviceUrl, {
        ...mqttTlsOptions(deviceUrl, testConfig.mqtt.caFile),
        password: 'wrong',
      });
      if (typeof c !== 'string') clients.push(c);
      expect(c)
        .to.be.a('string')
        .and.match(/not authori[sz]ed|Bad User Name or Password|refused/i);
    });

    it('the plain port and the default TLS listener refuse a client on another host (a network namespace of its own)', async function () {
      this.timeout(30_000);
      if (process.env.MQTT_URL)
        throw new Error('this test checks the local broker; unset MQTT_URL to run it against the local stack');
      const plainPort = Number(new URL(testConfig.mqtt.url).port || 1883);
      const tlsPort = Number(new URL(testConfig.mqtt.deviceUrl).port || 8883);
      // A second "host": a network namespace joined to this one by a veth pair on a /30 of its
      // own; traffic never leaves the machine.
      const ns = `fc-mq-${process.pid}`;
      const [hostIf, nsIf] = [`fcm${process.pid % 100000}a`, `fcm${process.pid % 100000}b`];
      const [hostIp, nsIp] = ['10.231.77.1', '10.231.77.2'];
      const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
      const fromOtherHost = (port: number) =>
        spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${hostIp}/${port} && echo connected`], {
          encoding: 'utf8',
          timeout: 5000,
        });
      const probe = createServer((sock) => sock.destroy());
      try {
        ip('netns', 'add', ns);
        ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
        ip('link', 'set', nsIf, 'netns', ns);
        ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
        ip('link', 'set', hostIf, 'up');
        ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
        ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
        // The other host reaches this one: a listener on all addresses takes its connection.
        await new Promise<void>((resolve) => probe.listen(0, '0.0.0.0', resolve));
        const probePort = (probe.address() as { port: number }).port;
        expect(
          fromOtherHost(probePort).stdout.trim(),
          'a listener on every address is reachable from the other host',
        ).to.equal('connected');
        // The broker's plain and (by default) TLS listeners are on 127.0.0.1 only: refused.
        for (const port of [plainPort, tlsPort]) {
          const r = fromOtherHost(port);
          expect(r.stdout.trim(), `port ${port} from ${nsIp}`).to.equal('');
          expect(r.stderr, `port ${port} from ${nsIp}`).to.match(/Connection refused/);
        }
        expect(await tcpOutcome('127.0.0.1', plainPort)).to.equal('connected');
      } finally {
        probe.close();
        spawnSync('ip', ['link', 'del', hostIf]);
        spawnSync('ip', ['netns', 'del', ns]);
      }
    });

    it('`mosquitto.sh up` restarts a broker still running a configuration without TLS, then leaves it be', async function () {
      this.timeout(60_000);
      if (process.env.MQTT_URL) throw new Error('this test runs deploy/mosquitto.sh; unset MQTT_URL');
      const home = mkdtempSync(join(tmpdir(), 'fc-mq-upgrade-'));
      const [plainPort, tlsPort] = [await freePort(), await freePort()];
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FRESHCHAIN_MQTT_|MQTT_)/.test(k)));
      Object.assign(env, {
        FRESHCHAIN_HOME: home,
        FRESHCHAIN_MQTT_PORT: String(plainPort),
        FRESHCHAIN_MQTT_TLS_PORT: String(tlsPort),
      });
      const sh = (cmd: string) => spawnSync('bash', [MOSQUITTO_SH, cmd], { env, encoding: 'utf8' });
      const dir = join(home, 'state/mosquitto');
      try {
        // A broker as an earlier set-up left it: one plain listener, no certificate.
        spawnSync('mkdir', ['-p', join(dir, 'data')]);
        writeFileSync(join(dir, 'passwd'), '');
        expect(
          spawnSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), 'freshchain-device', 'device-dev']).status,
        ).to.equal(0);
        writeFileSync(
          join(dir, 'mosquitto.conf'),
          [
            'per_listener_settings false',
            `listener ${plainPort} 127.0.0.1`,
            'allow_anonymous false',
            `password_file ${dir}/passwd`,
            `pid_file ${dir}/mosquitto.pid`,
            `user ${execFileSync('id', ['-un']).toString().trim()}`,
            'log_dest none',
            '',
          ].join('\n'),
        );
        expect(spawnSync('mosquitto', ['-c', join(dir, 'mosquitto.conf'), '-d']).status).to.equal(0);
        for (let i = 0; i < 50 && (await tcpOutcome('127.0.0.1', plainPort)) !== 'connected'; i++)
          await new Promise((r) => setTimeout(r, 100));
        const oldPid = readFileSync(join(dir, 'mosquitto.pid'), 'utf8').trim();

        const up = sh('up');
        expect(up.status, up.stderr).to.equal(0);
        expect(up.stderr).to.contain('configuration changed; restarting');
        const newPid = readFileSync(join(dir, 'mosquitto.pid'), 'utf8').trim();
        expect(newPid).to.not.equal(oldPid);
        const url = `mqtts://localhost:${tlsPort}`;
        const device = await tlsDeviceConnect(url, mqttTlsOptions(url, join(dir, 'tls/ca.crt')));
        expect(device, 'TLS login on the restarted broker').to.not.be.a('string');
        await (device as MqttClient).endAsync();

        const again = sh('up');
        expect(again.status, again.stderr).to.equal(0);
        expect(again.stderr).to.contain('already up');
        expect(readFileSync(join(dir, 'mosquitto.pid'), 'utf8').trim()).to.equal(newPid);
      } finally {
        sh('down');
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
});

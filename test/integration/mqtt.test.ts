import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { DEFAULT_PARSE_LIMITS } from '../../domain/coldchain/telemetry';
import { connectMqtt } from '../../platform/mqtt';
import { requireMqtt, testConfig, uniqueId } from '../support/stack';

describe('Mosquitto broker (integration)', () => {
  const clients: MqttClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it('carries a QoS 1 message from a device account to the ingest account', async () => {
    const sub = await requireMqtt('ingest');
    const pub = await requireMqtt('device');
    clients.push(sub, pub);
    const topic = `freshchain/v1/telemetry/${uniqueId('node')}/asset/sensor`;
    await sub.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<string>((resolve) => sub.on('message', (t, payload) => t === topic && resolve(payload.toString())));
    await pub.publishAsync(topic, '{"v":1}', { qos: 1 });
    expect(await received).to.equal('{"v":1}');
  });

  it('carries a payload at the telemetry contract (256 KiB) and disconnects a sender of a larger packet', async () => {
    const sub = await requireMqtt('ingest');
    const pub = await requireMqtt('device');
    const offender = await requireMqtt('device', { reconnectPeriod: 0 });
    clients.push(sub, pub);
    const topic = `freshchain/v1/telemetry/${uniqueId('node')}/asset/sensor`;
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
      const c = await connectMqtt(testConfig.mqtt.url, { username: 'freshchain-ingest', password: 'wrong', reconnectPeriod: 0 }, 3000);
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
    if (process.env.MQTT_URL) throw new Error('this test provisions a device on the local broker; unset MQTT_URL to run it against the local stack');
    const node = uniqueId('gw');
    const password = execFileSync('bash', [join(__dirname, '../../deploy/mosquitto.sh'), 'add-device', node]).toString().trim();
    const sub = await requireMqtt('ops');
    clients.push(sub);
    const got: string[] = [];
    await sub.subscribeAsync(`freshchain/v1/telemetry/+/${node}-asset/#`, { qos: 1 });
    sub.on('message', (t) => got.push(t.split('/')[3]!));
    // The broker reloads its password file on SIGHUP; retry the login briefly.
    let gw: MqttClient | undefined;
    for (let i = 0; i < 20 && !gw; i++) {
      gw = await connectMqtt(testConfig.mqtt.url, { username: node, password, reconnectPeriod: 0 }, 2000).catch(() => undefined);
      if (!gw) await new Promise((r) => setTimeout(r, 200));
    }
    expect(gw, 'device account accepted').to.not.equal(undefined);
    clients.push(gw!);
    await gw!.publishAsync(`freshchain/v1/telemetry/someone-else/${node}-asset/s1`, 'x', { qos: 1 }).catch(() => undefined);
    await gw!.publishAsync(`freshchain/v1/telemetry/${node}/${node}-asset/s1`, 'y', { qos: 1 });
    await new Promise((r) => setTimeout(r, 400));
    expect(got).to.deep.equal([node]);
  });
});

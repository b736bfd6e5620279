import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
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
});

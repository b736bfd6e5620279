// Bench child: the reference consumer. A plain MQTT.js client, QoS 1, MQTT.js's default
// handling (PUBACK as soon as the message is parsed), no parsing, no database: what the broker
// and the client library can deliver on this machine.
import { connectMqtt } from '../../platform/mqtt';
import { serveParent } from './child';

async function main(): Promise<void> {
  const url = process.env.BENCH_MQTT_URL!;
  const filter = process.env.BENCH_FILTER!;
  const client = await connectMqtt(url, {
    username: process.env.BENCH_MQTT_USERNAME,
    password: process.env.BENCH_MQTT_PASSWORD,
    clean: true,
  });
  let received = 0;
  let bytes = 0;
  client.on('message', (_topic, payload) => {
    received++;
    bytes += payload.length;
  });
  await client.subscribeAsync(filter, { qos: 1 });
  // A clean session that drops loses what was sent meanwhile: the reference would never complete.
  let stopping = false;
  client.on('close', () => {
    if (!stopping) process.send?.({ type: 'error', message: 'the reference subscriber lost its broker connection' });
  });
  serveParent({
    handled: () => received,
    stats: async () => {
      const cpu = process.cpuUsage();
      return { stats: { received, bytes, cpu_s: (cpu.user + cpu.system) / 1e6 } };
    },
    stop: async () => {
      stopping = true;
      await client.endAsync();
    },
  });
  process.send?.({ type: 'ready' });
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message });
  process.exit(1);
});

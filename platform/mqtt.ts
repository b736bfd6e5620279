import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

/**
 * Connect an MQTT 5 client and wait for the first CONNACK (or fail after `timeoutMs`).
 * The client reconnects by itself afterwards.
 */
export function connectMqtt(url: string, options: IClientOptions, timeoutMs = 10_000): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: timeoutMs, ...options });
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`MQTT broker at ${url} did not accept a connection within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      client.end(true);
      reject(new Error(`MQTT broker at ${url}: ${err.message}`));
    });
  });
}

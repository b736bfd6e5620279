import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

/**
 * Connect an MQTT 5 client and wait for the first CONNACK (or fail after `timeoutMs`).
 * The client reconnects by itself afterwards. `prepare` runs before the connection opens:
 * a resumed persistent session delivers queued messages right after CONNACK, so a custom
 * `handleMessage` must be in place by then or those messages are acknowledged unhandled.
 */
export function connectMqtt(url: string, options: IClientOptions, timeoutMs = 10_000, prepare?: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: timeoutMs, ...options });
    prepare?.(client);
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

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?\r?\n-----END CERTIFICATE-----/g;

/**
 * TLS options for a broker URL: on mqtts:// and wss:// the server certificate is always verified,
 * against the certificates of `caFile` (MQTT_CA_FILE: a private CA such as the local stack's) or,
 * without one, the system roots. The file is read and every certificate in it parsed here, so a
 * wrong path or a file without a certificate fails naming MQTT_CA_FILE instead of surfacing as a
 * handshake error. Plain mqtt:// (the internal listener) reads nothing.
 */
export function mqttTlsOptions(
  url: string,
  caFile: string | undefined,
): Pick<IClientOptions, 'ca' | 'rejectUnauthorized'> {
  if (!/^(mqtts|wss):/i.test(url)) return {};
  if (caFile === undefined) return { rejectUnauthorized: true };
  let text: string;
  try {
    text = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new Error(
      `MQTT_CA_FILE ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the local stack writes it on \`npm run setup\``,
    );
  }
  const pems = [...text.matchAll(PEM_CERTIFICATE)].map((m) => m[0].replace(/\r\n/g, '\n'));
  if (!pems.length) throw new Error(`MQTT_CA_FILE ${caFile} holds no PEM certificate`);
  for (const [i, pem] of pems.entries()) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new Error(`MQTT_CA_FILE ${caFile}: certificate ${i + 1} does not parse (${(err as Error).message})`);
    }
  }
  return { ca: pems, rejectUnauthorized: true };
}

/**
 * MQTT.js traces every packet through `debug` unless given a `log` function; even disabled,
 * those calls cost a few per cent of an ingester's CPU. Pass `log` to trace a client.
 */
const skipTrace = (): void => {};

/**
 * Connect an MQTT 5 client and wait for the first CONNACK (or fail after `timeoutMs`).
 * The client reconnects by itself afterwards. `prepare` runs before the connection opens:
 * a resumed persistent session delivers queued messages right after CONNACK, so a custom
 * `handleMessage` must be in place by then or those messages are acknowledged unhandled.
 */
export function connectMqtt(
  url: string,
  options: IClientOptions,
  timeoutMs = 10_000,
  prepare?: (client: MqttClient) => void,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 1000,
      connectTimeout: timeoutMs,
      log: skipTrace,
      ...options,
    });
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

/** A group of persistent sessions in one shared subscription that acknowledge after handling. */
export interface AckAfterHandlingSessions {
  clients: MqttClient[];
  /** Take no more messages: what arrives now stays unacknowledged, kept by the broker for the session's next life. */
  pause(): void;
  close(): Promise<void>;
}

/**
 * Open `sessions` persistent MQTT 5 sessions (`<clientIdPrefix>-<i>`) subscribed to `filters`
 * at QoS 1. Each message is acknowledged only once `handle` resolves; a rejected `handle`
 * leaves it unacknowledged, so the broker redelivers it when the session reconnects. Each
 * session holds one unacknowledged message at a time, so the session count bounds what is in
 * flight. The subscription is renewed on a connect without a session (expired meanwhile).
 */
export async function openAckAfterHandlingSessions(opts: {
  url: string;
  username?: string;
  password?: string;
  clientIdPrefix: string;
  sessions: number;
  sessionExpirySeconds: number;
  filters: string[];
  logger: {
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
  handle(topic: string, payload: Buffer): Promise<void>;
}): Promise<AckAfterHandlingSessions> {
  const { logger } = opts;
  let paused = false;
  const openSession = async (i: number): Promise<MqttClient> => {
    const clientId = `${opts.clientIdPrefix}-${i}`;
    const handleMessage: MqttClient['handleMessage'] = (packet, callback) => {
      if (paused) return;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      opts.handle(packet.topic, payload).then(
        () => callback(),
        (err: Error) => logger.debug({ err: err.message, clientId }, 'message left unacknowledged'),
      );
    };
    const client = await connectMqtt(
      opts.url,
      {
        username: opts.username,
        password: opts.password,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: opts.sessionExpirySeconds },
      },
      10_000,
      (c) => {
        c.handleMessage = handleMessage;
      },
    );
    client.on('error', (err) => logger.warn({ err: err.message, clientId }, 'MQTT error'));
    const subscribe = () =>
      client
        .subscribeAsync(opts.filters, { qos: 1 })
        .catch((err: Error) => logger.error({ err: err.message, clientId }, 'subscribe failed'));
    await subscribe();
    client.on('connect', (connack) => {
      if (!connack.sessionPresent) void subscribe();
    });
    return client;
  };
  const clients = await Promise.all(Array.from({ length: opts.sessions }, (_, i) => openSession(i)));
  return {
    clients,
    pause: () => {
      paused = true;
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

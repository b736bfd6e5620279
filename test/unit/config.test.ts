import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config';

describe('config', () => {
  it('falls back to the local stack in development', () => {
    const cfg = loadConfig({});
    expect(cfg.db.connectionString).to.match(/127\.0\.0\.1:5433/);
    expect(cfg.temporal.address).to.equal('127.0.0.1:7233');
    expect(cfg.port).to.equal(3000);
    expect(cfg.demo).to.equal(true);
    expect(Object.isFrozen(cfg.mqtt)).to.equal(true);
  });

  it('honours the ecosystem variables', () => {
    const cfg = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      TEMPORAL_ADDRESS: 't:7233',
      TEMPORAL_NAMESPACE: 'ns',
      MQTT_URL: 'mqtts://b:8883',
      PORT: '8080',
    });
    expect(cfg.db.connectionString).to.equal('postgres://u:p@db:5432/x');
    expect(cfg.temporal).to.include({ address: 't:7233', namespace: 'ns' });
    expect(cfg.mqtt.url).to.equal('mqtts://b:8883');
    expect(cfg.port).to.equal(8080);
  });

  it('lets PG* variables reach node-postgres when DATABASE_URL is absent', () => {
    expect(loadConfig({ PGHOST: 'db.internal' }).db.connectionString).to.equal(undefined);
  });

  it('names each invalid variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', MQTT_URL: 'http://x' })).to.throw(ConfigError, /PORT[\s\S]*MQTT_URL/);
  });

  it('refuses development secrets in production and lists what is missing', () => {
    expect(() => loadConfig({ FRESHCHAIN_PROFILE: 'production', DATABASE_URL: 'postgres://u:p@db/x' })).to.throw(
      ConfigError,
      /MQTT_PASSWORD.*API_TOKEN_SECRET/,
    );
  });

  it('turns the demo off in production unless asked', () => {
    const env = {
      FRESHCHAIN_PROFILE: 'production',
      DATABASE_URL: 'postgres://u:p@db/x',
      MQTT_PASSWORD: 'a',
      MQTT_DEVICE_PASSWORD: 'b',
      MQTT_OPS_PASSWORD: 'c',
      API_TOKEN_SECRET: 'x'.repeat(40),
      PII_ENCRYPTION_KEY: 'k',
      PAYLOAD_CODEC_KEY: 'k',
    };
    expect(loadConfig(env).demo).to.equal(false);
    expect(loadConfig({ ...env, DEMO: 'on' }).demo).to.equal(true);
    expect(loadConfig(env).ingest.sessionExpirySeconds, 'a day of queueing for an absent production ingester').to.equal(
      86_400,
    );
  });

  it('keeps broker sessions of absent ingesters for ten minutes outside production, and takes the ingester settings', () => {
    expect(loadConfig({}).ingest).to.deep.include({ sessions: 32, sessionExpirySeconds: 600, metricsPort: 9464 });
    expect(loadConfig({}).ingest.clientIdPrefix).to.equal(undefined);
    const cfg = loadConfig({
      INGEST_CLIENT_ID: 'fc-ingest-7',
      INGEST_SESSIONS: '256',
      INGEST_SESSION_EXPIRY_S: '120',
      INGEST_METRICS_PORT: '0',
    });
    expect(cfg.ingest).to.deep.include({
      clientIdPrefix: 'fc-ingest-7',
      sessions: 256,
      sessionExpirySeconds: 120,
      metricsPort: 0,
    });
    expect(() => loadConfig({ INGEST_CLIENT_ID: 'has/slash', INGEST_SESSIONS: '0' })).to.throw(
      ConfigError,
      /INGEST_CLIENT_ID[\s\S]*INGEST_SESSIONS/,
    );
  });

  it('runs the alert evaluator alongside except in the test profile, with sessions named after the ingester', () => {
    expect(loadConfig({}).alerts).to.deep.equal({ evaluatorAlongside: true, shareGroup: 'alerts' });
    expect(loadConfig({ FRESHCHAIN_PROFILE: 'test' }).alerts.evaluatorAlongside).to.equal(false);
    expect(loadConfig({ FRESHCHAIN_PROFILE: 'test', ALERTS_EVALUATOR: 'on' }).alerts.evaluatorAlongside).to.equal(true);
    expect(loadConfig({ INGEST_CLIENT_ID: 'fc-ingest-1' }).alerts.clientIdPrefix).to.equal('fc-ingest-1-alerts');
    expect(loadConfig({ INGEST_CLIENT_ID: 'fc-ingest-1', ALERTS_CLIENT_ID: 'fc-al' }).alerts.clientIdPrefix).to.equal(
      'fc-al',
    );
    expect(() => loadConfig({ ALERTS_EVALUATOR: 'maybe' })).to.throw(ConfigError, /ALERTS_EVALUATOR/);
  });
});

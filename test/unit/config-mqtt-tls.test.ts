// MQTT TLS settings of the configuration: where devices (and the simulator) connect, and which
// CA verifies the broker's certificate. Parsed once in config/; hostile values are refused with
// the variable's name, valid ones come back unchanged.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../config';

const PROD = {
  FRESHCHAIN_PROFILE: 'production',
  DATABASE_URL: 'postgres://u:p@db/x',
  MQTT_PASSWORD: 'a',
  MQTT_DEVICE_PASSWORD: 'b',
  MQTT_OPS_PASSWORD: 'c',
  API_TOKEN_SECRET: 'x'.repeat(40),
  PII_ENCRYPTION_KEY: 'k',
  PAYLOAD_CODEC_KEY: 'k',
};

describe('config: MQTT TLS for devices', () => {
  it('points devices at the local stack TLS listener, verified with the CA the set-up generates', () => {
    const cfg = loadConfig({});
    expect(cfg.mqtt.deviceUrl).to.equal('mqtts://localhost:8883');
    expect(cfg.mqtt.caFile).to.equal(join(homedir(), '.cache/freshchain/state/mosquitto/tls/ca.crt'));
    expect(loadConfig({ FRESHCHAIN_HOME: '/srv/fc' }).mqtt.caFile).to.equal('/srv/fc/state/mosquitto/tls/ca.crt');
  });

  it('takes MQTT_DEVICE_URL and MQTT_CA_FILE as given', () => {
    const cfg = loadConfig({
      MQTT_DEVICE_URL: 'mqtts://mqtt.example.com:8883',
      MQTT_CA_FILE: '/etc/freshchain/ca.crt',
    });
    expect(cfg.mqtt).to.deep.include({ deviceUrl: 'mqtts://mqtt.example.com:8883', caFile: '/etc/freshchain/ca.crt' });
    expect(Object.isFrozen(cfg.mqtt)).to.equal(true);
  });

  it('sends devices to MQTT_URL when only that broker is named (the local stack is not used then)', () => {
    expect(loadConfig({ MQTT_URL: 'mqtts://broker:8883' }).mqtt.deviceUrl).to.equal('mqtts://broker:8883');
  });

  it('in production: no local CA; the system roots verify unless MQTT_CA_FILE names one', () => {
    expect(loadConfig(PROD).mqtt.caFile).to.equal(undefined);
    expect(loadConfig({ ...PROD, MQTT_CA_FILE: '/run/secrets/ca.crt' }).mqtt.caFile).to.equal('/run/secrets/ca.crt');
  });

  it('names MQTT_DEVICE_URL and MQTT_CA_FILE when they are not usable', () => {
    expect(() => loadConfig({ MQTT_DEVICE_URL: 'http://x' })).to.throw(ConfigError, /MQTT_DEVICE_URL/);
    expect(() => loadConfig({ MQTT_CA_FILE: '' })).to.throw(ConfigError, /MQTT_CA_FILE/);
    expect(() => loadConfig({ MQTT_CA_FILE: '/etc/ca\0.crt' })).to.throw(ConfigError, /MQTT_CA_FILE/);
    expect(() => loadConfig({ FRESHCHAIN_HOME: 'relative/home' })).to.throw(ConfigError, /FRESHCHAIN_HOME/);
  });

  it('property: any MQTT_CA_FILE is either the same path back or a ConfigError naming it', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(
        '\0',
        '/a\0b',
        '\ud800',
        '/x/\udfff',
        '__proto__',
        '/'.repeat(100_000),
        '\u0085',
        'C:\\certs\\ca.crt',
        '~/ca.crt',
      ),
    );
    fc.assert(
      fc.property(hostile, (value) => {
        let cfg;
        try {
          cfg = loadConfig({ MQTT_CA_FILE: value });
        } catch (err) {
          expect(err).to.be.instanceOf(ConfigError);
          expect((err as Error).message).to.contain('MQTT_CA_FILE');
          return;
        }
        expect(cfg.mqtt.caFile).to.equal(value);
        expect(value).to.match(/^\//);
        expect(value).to.not.match(/\p{Cc}/u);
        expect(value).to.not.match(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
      { numRuns: 500 },
    );
  });

  it('property: any MQTT_DEVICE_URL is either an mqtts/mqtt/ws(s) URL kept verbatim or a ConfigError naming it', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.webUrl().map((u) => u.replace(/^https?/, 'mqtts')),
      fc.constantFrom(
        'mqtts://h:8883\0',
        'mqtts://\ud800:1',
        'mqtts://h:99999999999999999999',
        'mqtt://__proto__:1',
        'mqtts://',
        'javascript:alert(1)',
      ),
    );
    fc.assert(
      fc.property(hostile, (value) => {
        let cfg;
        try {
          cfg = loadConfig({ MQTT_DEVICE_URL: value });
        } catch (err) {
          expect(err).to.be.instanceOf(ConfigError);
          expect((err as Error).message).to.contain('MQTT_DEVICE_URL');
          return;
        }
        expect(cfg.mqtt.deviceUrl).to.equal(value);
        const url = new URL(value);
        expect(['mqtts:', 'mqtt:', 'ws:', 'wss:', 'tcp:']).to.include(url.protocol);
        expect(url.hostname).to.not.equal('');
      }),
      { numRuns: 500 },
    );
  });
});

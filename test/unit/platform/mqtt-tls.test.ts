// The TLS options every device-side MQTT connection takes: the configured CA file is read and
// checked before connecting, so a wrong path or a file that holds no certificate stops the client
// with MQTT_CA_FILE named instead of a TLS error at the first handshake.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { mqttTlsOptions } from '../../../platform/mqtt';

describe('platform/mqtt: TLS options', () => {
  let dir: string;
  let caPem: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-mqtt-tls-'));
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=test CA',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        join(dir, 'ca.crt'),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the server with the CA file on mqtts:// and wss://', () => {
    for (const url of ['mqtts://localhost:8883', 'wss://broker.example.com/mqtt']) {
      const opts = mqttTlsOptions(url, join(dir, 'ca.crt'));
      expect(opts.rejectUnauthorized).to.equal(true);
      expect(opts.ca).to.deep.equal([caPem.trim()]);
    }
  });

  it('verifies with the system roots when no CA file is configured', () => {
    expect(mqttTlsOptions('mqtts://broker.example.com:8883', undefined)).to.deep.equal({ rejectUnauthorized: true });
  });

  it('reads nothing for plain mqtt:// (the internal listener)', () => {
    expect(mqttTlsOptions('mqtt://127.0.0.1:1883', join(dir, 'missing.crt'))).to.deep.equal({});
  });

  it('names MQTT_CA_FILE when the file is missing or holds no certificate', () => {
    expect(() => mqttTlsOptions('mqtts://h:8883', join(dir, 'missing.crt'))).to.throw(/MQTT_CA_FILE.*missing\.crt/);
    writeFileSync(join(dir, 'key-only.pem'), readFileSync(join(dir, 'ca.key')));
    expect(() => mqttTlsOptions('mqtts://h:8883', join(dir, 'key-only.pem'))).to.throw(
      /MQTT_CA_FILE.*no PEM certificate/,
    );
    writeFileSync(join(dir, 'broken.pem'), caPem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!'));
    expect(() => mqttTlsOptions('mqtts://h:8883', join(dir, 'broken.pem'))).to.throw(/MQTT_CA_FILE/);
  });

  it('property: any file content is either certificates handed to TLS or an error naming MQTT_CA_FILE', () => {
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
      fc.constantFrom(Buffer.from('\0\0\0'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('\ud800')),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => Buffer.from(`${a}\n${caPem}\n${b}`)),
      fc.string().map((s) => Buffer.from(`-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----\n`)),
    );
    const file = join(dir, 'prop.pem');
    fc.assert(
      fc.property(content, (bytes) => {
        writeFileSync(file, bytes);
        let opts;
        try {
          opts = mqttTlsOptions('mqtts://h:8883', file);
        } catch (err) {
          expect((err as Error).message).to.contain('MQTT_CA_FILE');
          return;
        }
        expect(opts.rejectUnauthorized).to.equal(true);
        expect((opts.ca as string[]).length).to.be.greaterThan(0);
        for (const pem of opts.ca as string[])
          expect(pem).to.match(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
      }),
      { numRuns: 300 },
    );
  });
});

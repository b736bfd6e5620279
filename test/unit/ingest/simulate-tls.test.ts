// The simulator is a device: it connects to the broker's TLS listener with the device account
// and verifies the server certificate against MQTT_CA_FILE (the local stack's CA by default).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../config';
import { simulatorConnection } from '../../../demo/simulate-main';

describe('simulator: device connection over TLS', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'fc-sim-tls-'));
    const tls = join(home, 'state/mosquitto/tls');
    const r = spawnSync(
      'bash',
      [
        '-c',
        `mkdir -p "${tls}" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=ca -keyout "${tls}/ca.key" -out "${tls}/ca.crt"`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('uses the device URL, the device account and the local CA, verifying the server', () => {
    const cfg = loadConfig({ FRESHCHAIN_HOME: home });
    const { url, options } = simulatorConnection(cfg, 'sim-1');
    expect(url).to.equal('mqtts://localhost:8883');
    expect(options).to.deep.include({
      username: 'freshchain-device',
      password: 'device-dev',
      clientId: 'sim-1',
      clean: true,
      rejectUnauthorized: true,
    });
    expect(options.ca).to.deep.equal([readFileSync(join(home, 'state/mosquitto/tls/ca.crt'), 'utf8').trim()]);
  });

  it('fails before connecting when the CA file is missing, naming MQTT_CA_FILE', () => {
    const cfg = loadConfig({ MQTT_CA_FILE: join(home, 'nope.crt') });
    expect(() => simulatorConnection(cfg, 'sim-1')).to.throw(/MQTT_CA_FILE/);
  });
});

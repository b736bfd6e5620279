// The stack scripts and broker configurations hold what a first run on a fresh machine needs:
// no trap that outlives the function that set it, and broker payload limits equal to the
// telemetry contract's, in every deployment we ship.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_PARSE_LIMITS } from '../../../domain/coldchain/telemetry';
import { ROOT, filesUnder, read } from './support';

const shellScripts = filesUnder('deploy', (name) => name.endsWith('.sh'));

/** Bytes of a size written the way EMQX's HOCON does (`264KB`, `1MB`, `262144`). */
function hoconBytes(size: string): number {
  const m = /^(\d+)\s*(KB|MB|GB)?$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  const unit = (m[2] ?? '').toUpperCase();
  return Number(m[1]) * (unit === 'KB' ? 1024 : unit === 'MB' ? 1024 ** 2 : unit === 'GB' ? 1024 ** 3 : 1);
}

describe('deploy: stack scripts on a first run', () => {
  it('finds the stack scripts', () => {
    expect(shellScripts).to.include.members([
      'deploy/timescale.sh',
      'deploy/temporal.sh',
      'deploy/mosquitto.sh',
      'deploy/lib/common.sh',
    ]);
  });

  for (const file of shellScripts) {
    it(`${file} sets no RETURN trap`, () => {
      // A RETURN trap set inside a function stays set after it returns and fires on the next
      // function return, where the function's locals are gone: under `set -u` that killed the
      // first set-up on a fresh machine ("tmp: unbound variable").
      const lines = read(file)
        .split('\n')
        .map((l, i) => ({ l, n: i + 1 }))
        .filter(({ l }) => !/^\s*#/.test(l));
      const offending = lines
        .filter(({ l }) => /\btrap\b.*\bRETURN\b/.test(l))
        .map(({ n, l }) => `${file}:${n}: ${l.trim()}`);
      expect(offending).to.deep.equal([]);
    });
  }
});

describe('deploy: services start detached from their caller', () => {
  it('daemonize leaves the service no descriptor beyond stdio (a held lock file stays held otherwise)', () => {
    const home = mkdtempSync(join(tmpdir(), 'fc-daemonize-'));
    try {
      // fd 7 stands for a caller's flock lock file; the service must not inherit it.
      const script = `source deploy/lib/common.sh; exec 7>"$FRESHCHAIN_HOME/lock"
        daemonize sleep 5 < /dev/null > /dev/null 2>&1 & pid=$!; sleep 0.3; ls /proc/$pid/fd; kill $pid`;
      const r = spawnSync('bash', ['-c', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, FRESHCHAIN_HOME: home },
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.split(/\s+/).filter(Boolean).sort()).to.deep.equal(['0', '1', '2']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  const launches: [file: string, service: string, launch: RegExp][] = [
    ['deploy/timescale.sh', 'postgres', /"\$PG_BIN\/postgres" -D/],
    ['deploy/mosquitto.sh', 'mosquitto', /\bmosquitto -c\b/],
    ['deploy/temporal.sh', 'temporal', /\bnohup\b/],
  ];
  for (const [file, service, launch] of launches) {
    it(`${file} starts ${service} through daemonize`, () => {
      const starts = read(file)
        .split('\n')
        .filter((l) => launch.test(l) && !/^\s*#/.test(l));
      expect(starts.length, `a line starting ${service} in ${file}`).to.be.greaterThan(0);
      for (const l of starts) expect(l, file).to.match(/\bdaemonize\b/);
    });
  }
});

describe('deploy: broker packet limit is the telemetry contract', () => {
  // Whole packets: the contract's payload plus at most 16 KiB of header, topic and properties.
  const limit = DEFAULT_PARSE_LIMITS.maxPayloadBytes;
  const fitsContract = (bytes: number) => {
    expect(bytes).to.be.at.least(limit);
    expect(bytes).to.be.at.most(limit + 16 * 1024);
  };

  it('the local Mosquitto refuses larger packets', () => {
    expect(read('deploy/mosquitto.sh')).to.match(/^max_packet_size \$FC_MQTT_MAX_PACKET$/m);
    const m = /^FC_MQTT_MAX_PACKET=(\d+)/m.exec(read('deploy/lib/common.sh'));
    expect(m, 'FC_MQTT_MAX_PACKET in deploy/lib/common.sh').to.not.equal(null);
    fitsContract(Number(m![1]));
  });

  it("compose's Mosquitto refuses larger packets", () => {
    const m = /^max_packet_size (\d+)$/m.exec(read('deploy/compose/mosquitto/mosquitto.conf'));
    expect(m, 'max_packet_size in deploy/compose/mosquitto/mosquitto.conf').to.not.equal(null);
    fitsContract(Number(m![1]));
  });

  it("Kubernetes' EMQX refuses larger packets", () => {
    const m = /^\s*max_packet_size\s*=\s*(\S+)\s*$/m.exec(read('deploy/k8s/emqx/emqx.conf'));
    expect(m, 'max_packet_size in deploy/k8s/emqx/emqx.conf').to.not.equal(null);
    fitsContract(hoconBytes(m![1]!));
  });
});

// The local stack builds the TimescaleDB that compose and Kubernetes run, from a checked source.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT, K8S_DIR, read, str } from './support';
import { parse } from 'yaml';

const script = read('deploy/timescale.sh');
const pin = (name: string): string => {
  const m = new RegExp(`^${name}=(\\S+)$`, 'm').exec(script);
  expect(m, `${name} in deploy/timescale.sh`).to.not.equal(null);
  return m![1]!;
};
const VENDOR_README = join(ROOT, '..', 'shared', 'vendor', 'README.md');

describe('deploy: the TimescaleDB the local stack builds', () => {
  it('is the version compose and Kubernetes pin', () => {
    const version = pin('TS_VERSION');
    const compose = parse(read('deploy/compose/docker-compose.yml')) as {
      services: Record<string, { image?: unknown }>;
    };
    expect(str(compose.services.timescaledb!.image, 'timescaledb image')).to.equal(
      `timescale/timescaledb:${version}-pg17`,
    );
    expect(read(`${K8S_DIR}/timescaledb/Dockerfile`)).to.match(
      new RegExp(`^ARG TIMESCALEDB_VERSION=${version.replace(/\./g, '\\.')}$`, 'm'),
    );
  });

  it('checks the sha256 and commit the vendored source documents', function () {
    if (!existsSync(VENDOR_README)) this.skip(); // a clone without shared/ beside it: nothing to compare with
    const readme = read('../shared/vendor/README.md');
    expect(readme).to.contain(`timescaledb-${pin('TS_VERSION')}.tar.gz`);
    expect(readme).to.contain(pin('TS_SHA256'));
    expect(readme).to.contain(pin('TS_COMMIT'));
  });

  it("never installs Debian's Apache-only package, and builds with the Timescale licence", () => {
    const code = script.split('\n').filter((l) => !/^\s*#/.test(l));
    expect(code.filter((l) => /apt(_install|_in| |-get).*install.*postgresql-17-timescaledb/.test(l))).to.deep.equal(
      [],
    );
    expect(script).to.match(/^timescaledb\.license = 'timescale'$/m);
    expect(script).to.match(/\.\/bootstrap .*-DREGRESS_CHECKS=OFF/);
  });

  it('refuses a source tarball whose sha256 is not the pinned one, naming it', () => {
    const home = mkdtempSync(join(tmpdir(), 'fc-ts-src-'));
    try {
      const bad = join(home, 'timescaledb.tar.gz');
      writeFileSync(bad, 'not the release');
      const r = spawnSync('bash', ['deploy/timescale.sh', 'timescale_source', join(home, 'src')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, FRESHCHAIN_HOME: home, FRESHCHAIN_TIMESCALE_SRC: bad },
      });
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.contain(bad).and.contain(pin('TS_SHA256'));
      const missing = spawnSync('bash', ['deploy/timescale.sh', 'timescale_source', join(home, 'src')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, FRESHCHAIN_HOME: home, FRESHCHAIN_TIMESCALE_SRC: join(home, 'nope.tar.gz') },
      });
      expect(missing.status).to.not.equal(0);
      expect(missing.stderr).to.contain('FRESHCHAIN_TIMESCALE_SRC');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('unpacks the vendored tarball and applies our patches to it', function () {
    this.timeout(30_000);
    if (!existsSync(join(ROOT, '..', 'shared', 'vendor', `timescaledb-${pin('TS_VERSION')}.tar.gz`))) this.skip();
    const home = mkdtempSync(join(tmpdir(), 'fc-ts-src-'));
    try {
      const src = join(home, 'src');
      const env = { ...process.env, FRESHCHAIN_HOME: home, FRESHCHAIN_TIMESCALE_SRC: '' };
      const r = spawnSync('bash', ['deploy/timescale.sh', 'timescale_source', src], {
        cwd: ROOT,
        encoding: 'utf8',
        env,
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(existsSync(join(src, 'tsl', 'src', 'bgw_policy', 'job.c'))).to.equal(true);
      for (const p of ['deploy/timescale/portal-drop-pg17.12.patch']) {
        const a = spawnSync('patch', ['-d', src, '-p1', '--forward', '--dry-run', '-i', join(ROOT, p)], {
          encoding: 'utf8',
        });
        expect(a.status, a.stdout + a.stderr).to.equal(0);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

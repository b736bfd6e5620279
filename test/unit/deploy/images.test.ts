// Every image is pinned: an explicit tag that is not `latest`, or a digest. Covers compose,
// the Kubernetes manifests (containers, init containers, CloudNativePG imageName), the Temporal
// chart values, and the Dockerfiles' base images.
import { expect } from 'chai';
import {
  APP_IMAGE,
  COMPOSE_DIR,
  K8S_DIR,
  WORKLOAD_KINDS,
  arr,
  composeServices,
  containers,
  dig,
  dockerfileBases,
  filesUnder,
  interpolate,
  isPinned,
  isYamlName,
  k8sResources,
  obj,
  parseImage,
  podSpec,
  read,
  str,
  yamlDoc,
  yamlDocs,
} from './support';

describe('deploy images: all pinned', () => {
  it('the pinning rule itself', () => {
    expect(isPinned('timescale/timescaledb:2.19.3-pg17')).to.equal(true);
    expect(isPinned('ghcr.io/x/y@sha256:' + 'a'.repeat(64))).to.equal(true);
    expect(isPinned('localhost:5000/app:1.2.3')).to.equal(true);
    expect(isPinned('redis')).to.equal(false);
    expect(isPinned('redis:latest')).to.equal(false);
    expect(isPinned('localhost:5000/app')).to.equal(false);
    expect(isPinned('app:${TAG}')).to.equal(false);
  });

  it('compose: every service image (its defaults applied) is pinned', () => {
    const services = composeServices();
    for (const [name, s] of Object.entries(services)) {
      const image = interpolate(str(s.image, `${name}.image`), {});
      expect(isPinned(image), `${name}: ${image}`).to.equal(true);
    }
    expect(Object.keys(services).length).to.be.greaterThan(8);
  });

  it('compose: our services all run the one image built from the Dockerfile', () => {
    const ours = Object.entries(composeServices()).filter(([, s]) => s.build !== undefined);
    expect(ours.map(([n]) => n)).to.include.members(['migrate', 'worker', 'api', 'ingest-1', 'ingest-2']);
    expect(new Set(ours.map(([, s]) => s.image)).size).to.equal(1);
  });

  it('Kubernetes: every container and init container image is pinned (ours through kustomize images:)', () => {
    const kust = obj(yamlDoc(`${K8S_DIR}/kustomization.yaml`), 'kustomization');
    const overrides = new Map(
      arr(kust.images, 'images').map((i) => [str(dig(i, 'name'), 'images.name'), obj(i, 'image override')]),
    );
    const ours = overrides.get(APP_IMAGE);
    expect(ours, `kustomization.yaml images: ${APP_IMAGE}`).to.not.equal(undefined);
    const appRef = `${str(ours!.newName, 'newName')}${ours!.digest ? `@${String(ours!.digest)}` : `:${String(ours!.newTag)}`}`;
    expect(isPinned(appRef), appRef).to.equal(true);

    let count = 0;
    for (const r of k8sResources().filter((x) => WORKLOAD_KINDS.includes(x.kind))) {
      const spec = podSpec(r);
      for (const c of [...containers(spec), ...containers(spec, 'initContainers')]) {
        const image = str(c.image, `${r.kind}/${r.name} image`);
        count++;
        if (image === APP_IMAGE) continue;
        expect(isPinned(image), `${r.kind}/${r.name}: ${image}`).to.equal(true);
      }
    }
    expect(count).to.be.greaterThan(5);
  });

  it('Kubernetes: CloudNativePG clusters name a pinned image', () => {
    const clusters = filesUnder(K8S_DIR, isYamlName).flatMap((f) =>
      yamlDocs(f)
        .filter((d) => dig(d, 'kind') === 'Cluster')
        .map((d) => ({ f, d })),
    );
    expect(clusters.length).to.be.greaterThan(1);
    for (const { f, d } of clusters) {
      const image = str(dig(d, 'spec', 'imageName'), `${f} imageName`);
      expect(isPinned(image), `${f}: ${image}`).to.equal(true);
    }
  });

  it('the Temporal chart is pinned to a version and its extra images are pinned', () => {
    const values = read(`${K8S_DIR}/temporal-values.yaml`);
    expect(values).to.match(/helm upgrade --install temporal temporal\/temporal --version \d+\.\d+\.\d+/);
    const doc = obj(yamlDoc(`${K8S_DIR}/temporal-values.yaml`), 'values');
    for (const o of arr(doc.extraObjects, 'extraObjects')) {
      for (const c of (dig(o, 'spec', 'template', 'spec', 'containers') as unknown[] | undefined) ?? []) {
        const image = str(dig(c, 'image'), 'extraObjects image');
        expect(isPinned(image), image).to.equal(true);
      }
    }
    for (const key of ['server', 'admintools', 'web']) {
      const repoTag = dig(doc, key, 'image', 'tag');
      if (repoTag !== undefined) expect(repoTag, `${key}.image.tag`).to.not.equal('latest');
    }
  });

  it('Dockerfiles: every base image is pinned; Node to an exact 20.x.y', () => {
    const dockerfiles = ['Dockerfile', ...filesUnder('deploy', (n) => n === 'Dockerfile')];
    expect(dockerfiles.length).to.be.greaterThan(1);
    for (const f of dockerfiles) {
      const bases = dockerfileBases(f);
      expect(bases.length, f).to.be.greaterThan(0);
      for (const b of bases) expect(isPinned(b.image), `${f}: FROM ${b.image}`).to.equal(true);
    }
    for (const b of dockerfileBases('Dockerfile')) {
      const img = parseImage(b.image);
      expect(img.repo).to.equal('node');
      expect(img.tag, b.image).to.match(/^20\.\d+\.\d+-/);
    }
  });

  it('compose and Kubernetes run the same TimescaleDB version as the local stack (2.19.x)', () => {
    const ts = str(composeServices().timescaledb!.image, 'timescaledb image');
    expect(ts).to.match(/^timescale\/timescaledb:2\.19\.\d+-pg17$/);
    expect(read(`${K8S_DIR}/timescaledb/Dockerfile`)).to.match(/ARG TIMESCALEDB_VERSION=2\.19\.\d+/);
    expect(read(`${COMPOSE_DIR}/docker-compose.yml`)).to.not.match(/:latest\b/);
  });
});

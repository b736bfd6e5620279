// The deployment files are well-formed: every YAML document parses, every shell script passes
// `sh -n`, every file a compose bind mount or a kustomization names exists.
import { spawnSync } from 'node:child_process';
import { join, normalize } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import {
  COMPOSE_DIR,
  K8S_DIR,
  ROOT,
  arr,
  composeServices,
  dig,
  exists,
  filesUnder,
  interpolate,
  isObj,
  isYamlName,
  k8sResources,
  obj,
  read,
  str,
  yamlDoc,
  yamlDocs,
} from './support';

/** A compose volume's source, with `${VAR:-default}` taken at its default (the case .env leaves alone). */
const volumeSource = (v: unknown, what: string): string =>
  typeof v === 'string' ? interpolate(v, {}).split(':')[0]! : str(dig(v, 'source'), what);

describe('deploy files: well-formed', () => {
  const yamlFiles = [...filesUnder(COMPOSE_DIR, isYamlName), ...filesUnder(K8S_DIR, isYamlName)];

  it('finds the compose file, the kustomization and the Temporal values', () => {
    expect(yamlFiles).to.include.members([
      `${COMPOSE_DIR}/docker-compose.yml`,
      `${K8S_DIR}/kustomization.yaml`,
      `${K8S_DIR}/temporal-values.yaml`,
    ]);
  });

  for (const file of yamlFiles) {
    it(`${file} parses (every document)`, () => {
      const docs = yamlDocs(file);
      expect(docs.length, `${file} has no document`).to.be.greaterThan(0);
      for (const d of docs) expect(isObj(d), `${file}: a document is not a mapping`).to.equal(true);
    });
  }

  it('every Kubernetes manifest names its apiVersion, kind and metadata.name', () => {
    const manifests = filesUnder(K8S_DIR, isYamlName).filter(
      (f) => !/kustomization\.yaml$|temporal-values\.yaml$/.test(f),
    );
    for (const file of manifests) {
      for (const d of yamlDocs(file)) {
        expect(dig(d, 'apiVersion'), `${file}: apiVersion`).to.be.a('string');
        expect(dig(d, 'kind'), `${file}: kind`).to.be.a('string');
        expect(dig(d, 'metadata', 'name'), `${file}: metadata.name`).to.be.a('string');
      }
    }
  });

  it('a YAML syntax error would fail the parser this suite uses', () => {
    // Guards the guard: the helper must throw, not return a partial document.
    const broken = parseAllDocuments('a: [1, 2\nb: c\n');
    expect((Array.isArray(broken) ? broken : [broken]).some((d) => d.errors.length > 0)).to.equal(true);
  });

  const scripts = [
    ...filesUnder(COMPOSE_DIR, (n) => n.endsWith('.sh')),
    ...filesUnder(K8S_DIR, (n) => n.endsWith('.sh')),
  ];
  for (const file of scripts) {
    it(`${file} passes sh -n`, () => {
      const shell = /^#!.*\bbash\b/.test(read(file)) ? 'bash' : 'sh';
      const r = spawnSync(shell, ['-n', join(ROOT, file)], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    });
  }

  it('every compose bind mount and build context exists in the repository', () => {
    const services = composeServices();
    let mounts = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes as unknown[] | undefined) ?? []) {
        const source = volumeSource(v, `${name} volume source`);
        if (!source.startsWith('.') && !source.startsWith('/')) continue; // a named volume
        mounts++;
        expect(exists(normalize(join(COMPOSE_DIR, source))), `${name}: ${source}`).to.equal(true);
      }
      const ctx = dig(s, 'build', 'context');
      if (typeof ctx === 'string')
        expect(exists(normalize(join(COMPOSE_DIR, ctx, 'Dockerfile'))), `${name}: build context`).to.equal(true);
    }
    expect(mounts).to.be.greaterThan(3);
  });

  it('every named volume a compose service uses is declared', () => {
    const declared = Object.keys(obj(yamlDoc(`${COMPOSE_DIR}/docker-compose.yml`), 'compose').volumes as object);
    for (const [name, s] of Object.entries(composeServices())) {
      for (const v of (s.volumes as unknown[] | undefined) ?? []) {
        const source = typeof v === 'string' ? volumeSource(v, name) : '';
        if (source && !source.startsWith('.') && !source.startsWith('/'))
          expect(declared, `${name}: ${source}`).to.include(source);
      }
    }
  });

  it('kustomization resources and generator files exist; every resource loads', () => {
    for (const dir of [K8S_DIR, `${K8S_DIR}/temporal`]) {
      const kust = obj(yamlDoc(`${dir}/kustomization.yaml`), `${dir}/kustomization.yaml`);
      for (const r of arr(kust.resources, 'resources'))
        expect(exists(`${dir}/${str(r, 'resource')}`), `${dir}: ${String(r)}`).to.equal(true);
      for (const g of (kust.configMapGenerator as unknown[] | undefined) ?? []) {
        for (const f of arr(dig(g, 'files'), 'generator files'))
          expect(exists(`${dir}/${str(f, 'file')}`), `${dir}: ${String(f)}`).to.equal(true);
      }
    }
    expect(k8sResources().length).to.be.greaterThan(10);
  });

  it('every ConfigMap a workload mounts is generated or declared by the kustomization', () => {
    const kust = obj(yamlDoc(`${K8S_DIR}/kustomization.yaml`), 'kustomization');
    const generated = ((kust.configMapGenerator as unknown[] | undefined) ?? []).map((g) =>
      str(dig(g, 'name'), 'generator name'),
    );
    const resources = k8sResources();
    const declared = resources.filter((r) => r.kind === 'ConfigMap').map((r) => r.name);
    for (const r of resources) {
      for (const v of (dig(r.doc, 'spec', 'template', 'spec', 'volumes') as unknown[] | undefined) ?? []) {
        const cm = dig(v, 'configMap', 'name');
        if (typeof cm === 'string') expect([...generated, ...declared], `${r.kind}/${r.name}`).to.include(cm);
      }
      for (const c of (dig(r.doc, 'spec', 'template', 'spec', 'containers') as unknown[] | undefined) ?? []) {
        for (const e of (dig(c, 'envFrom') as unknown[] | undefined) ?? []) {
          const cm = dig(e, 'configMapRef', 'name');
          if (typeof cm === 'string') expect(declared, `${r.kind}/${r.name} envFrom`).to.include(cm);
        }
      }
    }
  });
});

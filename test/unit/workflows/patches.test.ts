// Every patch id is a constant of workflows/patches.ts, used where it is declared to be, listed in
// docs/workflow-versioning.md, and proved by a recorded history of its new path: histories carry
// the id in a marker, so a literal typed at a call site (or a typo) would version nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as patches from '../../../workflows/patches';

const ROOT = join(__dirname, '../../..');
const WORKFLOWS = join(ROOT, 'workflows');
const HISTORIES = join(ROOT, 'test/fixtures/histories');

const sources = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith('.ts') && f !== 'patches.ts')
  .map((f) => ({ file: f, text: readFileSync(join(WORKFLOWS, f), 'utf8') }));

/** The arguments of every patched() / deprecatePatch() call in the workflow sources. */
const calls = sources.flatMap(({ file, text }) =>
  [...text.matchAll(/\b(?:patched|deprecatePatch)\(\s*([^)]*?)\s*\)/g)].map((m) => ({ file, arg: m[1]! })),
);

/** Patch ids each recorded history carries in its markers. */
function markersOf(file: string): string[] {
  const { history } = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as {
    history: {
      events: {
        markerRecordedEventAttributes?: {
          markerName?: string;
          details?: Record<string, { payloads?: { data: string }[] }>;
        };
      }[];
    };
  };
  return history.events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    return (m.details?.['patch-data']?.payloads ?? []).map(
      (p) => (JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as { id: string }).id,
    );
  });
}

describe('workflow patches (workflows/patches.ts)', () => {
  const declared: [string, string][] = Object.entries(patches as Record<string, unknown>).flatMap(([k, v]) =>
    typeof v === 'string' ? [[k, v] as [string, string]] : [],
  );

  it('every patched() call names a constant of workflows/patches.ts, never a literal', () => {
    expect(calls.length).to.be.at.least(declared.length);
    for (const { file, arg } of calls) expect(patches, `${file}: patched(${arg})`).to.have.property(arg);
  });

  it('ids are unique and each constant is used', () => {
    expect(new Set(declared.map(([, id]) => id)).size).to.equal(declared.length);
    for (const [name] of declared)
      expect(
        calls.map((c) => c.arg),
        name,
      ).to.include(name);
  });

  it('docs/workflow-versioning.md lists each id, and a recorded history carries each one (its new path)', () => {
    const doc = readFileSync(join(ROOT, 'docs/workflow-versioning.md'), 'utf8');
    const recorded = new Set(
      readdirSync(HISTORIES)
        .filter((f) => f.endsWith('.json'))
        .flatMap(markersOf),
    );
    for (const [name, id] of declared) {
      expect(doc, `${name} in docs/workflow-versioning.md`).to.contain(`\`${id}\``);
      expect([...recorded], `a recorded history of ${id}'s new path`).to.include(id);
    }
  });
});

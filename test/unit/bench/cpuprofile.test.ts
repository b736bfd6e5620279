import { expect } from 'chai';
import fc from 'fast-check';
import { groupOf, summarizeProfile } from '../../../bench/lib/cpuprofile';

const node = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 1, columnNumber: 1 },
  children,
});

describe('bench cpu profile summary', () => {
  it('adds self time per frame and per group, idle left out', () => {
    const profile = {
      nodes: [
        node(1, '(root)', '', [2, 3, 4]),
        node(2, '(idle)', ''),
        node(3, 'encode', 'file:///r/node_modules/protobufjs/src/writer.js'),
        node(4, 'allocate', 'file:///r/domain/orders/allocation.ts'),
      ],
      samples: [2, 3, 3, 4, 2],
      timeDeltas: [1000, 2000, 2000, 1000, 5000],
      startTime: 0,
      endTime: 11000,
    };
    const s = summarizeProfile(profile, '/r');
    expect(s.busyMs).to.equal(5);
    expect(s.groups).to.deep.equal([
      { group: 'protobufjs', ms: 4, share: 0.8 },
      { group: 'domain/orders', ms: 1, share: 0.2 },
    ]);
    expect(s.frames[0]).to.include({ frame: 'encode protobufjs/src/writer.js', ms: 4 });
  });

  it('groups packages (scoped too), our folders, node internals and V8 pseudo-frames', () => {
    expect(groupOf('file:///r/node_modules/@temporalio/workflow/lib/worker-interface.js', 'x', '/r')).to.equal(
      '@temporalio/workflow',
    );
    expect(groupOf('file:///r/node_modules/.pnpm/a/node_modules/pino/lib/x.js', 'x', '/r')).to.equal('pino');
    expect(groupOf('/r/workflows/fulfilment.ts', 'x', '/r')).to.equal('workflows');
    expect(groupOf('node:internal/streams/x', 'x', '/r')).to.equal('node internals');
    expect(groupOf('', '(garbage collector)', '/r')).to.equal('(garbage collector)');
    expect(groupOf('', 'structuredClone', '/r')).to.equal('native');
  });

  it('never throws on a malformed profile and never counts a negative time', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const s = summarizeProfile(junk, '/r');
        expect(s.busyMs).to.be.at.least(0);
      }),
    );
    const hostile = JSON.parse(
      '{"nodes":[{"id":1,"callFrame":{"functionName":"__proto__","url":"\\u0000\\ud800"}}],"samples":[1,1],"timeDeltas":[1e308,-5]}',
    );
    const s = summarizeProfile(hostile, '/r');
    expect(Number.isFinite(s.busyMs)).to.equal(true);
  });
});

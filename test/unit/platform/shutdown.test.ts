// One Ctrl-C reaches a process twice (the terminal signals the whole group, and tsx passes
// its own SIGINT on): the repeat must not cut the graceful stop short. A real second request,
// later, still exits at once.
import { expect } from 'chai';
import { SAME_SIGNAL_WITHIN_MS, shutdownHandler } from '../../../platform/shutdown';
import { createLogger } from '../../../platform/logger';

function harness(stopResult: Promise<void> = new Promise(() => undefined)) {
  let now = 10_000;
  const exits: number[] = [];
  let stops = 0;
  const handler = shutdownHandler(createLogger('silent'), () => ((stops += 1), stopResult), {
    exit: (c) => void exits.push(c),
    now: () => now,
  });
  return { handler, exits, stops: () => stops, advance: (ms: number) => void (now += ms) };
}

describe('graceful shutdown', () => {
  it('takes the same Ctrl-C arriving twice as one signal: stop runs once, nothing exits early', () => {
    const h = harness();
    h.handler('SIGINT');
    h.advance(5);
    h.handler('SIGINT');
    expect(h.stops()).to.equal(1);
    expect(h.exits).to.deep.equal([]);
  });

  it('exits at once on a second signal after the window, so a stuck stop can be interrupted', () => {
    const h = harness();
    h.handler('SIGINT');
    h.advance(SAME_SIGNAL_WITHIN_MS + 1);
    h.handler('SIGINT');
    expect(h.stops()).to.equal(1);
    expect(h.exits).to.deep.equal([130]);
  });

  it('exits 0 once stop has finished, 1 when it failed', async () => {
    const ok = harness(Promise.resolve());
    ok.handler('SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(ok.exits).to.deep.equal([0]);
    const failing = harness(Promise.reject(new Error('db gone')));
    failing.handler('SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(failing.exits).to.deep.equal([1]);
  });
});

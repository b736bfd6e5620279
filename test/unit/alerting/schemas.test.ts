// Request validation of the alert and webhook routes (pure zod schemas).
import { expect } from 'chai';
import { alertListQuery, assignBody, commentBody, windowQuery } from '../../../api/routes/alerts';
import { generateSecret, replayBody, subscriptionBody } from '../../../api/routes/webhooks';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.success ? [] : r.error!.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);

describe('api/routes/alerts: request schemas', () => {
  it('accepts comma-separated and repeated filters, with defaults for paging', () => {
    expect(alertListQuery.parse({ status: 'open,acknowledged', severity: ['critical'] })).to.deep.include({
      status: ['open', 'acknowledged'],
      severity: ['critical'],
      limit: 100,
      offset: 0,
    });
    expect(alertListQuery.parse({ status: ['open', 'resolved,acknowledged'] }).status).to.deep.equal([
      'open',
      'resolved',
      'acknowledged',
    ]);
    expect(alertListQuery.parse({ limit: '20', offset: '40' })).to.deep.include({ limit: 20, offset: 40 });
  });

  it('names the offending field precisely', () => {
    expect(issues(alertListQuery.safeParse({ status: 'open,closed' }))[0]).to.match(/^status\.1: /);
    expect(issues(alertListQuery.safeParse({ limit: '0' }))[0]).to.match(/^limit: /);
    expect(issues(alertListQuery.safeParse({ from: '2025-06-01T10:00:00' }))[0], 'local time without offset').to.match(
      /^from: /,
    );
    expect(
      issues(alertListQuery.safeParse({ from: '2025-06-02T00:00:00Z', to: '2025-06-01T00:00:00Z' })),
    ).to.deep.equal(['to: must be after from']);
    expect(issues(alertListQuery.safeParse({ node: 'a/b' }))[0]).to.match(/^node: /);
    expect(alertListQuery.safeParse({ colour: 'red' }).success, 'unknown parameters are refused').to.equal(false);
  });

  it('validates action bodies', () => {
    expect(issues(commentBody.safeParse({ text: '  ' }))).to.deep.equal(['text: must not be empty']);
    expect(commentBody.parse({ text: ' ok ' }).text).to.equal('ok');
    expect(assignBody.parse({ assignee: null }).assignee).to.equal(null);
    expect(assignBody.safeParse({}).success).to.equal(false);
  });

  it('defaults an asset window to the last 24 h and caps it at 31 days', () => {
    const w = windowQuery.parse({ to: '2025-06-02T00:00:00Z' });
    expect(w).to.deep.equal({ from: Date.parse('2025-06-01T00:00:00Z'), to: Date.parse('2025-06-02T00:00:00Z') });
    expect(issues(windowQuery.safeParse({ from: '2025-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' }))).to.deep.equal([
      'from: window must not exceed 31 days',
    ]);
  });
});

describe('api/routes/webhooks: request schemas', () => {
  it('generates 32-byte whsec_ secrets, different each time', () => {
    const a = generateSecret();
    expect(a).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), 'base64')).to.have.length(32);
    expect(generateSecret()).to.not.equal(a);
  });

  it('accepts http(s) URLs, known event types and well-formed secrets only', () => {
    expect(
      subscriptionBody.safeParse({
        url: 'https://erp.example.com/hooks',
        eventTypes: ['alert.opened', 'sensor.offline'],
      }).success,
    ).to.equal(true);
    expect(issues(subscriptionBody.safeParse({ url: 'javascript:alert(1)' }))[0]).to.match(/^url: /);
    expect(issues(subscriptionBody.safeParse({ url: 'https://x.example', eventTypes: [] }))[0]).to.match(
      /^eventTypes: /,
    );
    expect(issues(subscriptionBody.safeParse({ url: 'https://x.example', secret: 'sk_live_123' }))[0]).to.equal(
      'secret: must be whsec_ followed by base64',
    );
    expect(
      issues(
        subscriptionBody.safeParse({
          url: 'https://x.example',
          secret: `whsec_${Buffer.alloc(65).toString('base64')}`,
        }),
      ),
    ).to.deep.equal(['secret: must decode to 24-64 bytes']);
    expect(issues(subscriptionBody.safeParse({ url: 'https://x.example', nodeIds: ['fw/1'] }))[0]).to.match(
      /^nodeIds\.0: /,
    );
    expect(replayBody.safeParse({ subscriptionId: '8b0e0e1e-3f63-4bd5-9d6a-2a3e8c1f0b11' }).success).to.equal(true);
    expect(replayBody.safeParse({ subscriptionId: 'x' }).success).to.equal(false);
  });
});

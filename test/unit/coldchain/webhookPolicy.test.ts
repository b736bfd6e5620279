import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import {
  HEALTHY_ENDPOINT,
  RETRY_SCHEDULE_MS,
  isDeliverySuccess,
  nextAttemptDelayMs,
  recordAttempt,
  shouldDisableEndpoint,
  webhookEvent,
} from '../../../domain/coldchain/webhookPolicy';
import { signWebhook, verifyWebhook, webhookHeaders } from '../../../coldchain/webhooks/signing';
import { T0, seededRandom } from './helpers';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const DAY = 24 * H;

// Independent verifier: HMAC-SHA256 over "id.timestamp.body" with the base64-decoded secret.
function independentSignature(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

function randomSecret(seed: number): string {
  const rand = seededRandom(seed);
  return `whsec_${Buffer.from(Array.from({ length: 32 }, () => Math.floor(rand() * 256))).toString('base64')}`;
}

describe('coldchain/webhookPolicy: retries and endpoint health', () => {
  it('follows the schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    expect(RETRY_SCHEDULE_MS).to.deep.equal([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    const delays = Array.from({ length: 10 }, (_, i) => nextAttemptDelayMs(i));
    expect(delays).to.deep.equal([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H, null, null]);
    expect(() => nextAttemptDelayMs(-1)).to.throw(RangeError);
    expect(() => nextAttemptDelayMs(1.5)).to.throw(RangeError);
    expect(nextAttemptDelayMs(1, [0, 42])).to.equal(42);
  });

  it('counts only a 2xx within 15 s as delivered', () => {
    expect(isDeliverySuccess(200, 1200)).to.equal(true);
    expect(isDeliverySuccess(204, 15_000)).to.equal(true);
    expect(isDeliverySuccess(200, 15_001)).to.equal(false);
    expect(isDeliverySuccess(301, 10)).to.equal(false);
    expect(isDeliverySuccess(500, 10)).to.equal(false);
    expect(isDeliverySuccess(null, 10)).to.equal(false);
  });

  it('disables an endpoint only after days of uninterrupted failure with an exhausted message', () => {
    let h = recordAttempt(HEALTHY_ENDPOINT, { ok: false, at: T0, exhausted: false });
    expect(h.failingSince).to.equal(T0);
    expect(shouldDisableEndpoint(h, T0 + 6 * DAY)).to.equal(false); // retries still running, nothing exhausted
    h = recordAttempt(h, { ok: false, at: T0 + DAY, exhausted: true });
    expect(h.failingSince).to.equal(T0);
    expect(shouldDisableEndpoint(h, T0 + 5 * DAY)).to.equal(false); // not *more* than 5 days
    expect(shouldDisableEndpoint(h, T0 + 5 * DAY + 1)).to.equal(true);
    expect(shouldDisableEndpoint(h, T0 + 2 * DAY + 1, 2)).to.equal(true); // configurable
    const healed = recordAttempt(h, { ok: true, at: T0 + 4 * DAY, exhausted: false });
    expect(healed).to.deep.equal({ failingSince: null, exhaustedMessages: 0, lastSuccessAt: T0 + 4 * DAY });
    expect(shouldDisableEndpoint(healed, T0 + 30 * DAY)).to.equal(false);
  });
});

describe('coldchain/webhookPolicy: envelope and signatures', () => {
  const secret = randomSecret(99);
  const id = 'msg_s1:high:1748779200000:opened';
  const body = JSON.stringify(webhookEvent('alert.opened', { sensorId: 's1', tempC: 6.2 }, id, T0));
  const ts = Math.floor(T0 / 1000);

  it('builds the envelope with a stable id and an ISO timestamp', () => {
    expect(webhookEvent('sensor.offline', { sensorId: 's1' }, 'msg_1', T0)).to.deep.equal({
      id: 'msg_1',
      type: 'sensor.offline',
      timestamp: '2025-06-01T12:00:00.000Z',
      data: { sensorId: 's1' },
    });
    expect(webhookEvent('alert.resolved', {}, 'msg_2')).to.deep.equal({
      id: 'msg_2',
      type: 'alert.resolved',
      data: {},
    });
  });

  it('signs exactly as an independent HMAC-SHA256 of "id.timestamp.body" (node:crypto)', () => {
    for (const seed of [1, 2, 3]) {
      const s = randomSecret(seed);
      expect(signWebhook(s, id, ts, body)).to.equal(independentSignature(s, id, ts, body));
    }
    expect(signWebhook(secret, id, ts, body)).to.not.equal(independentSignature(secret, id, ts, `${body} `));
  });

  it('matches the Standard Webhooks reference vector', () => {
    const sig = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).to.equal('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('produces headers that the standardwebhooks package itself accepts', () => {
    const nowSec = Math.floor(Date.now() / 1000); // the package's verify reads the real clock
    const headers = webhookHeaders(secret, id, nowSec, body);
    expect(new Webhook(secret).verify(body, headers)).to.deep.equal(JSON.parse(body));
  });

  it('verifies a genuine webhook against an injected clock, with headers in any case', () => {
    const h = webhookHeaders(secret, id, ts, body);
    expect(verifyWebhook(secret, h, body, T0)).to.deep.equal({ ok: true });
    const upper = {
      'Webhook-Id': h['webhook-id'],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'Webhook-Signature': h['webhook-signature'],
    };
    expect(verifyWebhook(secret, upper, body, T0 + 299_000)).to.deep.equal({ ok: true });
  });

  it('accepts any matching v1 signature among several (secret rotation)', () => {
    const h = webhookHeaders(secret, id, ts, body);
    const rotated = { ...h, 'webhook-signature': `v1,AAAA ${h['webhook-signature']} v2,zzz` };
    expect(verifyWebhook(secret, rotated, body, T0)).to.deep.equal({ ok: true });
  });

  it('rejects tampering, wrong secrets, stale or future timestamps and missing headers', () => {
    const h = webhookHeaders(secret, id, ts, body);
    const fail = (reason: string) => ({ ok: false, reason });
    expect(verifyWebhook(secret, h, body.replace('6.2', '9.9'), T0)).to.deep.equal(fail('no_matching_signature'));
    expect(verifyWebhook(randomSecret(5), h, body, T0)).to.deep.equal(fail('no_matching_signature'));
    expect(verifyWebhook(secret, { ...h, 'webhook-id': 'msg_other' }, body, T0)).to.deep.equal(
      fail('no_matching_signature'),
    );
    expect(verifyWebhook(secret, h, body, T0 + 301_000)).to.deep.equal(fail('timestamp_too_old'));
    expect(verifyWebhook(secret, h, body, T0 - 301_000)).to.deep.equal(fail('timestamp_too_new'));
    expect(verifyWebhook(secret, { ...h, 'webhook-timestamp': 'soon' }, body, T0)).to.deep.equal(fail('bad_timestamp'));
    expect(verifyWebhook(secret, { 'webhook-id': id }, body, T0)).to.deep.equal(fail('missing_headers'));
    expect(verifyWebhook('whsec_', h, body, T0)).to.deep.equal(fail('bad_secret'));
    expect(
      verifyWebhook(secret, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }, body, T0),
    ).to.deep.equal(fail('no_matching_signature'));
  });
});

// The lineage map (docs/privacy-lineage.json) is well formed and covers every webhook event
// type and every key of the alert payloads webhooks carry; the database side (columns and
// stored values) is checked in test/integration/privacy.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../domain/coldchain/webhookPolicy';
import { alertView, triggerView } from '../../../coldchain/views';
import type { AlertRecord } from '../../../db/alerts';
import type { RuleEvent } from '../../../domain/coldchain/ruleState';

const column = z.object({
  table: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  column: z.string().regex(/^[a-z_][a-z0-9_]*$/),
});
const lineageSchema = z.object({
  fields: z.record(z.string(), z.string().min(1)),
  stores: z
    .array(
      column
        .extend({
          fields: z.array(z.string()).min(1),
          form: z.string().min(1),
          erasure: z.string().min(1),
          retention: z.string().min(1),
        })
        .strict(),
    )
    .min(1),
  pseudonymousIds: z.array(column.strict()),
  notPersonal: z.array(column.extend({ why: z.string().min(1) }).strict()),
  sent: z.object({
    workflowHistories: z.object({ fields: z.array(z.string()), note: z.string() }),
    searchAttributes: z.object({ fields: z.array(z.string()) }),
    webhooks: z.record(z.string(), z.array(z.string())),
    logs: z.object({ fields: z.array(z.string()).length(0), note: z.string() }),
    apiResponses: z.record(z.string(), z.object({ fields: z.array(z.string()), form: z.string().optional() })),
  }),
});
const lineage = lineageSchema.parse(
  JSON.parse(readFileSync(join(__dirname, '../../../docs/privacy-lineage.json'), 'utf8')),
);

/** Payload keys that would carry a customer's personal data. */
const PERSONAL_KEY = /name|phone|mobile|address|email|lat$|lng$|lon$|location|customer|contact|recipient|door(?!Open)/i;

function keysOf(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keysOf(x, prefix));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => [`${prefix}${k}`, ...keysOf(x, `${prefix}${k}.`)]);
  return [];
}

describe('privacy lineage map', () => {
  it('declares every field it uses, and lists each column once', () => {
    const used = [
      ...lineage.stores.flatMap((s) => s.fields),
      ...lineage.sent.workflowHistories.fields,
      ...Object.values(lineage.sent.webhooks).flat(),
      ...Object.values(lineage.sent.apiResponses).flatMap((r) => r.fields),
    ];
    expect(used.filter((f) => !(f in lineage.fields))).to.deep.equal([]);
    const all = [...lineage.stores, ...lineage.pseudonymousIds, ...lineage.notPersonal].map(
      (c) => `${c.table}.${c.column}`,
    );
    expect(
      all.filter((c, i) => all.indexOf(c) !== i),
      'listed twice',
    ).to.deep.equal([]);
  });

  it('covers every webhook event type we publish, and no other', () => {
    expect(Object.keys(lineage.sent.webhooks).sort()).to.deep.equal([...WEBHOOK_EVENT_TYPES].sort());
  });

  it('finds no personal key in the alert and trigger payloads webhooks carry', () => {
    const record = {
      id: 'a',
      sourceId: 's',
      kind: 'excursion',
      rule: 'r',
      title: 't',
      status: 'open',
      severity: 'warning',
      sensorId: 'x',
      assetId: 'y',
      nodeId: 'n',
      profileId: 'p',
      openedAt: 0,
      severitySince: 0,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      assignee: null,
      escalationLevel: 0,
      nextEscalationAt: null,
      windowStart: 0,
      windowEnd: null,
      peakC: null,
      thresholdC: null,
      impactCheckedAt: null,
      updatedAt: 0,
    } as unknown as AlertRecord;
    const event = {
      id: 'e',
      type: 'excursion_started',
      sensorId: 'x',
      rule: 'excursion',
      severity: 'warning',
      ts: 0,
      startTs: 0,
      excursionId: null,
      tempC: 1,
      thresholdC: 2,
      peakC: 3,
      detail: '',
    } as unknown as RuleEvent;
    const keys = keysOf({ alert: alertView(record), trigger: triggerView(event) });
    expect(keys.length).to.be.greaterThan(20);
    const listedForWebhooks = new Set(Object.values(lineage.sent.webhooks).flat());
    expect(keys.filter((k) => PERSONAL_KEY.test(k.split('.').pop()!) && !listedForWebhooks.has(k))).to.deep.equal([]);
  });

  it('the key check catches a payload that gained a personal field', () => {
    expect(
      keysOf({ alert: { customerPhone: '1' } }).filter((k) => PERSONAL_KEY.test(k.split('.').pop()!)),
    ).to.deep.equal(['alert.customerPhone']);
  });
});

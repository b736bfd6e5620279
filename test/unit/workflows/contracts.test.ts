// Callers start workflows by the type name in a contract file, so a renamed workflow function
// would fail only at run time ("workflow type not registered"). These checks fail at test time.
import { expect } from 'chai';
import * as registered from '../../../workflows';
import * as forecasting from '../../../workflows/forecasting.contract';
import * as fulfilment from '../../../workflows/fulfilment.contract';
import * as order from '../../../workflows/order.contract';
import * as returns from '../../../workflows/returns.contract';
import * as transfer from '../../../workflows/transfer.contract';
import * as webhookDelivery from '../../../workflows/webhook-delivery.contract';
import type { forecastRunWorkflow } from '../../../workflows/forecasting';
import type { webhookDeliveryWorkflow } from '../../../workflows/webhook-delivery';

const contracts = { forecasting, fulfilment, order, returns, transfer, webhookDelivery };

describe('workflow contracts', () => {
  it('every *_WORKFLOW_TYPE names a workflow the bundle registers', () => {
    const names = Object.entries(contracts).flatMap(([file, exports]) =>
      Object.entries(exports)
        .filter(([key]) => key.endsWith('_WORKFLOW_TYPE'))
        .map(([key, value]) => ({ where: `${file}.${key}`, value: value as string })),
    );
    expect(names.length).to.be.greaterThanOrEqual(5);
    for (const { where, value } of names) {
      expect(typeof (registered as Record<string, unknown>)[value], where).to.equal('function');
    }
  });
});

// The contract's signature is the workflow's (checked by tsc).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const signaturesMatch: [
  Same<typeof forecastRunWorkflow, forecasting.ForecastRunWorkflow>,
  Same<typeof webhookDeliveryWorkflow, webhookDelivery.WebhookDeliveryWorkflow>,
] = [true, true];

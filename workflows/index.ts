// The workflow bundle's entry: every workflow type the worker registers.
export { noopWorkflow } from './noop';
export { orderWorkflow } from './order';
export { customerReturnWorkflow } from './returns';
export { fulfilmentWorkflow } from './fulfilment';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { maintenanceWorkflow } from './maintenance';
export { forecastRunWorkflow } from './forecasting';
export { transferWorkflow } from './transfer';

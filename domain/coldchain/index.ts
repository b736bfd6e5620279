// Cold-chain domain: telemetry contract, registry, bands, rules, MKT, shelf life, webhooks, alerts.
export * from './telemetry';
export * from './registry';
export * from './bands';
export * from './rules';
export * from './mkt';
export * from './shelfLife';
export * from './webhookPolicy';
export * from './alerts';

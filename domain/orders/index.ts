// Public surface of the order domain (pure, deterministic, safe to import from workflows).
export * from './types';
export * from './dates';
export * from './geo';
export * from './slots';
export * from './stock-index';
export * from './set-cover';
export * from './allocation';
export * from './merge';
export * from './bins';
export * from './waves';
export * from './lifecycle';
export { DEFAULT_RETURN_WINDOWS, resolveCustomerReturn, takeFromLots } from './returns';
export type {
  ReturnableLine,
  ReturnDecision,
  ReturnReason,
  ReturnRequestLine,
  ReturnWindows,
  SettledReturnLine,
} from './returns';
export type * from './contracts';
export type * from './pick-contracts';

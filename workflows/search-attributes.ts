import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered with the server by deploy/temporal.sh from deploy/temporal/search-attributes.txt;
// a test keeps the two lists equal. Never personal data: the payload codec does not cover these.

/** The customer order id (also the workflow id suffix). */
export const ORDER_ID = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
/** The node (front or store warehouse) a fulfilment runs on. */
export const NODE_ID = defineSearchAttributeKey('NodeId', SearchAttributeType.KEYWORD);
/** front | store. */
export const NODE_KIND = defineSearchAttributeKey('NodeKind', SearchAttributeType.KEYWORD);
/** The order or fulfilment status (received, allocated, picking, ...). */
export const ORDER_STATUS = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
/** When the delivery promise expires. */
export const SLA_DEADLINE = defineSearchAttributeKey('SlaDeadline', SearchAttributeType.DATETIME);
/** ambient / chilled / frozen zones the order touches. */
export const TEMPERATURE_ZONES = defineSearchAttributeKey('TemperatureZones', SearchAttributeType.KEYWORD_LIST);
/** Set when a cold-chain excursion touched stock in this order. */
export const COLD_CHAIN_RISK = defineSearchAttributeKey('ColdChainRisk', SearchAttributeType.BOOL);
/** instant | scheduled. */
export const SLOT_KIND = defineSearchAttributeKey('SlotKind', SearchAttributeType.KEYWORD);

/** Every custom key, for the registration check. */
export const ALL_SEARCH_ATTRIBUTES = [
  ORDER_ID,
  NODE_ID,
  NODE_KIND,
  ORDER_STATUS,
  SLA_DEADLINE,
  TEMPERATURE_ZONES,
  COLD_CHAIN_RISK,
  SLOT_KIND,
];

// MQTT topic scheme for cold-chain telemetry, contract v1.
//
// Modelled on Sparkplug's hierarchy (namespace / group / message type / edge node / device):
// the version sits in the topic so that a v2 contract can run next to v1 on the same broker,
// and the node (warehouse, store, van fleet) comes before the asset so that ACLs and shared
// subscriptions can be scoped per node with a single wildcard.

import { ID_PATTERN } from '../ids';
import { storableText } from '../text';

/** Root of every telemetry topic for contract v1. */
export const TOPIC_ROOT = 'freshchain/v1';

/** Allowed characters for node, asset, sensor and gateway ids: the one id pattern (domain/ids.ts says why). */
export { ID_PATTERN };

/** True when `id` is usable as a topic segment and inside event ids. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** Where a single reading comes from. */
export interface ReadingTopicAddress {
  kind: 'telemetry';
  nodeId: string;
  assetId: string;
  sensorId: string;
}

/** Where a gateway batch comes from. */
export interface BatchTopicAddress {
  kind: 'batch';
  nodeId: string;
  gatewayId: string;
}

/** A parsed topic: single-reading or gateway-batch. */
export type TopicAddress = ReadingTopicAddress | BatchTopicAddress;

/** Result of parsing a topic: the address, or why it is not a v1 telemetry topic. */
export type TopicParseResult =
  { ok: true; address: TopicAddress } | { ok: false; reason: 'bad_topic' | 'unknown_version'; detail: string };

/**
 * Builds the topic for an address. Throws RangeError for an id that is not a valid segment:
 * building a topic is done by our own code (simulator, tests, devices' config), so a bad id is
 * a programming error, unlike parsing which faces the outside world and never throws.
 */
export function topicFor(address: TopicAddress): string {
  const segments =
    address.kind === 'telemetry'
      ? [address.nodeId, address.assetId, address.sensorId]
      : [address.nodeId, address.gatewayId];
  for (const s of segments) {
    if (!isValidId(s)) throw new RangeError(`invalid topic segment: ${JSON.stringify(s)}`);
  }
  return `${TOPIC_ROOT}/${address.kind}/${segments.join('/')}`;
}

/** Topic for one sensor's single readings. */
export function readingTopic(nodeId: string, assetId: string, sensorId: string): string {
  return topicFor({ kind: 'telemetry', nodeId, assetId, sensorId });
}

/** Topic for a gateway's batches. */
export function batchTopic(nodeId: string, gatewayId: string): string {
  return topicFor({ kind: 'batch', nodeId, gatewayId });
}

/** Subscription filter matching every single-reading topic (optionally of one node). */
export function readingFilter(nodeId = '+'): string {
  return `${TOPIC_ROOT}/telemetry/${nodeId}/+/+`;
}

/** Subscription filter matching every batch topic (optionally of one node). */
export function batchFilter(nodeId = '+'): string {
  return `${TOPIC_ROOT}/batch/${nodeId}/+`;
}

/** Prefix of an MQTT 5 shared subscription. */
export const SHARED_SUBSCRIPTION_PREFIX = '$share';

/**
 * MQTT 5 shared subscription `$share/<group>/<filter>`: the broker hands each message to one
 * member of the group, which is how ingesters scale out. Throws RangeError on an invalid group
 * (it may not contain '/', '+' or '#') or an empty filter.
 */
export function sharedTopic(group: string, filter: string): string {
  if (!/^[^/+#]+$/.test(group)) throw new RangeError(`invalid share group: ${JSON.stringify(group)}`);
  if (filter.length === 0) throw new RangeError('empty topic filter');
  return `${SHARED_SUBSCRIPTION_PREFIX}/${group}/${filter}`;
}

/** Parses a topic into an address; never throws. */
export function parseTopic(topic: unknown): TopicParseResult {
  if (typeof topic !== 'string') return { ok: false, reason: 'bad_topic', detail: 'topic is not a string' };
  const parts = topic.split('/');
  const [root, version, kind, ...rest] = parts;
  if (root !== 'freshchain')
    return { ok: false, reason: 'bad_topic', detail: `not a freshchain topic: ${clip(topic)}` };
  if (version !== 'v1') {
    return { ok: false, reason: 'unknown_version', detail: `unsupported topic version: ${clip(String(version))}` };
  }
  const bad = rest.find((s) => !isValidId(s));
  if (bad !== undefined) return { ok: false, reason: 'bad_topic', detail: `invalid id segment: ${clip(bad)}` };
  if (kind === 'telemetry' && rest.length === 3) {
    const [nodeId, assetId, sensorId] = rest as [string, string, string];
    return { ok: true, address: { kind: 'telemetry', nodeId, assetId, sensorId } };
  }
  if (kind === 'batch' && rest.length === 2) {
    const [nodeId, gatewayId] = rest as [string, string];
    return { ok: true, address: { kind: 'batch', nodeId, gatewayId } };
  }
  return { ok: false, reason: 'bad_topic', detail: `unexpected topic shape: ${clip(topic)}` };
}

// Topics can be long junk (NUL and lone surrogates included); keep details short enough for a
// log line and storable in a text column.
function clip(s: string): string {
  return storableText(s, 120);
}

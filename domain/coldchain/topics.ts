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
 * A deployment's topic namespace: empty (topics start at `freshchain/v1`, the default), or one
 * id-like segment put in front of the root (`staging/freshchain/v1/...`), so that several
 * deployments, or test suites, share one broker without reading each other's telemetry.
 */
export const TOPIC_PREFIX_PATTERN = ID_PATTERN;

/** What a refused topic prefix is told. */
export const TOPIC_PREFIX_RULE = 'empty, or one topic segment: 1-64 letters, digits, dot, underscore or dash';

/** Topic building and parsing for one namespace; every producer and consumer of a deployment uses the same. */
export interface TopicScheme {
  /** The namespace segment, '' for none. */
  readonly prefix: string;
  /** What every topic of this scheme starts with: `[<prefix>/]freshchain/v1`. */
  readonly root: string;
  /**
   * Builds the topic for an address. Throws RangeError for an id that is not a valid segment:
   * building a topic is done by our own code (simulator, tests, devices' config), so a bad id
   * is a programming error, unlike parsing which faces the outside world and never throws.
   */
  topicFor(address: TopicAddress): string;
  /** Topic for one sensor's single readings. */
  readingTopic(nodeId: string, assetId: string, sensorId: string): string;
  /** Topic for a gateway's batches. */
  batchTopic(nodeId: string, gatewayId: string): string;
  /** Subscription filter matching every single-reading topic (optionally of one node). */
  readingFilter(nodeId?: string): string;
  /** Subscription filter matching every batch topic (optionally of one node). */
  batchFilter(nodeId?: string): string;
  /** Parses a topic of this namespace into an address; never throws. */
  parseTopic(topic: unknown): TopicParseResult;
}

/** The scheme of a namespace; throws RangeError on a prefix that is not one valid segment. */
export function topicScheme(prefix = ''): TopicScheme {
  if (prefix !== '' && !TOPIC_PREFIX_PATTERN.test(prefix))
    throw new RangeError(`invalid topic prefix ${JSON.stringify(prefix)}: ${TOPIC_PREFIX_RULE}`);
  const root = prefix === '' ? TOPIC_ROOT : `${prefix}/${TOPIC_ROOT}`;
  const topicFor = (address: TopicAddress): string => `${root}/${address.kind}/${checkedSegments(address).join('/')}`;
  return {
    prefix,
    root,
    topicFor,
    readingTopic: (nodeId, assetId, sensorId) => topicFor({ kind: 'telemetry', nodeId, assetId, sensorId }),
    batchTopic: (nodeId, gatewayId) => topicFor({ kind: 'batch', nodeId, gatewayId }),
    readingFilter: (nodeId = '+') => `${root}/telemetry/${nodeId}/+/+`,
    batchFilter: (nodeId = '+') => `${root}/batch/${nodeId}/+`,
    parseTopic: (topic) => parseInNamespace(prefix, topic),
  };
}

function checkedSegments(address: TopicAddress): string[] {
  const segments =
    address.kind === 'telemetry'
      ? [address.nodeId, address.assetId, address.sensorId]
      : [address.nodeId, address.gatewayId];
  for (const s of segments) {
    if (!isValidId(s)) throw new RangeError(`invalid topic segment: ${JSON.stringify(s)}`);
  }
  return segments;
}

/** The namespace without a prefix: what devices publish to unless a deployment says otherwise. */
export const DEFAULT_TOPICS: TopicScheme = topicScheme();

/** `DEFAULT_TOPICS.topicFor`. */
export const topicFor = DEFAULT_TOPICS.topicFor;
/** `DEFAULT_TOPICS.readingTopic`. */
export const readingTopic = DEFAULT_TOPICS.readingTopic;
/** `DEFAULT_TOPICS.batchTopic`. */
export const batchTopic = DEFAULT_TOPICS.batchTopic;
/** `DEFAULT_TOPICS.readingFilter`. */
export const readingFilter = DEFAULT_TOPICS.readingFilter;
/** `DEFAULT_TOPICS.batchFilter`. */
export const batchFilter = DEFAULT_TOPICS.batchFilter;
/** `DEFAULT_TOPICS.parseTopic`. */
export const parseTopic = DEFAULT_TOPICS.parseTopic;

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

function parseInNamespace(prefix: string, topic: unknown): TopicParseResult {
  if (typeof topic !== 'string') return { ok: false, reason: 'bad_topic', detail: 'topic is not a string' };
  const parts = topic.split('/');
  if (prefix !== '' && parts.shift() !== prefix)
    return { ok: false, reason: 'bad_topic', detail: `not in topic namespace ${prefix}: ${clip(topic)}` };
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

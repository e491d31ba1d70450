// Node identity: the `node` a client sends in its first request. ztunnel's id is
// "ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local"; istiod keys the proxy type on the first segment.
import type { envoy, google } from '../generated/proto.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** The plain form of envoy.config.core.v3.Node (the subset amesh uses). */
export interface NodeInfo {
  id: string;
  cluster?: string;
  metadata: Record<string, JsonValue>;
  userAgentName?: string;
  userAgentVersion?: string;
}

export interface ZtunnelNodeOptions {
  /** INSTANCE_IP; ztunnel falls back to 1.1.1.1. */
  ip?: string;
  podName: string;
  podNamespace: string;
  nodeName?: string;
  /** e.g. CLUSTER_ID (from ISTIO_META_CLUSTER_ID). */
  clusterId?: string;
  /** Extra metadata (ISTIO_META_<K> with the prefix stripped, proxyMetadata). */
  metadata?: Record<string, JsonValue>;
  /** Default svc.cluster.local. */
  domainSuffix?: string;
}

/** Builds ztunnel's node: id "ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local" and string metadata. */
export function ztunnelNode(o: ZtunnelNodeOptions): NodeInfo {
  const ip = o.ip || '1.1.1.1';
  const metadata: Record<string, JsonValue> = { ...(o.metadata ?? {}), NAME: o.podName, NAMESPACE: o.podNamespace, INSTANCE_IPS: ip };
  if (o.nodeName) metadata['NODE_NAME'] = o.nodeName;
  if (o.clusterId) metadata['CLUSTER_ID'] = o.clusterId;
  return { id: `ztunnel~${ip}~${o.podName}.${o.podNamespace}~${o.podNamespace}.${o.domainSuffix ?? 'svc.cluster.local'}`, metadata };
}

/** The parts of a "<type>~<ip>~<id>~<dns domain>" node id (istiod's ParseServiceNodeWithMetadata shape). */
export interface ParsedNodeId { type: string; ips: string[]; id: string; dnsDomain: string }

/** Parses a node id; undefined when it does not have four "~"-separated parts. */
export function parseNodeId(id: string): ParsedNodeId | undefined {
  const parts = id.split('~');
  if (parts.length !== 4 || !parts[0]) return undefined;
  return { type: parts[0], ips: parts[1] ? parts[1].split(',') : [], id: parts[2]!, dnsDomain: parts[3]! };
}

// ---- google.protobuf.Struct <-> JSON ---------------------------------------------------------------------------
function toValue(v: JsonValue): google.protobuf.Value.$Properties {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}
export function toStruct(o: Record<string, JsonValue>): google.protobuf.Struct.$Properties {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])) };
}
function fromValue(v: google.protobuf.Value.$Properties): JsonValue {
  if (v.stringValue != null) return v.stringValue;
  if (v.numberValue != null) return v.numberValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.structValue != null) return fromStruct(v.structValue);
  if (v.listValue != null) return (v.listValue.values ?? []).map(fromValue);
  return null;
}
export function fromStruct(s: google.protobuf.Struct.$Properties | null | undefined): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

export function nodeToProto(n: NodeInfo): envoy.config.core.v3.Node.$Properties {
  const out: envoy.config.core.v3.Node.$Properties = { id: n.id, metadata: toStruct(n.metadata) };
  if (n.cluster) out.cluster = n.cluster;
  if (n.userAgentName) out.userAgentName = n.userAgentName;
  if (n.userAgentVersion) out.userAgentVersion = n.userAgentVersion;
  return out;
}
export function nodeFromProto(n: envoy.config.core.v3.Node.$Properties | null | undefined): NodeInfo {
  const out: NodeInfo = { id: n?.id ?? '', metadata: fromStruct(n?.metadata) };
  if (n?.cluster) out.cluster = n.cluster;
  if (n?.userAgentName) out.userAgentName = n.userAgentName;
  if (n?.userAgentVersion) out.userAgentVersion = n.userAgentVersion;
  return out;
}

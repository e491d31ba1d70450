// Prometheus metrics of ztunnel (text exposition format 0.0.4, valid for `promtool check metrics`): the four
// `istio_tcp_*` traffic counters with upstream's full label set, `istio_tcp_connections_failed_total`, the
// `istio_tcp_sockets_open` gauge and `istio_build`. Byte counters include the bytes of still-open connections.
import type { Service, Workload } from '@amesh/xds';

/** Upstream's CommonTrafficLabels, in upstream order. Missing values are "unknown". */
export const TRAFFIC_LABELS = [
  'reporter',
  'source_workload', 'source_canonical_service', 'source_canonical_revision', 'source_workload_namespace',
  'source_principal', 'source_app', 'source_version', 'source_cluster',
  'destination_service', 'destination_service_namespace', 'destination_service_name',
  'destination_workload', 'destination_canonical_service', 'destination_canonical_revision',
  'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version',
  'destination_cluster',
  'request_protocol', 'response_flags', 'connection_security_policy',
] as const;
export type TrafficLabel = (typeof TRAFFIC_LABELS)[number];
export type TrafficLabels = Record<TrafficLabel, string>;

/** Response flags ztunnel reports. */
export type ResponseFlag = '-' | 'DENY' | 'CONNECT' | 'TLS_FAILURE' | 'H2_HANDSHAKE_FAILURE' | 'NETWORK_POLICY' | 'IDENTITY_ERROR';

const u = (v: string | undefined) => (v ? v : 'unknown');

/** Builds the label set for one connection. */
export function trafficLabels(input: {
  reporter: 'source' | 'destination';
  src?: Workload | undefined;
  srcIdentity?: string | undefined;
  dst?: Workload | undefined;
  dstIdentity?: string | undefined;
  service?: Service | undefined;
  mtls: boolean;
  flag?: ResponseFlag;
}): TrafficLabels {
  const { src, dst, service } = input;
  return {
    reporter: input.reporter,
    source_workload: u(src?.workloadName || src?.name),
    source_canonical_service: u(src?.canonicalName),
    source_canonical_revision: u(src?.canonicalRevision),
    source_workload_namespace: u(src?.namespace),
    source_principal: u(input.srcIdentity),
    source_app: u(src?.canonicalName),
    source_version: u(src?.canonicalRevision),
    source_cluster: u(src?.clusterId),
    destination_service: u(service?.hostname),
    destination_service_namespace: u(service?.namespace),
    destination_service_name: u(service?.name),
    destination_workload: u(dst?.workloadName || dst?.name),
    destination_canonical_service: u(dst?.canonicalName),
    destination_canonical_revision: u(dst?.canonicalRevision),
    destination_workload_namespace: u(dst?.namespace),
    destination_principal: u(input.dstIdentity),
    destination_app: u(dst?.canonicalName),
    destination_version: u(dst?.canonicalRevision),
    destination_cluster: u(dst?.clusterId),
    request_protocol: 'tcp',
    response_flags: input.flag ?? '-',
    connection_security_policy: input.mtls ? 'mutual_tls' : 'unknown',
  };
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
/** The exposition text of a label set, computed once per label object (label sets are cached per route). */
const labelTexts = new WeakMap<object, string>();
function labelText(labels: Readonly<Record<string, string>>): string {
  const hit = labelTexts.get(labels);
  if (hit !== undefined) return hit;
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  const text = parts.length ? `{${parts.join(',')}}` : '';
  labelTexts.set(labels, text);
  return text;
}

const NONE = {};
/**
 * Caches label sets per (source workload, destination workload, service) object and the remaining inputs, so a
 * connection reuses a frozen label object (and its exposition text) instead of building 23 labels. Workload and
 * Service objects are replaced on every xDS update, so a changed workload starts a fresh cache entry.
 */
export class TrafficLabelCache {
  private readonly cache = new WeakMap<object, WeakMap<object, WeakMap<object, Map<string, TrafficLabels>>>>();
  get(input: Parameters<typeof trafficLabels>[0]): TrafficLabels {
    const a = input.src ?? NONE;
    const b = input.dst ?? NONE;
    const c = input.service ?? NONE;
    let m1 = this.cache.get(a);
    if (!m1) this.cache.set(a, (m1 = new WeakMap()));
    let m2 = m1.get(b);
    if (!m2) m1.set(b, (m2 = new WeakMap()));
    let m3 = m2.get(c);
    if (!m3) m2.set(c, (m3 = new Map()));
    const k = `${input.reporter}|${input.srcIdentity ?? ''}|${input.dstIdentity ?? ''}|${input.mtls ? 1 : 0}|${input.flag ?? '-'}`;
    let labels = m3.get(k);
    if (!labels) {
      if (m3.size >= 64) m3.clear(); // bounded: identities are the only free-form part
      m3.set(k, (labels = Object.freeze(trafficLabels(input)) as TrafficLabels));
    }
    return labels;
  }
}

/** One connection's contribution to the byte counters while it is open. */
export interface LiveBytes {
  readonly labelKey: string;
  /** client -> server bytes so far (istio_tcp_received_bytes_total) */
  received(): number;
  /** server -> client bytes so far (istio_tcp_sent_bytes_total) */
  sent(): number;
}

/** A registry's counters as plain data ({@link Metrics.snapshot}). */
export interface MetricsSnapshot {
  families: [string, [string, number][]][];
  socketsOpen: { source: number; destination: number };
}

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

/** The metric registry of one ztunnel. */
export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly live = new Set<LiveBytes>();
  private socketsOpen = { source: 0, destination: 0 };

  constructor(opts: { version?: string } = {}) {
    this.family('istio_tcp_connections_opened_total', 'counter', 'The total number of TCP connections opened');
    this.family('istio_tcp_connections_closed_total', 'counter', 'The total number of TCP connections closed');
    this.family('istio_tcp_received_bytes_total', 'counter', 'The size of total bytes received during request in case of a TCP connection');
    this.family('istio_tcp_sent_bytes_total', 'counter', 'The size of total bytes sent during response in case of a TCP connection');
    this.family('istio_tcp_connections_failed_total', 'counter', 'The total number of TCP connections that failed to establish (unstable)');
    this.family('istio_build', 'gauge', 'Istio component build info').values.set(labelText({ component: 'ztunnel', tag: opts.version ?? 'unknown' }), 1);
  }

  private family(name: string, type: Family['type'], help: string): Family {
    const f = { help, type, values: new Map<string, number>() };
    this.families.set(name, f);
    return f;
  }

  private add(name: string, key: string, n: number): void {
    const f = this.families.get(name)!;
    f.values.set(key, (f.values.get(key) ?? 0) + n);
  }

  /** Records a connection open; returns the live byte counters to update while it runs. */
  opened(labels: TrafficLabels, bytes: { received(): number; sent(): number }): LiveBytes {
    const labelKey = labelText(labels);
    this.add('istio_tcp_connections_opened_total', labelKey, 1);
    this.socketsOpen[labels.reporter as 'source' | 'destination']++;
    const live: LiveBytes = { labelKey, received: bytes.received, sent: bytes.sent };
    this.live.add(live);
    return live;
  }

  /** Records a connection close and folds its bytes into the counters. */
  closed(live: LiveBytes, reporter: 'source' | 'destination'): void {
    if (!this.live.delete(live)) return;
    this.socketsOpen[reporter]--;
    this.add('istio_tcp_connections_closed_total', live.labelKey, 1);
    this.add('istio_tcp_received_bytes_total', live.labelKey, live.received());
    this.add('istio_tcp_sent_bytes_total', live.labelKey, live.sent());
  }

  /** A connection that failed before it was established (policy deny, no upstream, ...). */
  failed(labels: TrafficLabels): void {
    this.add('istio_tcp_connections_failed_total', labelText(labels), 1);
  }

  /**
   * The counters as plain data (bytes of open connections included), for another thread to merge into its
   * exposition (the multi-worker mode: each worker's registry is summed by the main thread).
   */
  snapshot(): MetricsSnapshot {
    const families: [string, [string, number][]][] = [];
    for (const [name, values] of this.current()) if (name !== 'istio_build') families.push([name, [...values]]);
    return { families, socketsOpen: { ...this.socketsOpen } };
  }

  private current(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const [name, f] of this.families) {
      const values = new Map(f.values);
      if (name === 'istio_tcp_received_bytes_total' || name === 'istio_tcp_sent_bytes_total') {
        for (const l of this.live) {
          const n = name === 'istio_tcp_received_bytes_total' ? l.received() : l.sent();
          values.set(l.labelKey, (values.get(l.labelKey) ?? 0) + n);
        }
      }
      out.set(name, values);
    }
    return out;
  }

  /** The text exposition; `merge` adds other registries' snapshots (same series are summed). */
  render(merge: readonly MetricsSnapshot[] = []): string {
    const out: string[] = [];
    const current = this.current();
    const open = { ...this.socketsOpen };
    for (const snap of merge) {
      for (const [name, values] of snap.families) {
        const into = current.get(name);
        if (!into) continue;
        for (const [k, v] of values) into.set(k, (into.get(k) ?? 0) + v);
      }
      open.source += snap.socketsOpen.source;
      open.destination += snap.socketsOpen.destination;
    }
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [k, v] of current.get(name)!) out.push(`${name}${k} ${v}`);
    }
    out.push('# HELP istio_tcp_sockets_open The current number of open TCP sockets (unstable)', '# TYPE istio_tcp_sockets_open gauge');
    out.push(`istio_tcp_sockets_open{reporter="source"} ${open.source}`);
    out.push(`istio_tcp_sockets_open{reporter="destination"} ${open.destination}`);
    return out.join('\n') + '\n';
  }
}

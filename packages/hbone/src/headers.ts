// CONNECT authority and the headers ztunnel sends with it (ambient-protocols §1.2): `forwarded`, `baggage`,
// `traceparent`, and `x-forwarded-network` on the inner CONNECT of double HBONE. Pure functions.
import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';
import { HboneError, HboneErrorCode } from './errors.js';

/** A parsed CONNECT authority: `ip:port` (IPv6 in brackets) or `host:port`. */
export interface Authority {
  /** IP address (without brackets) or hostname */
  readonly host: string;
  readonly port: number;
  /** 4 or 6 for an IP authority, 0 for a hostname */
  readonly family: 0 | 4 | 6;
  /** the canonical text form (`1.2.3.4:80`, `[::1]:80`, `example.com:80`) */
  readonly text: string;
}

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_AUTHORITY = 300;

/** The problems with an authority string (empty when valid). */
export function authorityProblems(raw: unknown, field = 'authority'): string[] {
  if (typeof raw !== 'string' || raw.length === 0) return [`${field}: required (ip:port or host:port)`];
  if (raw.length > MAX_AUTHORITY) return [`${field}: longer than ${MAX_AUTHORITY} characters`];
  let host: string;
  let portText: string;
  if (raw.startsWith('[')) {
    const end = raw.indexOf(']');
    if (end < 0 || raw[end + 1] !== ':') return [`${field}: ${JSON.stringify(raw)} is not [ipv6]:port`];
    host = raw.slice(1, end);
    portText = raw.slice(end + 2);
    if (isIP(host) !== 6) return [`${field}: ${JSON.stringify(host)} in brackets is not an IPv6 address`];
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon <= 0) return [`${field}: ${JSON.stringify(raw)} has no port (want ip:port or host:port)`];
    host = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
    if (host.includes(':')) return [`${field}: IPv6 address ${JSON.stringify(host)} must be written in brackets`];
    if (isIP(host) === 0) {
      const name = host.endsWith('.') ? host.slice(0, -1) : host;
      if (name.length > 253 || !name.split('.').every((l) => HOST_LABEL.test(l)) || /^[0-9.]+$/.test(name)) {
        return [`${field}: ${JSON.stringify(host)} is neither an IP address nor a valid hostname`];
      }
    }
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return [`${field}: port ${JSON.stringify(portText)} is not a number in 1..65535`];
  }
  return [];
}

/** Parses `ip:port`, `[ipv6]:port` or `host:port`. Throws HBONE_ERR_INVALID_AUTHORITY. */
export function parseAuthority(raw: string): Authority {
  const problems = authorityProblems(raw);
  if (problems.length > 0) throw new HboneError(HboneErrorCode.INVALID_AUTHORITY, problems[0], { details: problems });
  const bracket = raw.startsWith('[');
  const colon = raw.lastIndexOf(':');
  const host = bracket ? raw.slice(1, raw.indexOf(']')) : raw.slice(0, colon);
  const port = Number(raw.slice(colon + 1));
  const family = isIP(host) as 0 | 4 | 6;
  return { host, port, family, text: formatAuthority(host, port) };
}

/** `host:port`, with IPv6 addresses in brackets (as Rust's SocketAddr prints them). */
export function formatAuthority(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * ztunnel's `forwarded` value: `for="<src ip:port>"`, plus `;host=<service FQDN>` when the intended service is known.
 * Example: `for="[::1]:80";host=example.com`.
 */
export function forwardedHeader(sourceIp: string, sourcePort: number, serviceHost?: string): string {
  const f = `for="${formatAuthority(sourceIp, sourcePort)}"`;
  return serviceHost ? `${f};host=${serviceHost}` : f;
}

/** The `host=` of a `forwarded` header (the only part the inbound side reads; `for=` is ignored, as upstream). */
export function forwardedHost(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const part of value.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === 'host') {
      const v = part.slice(eq + 1).trim();
      return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

// randomness for trace IDs: 4 KiB from the CSPRNG at a time, hex-encoded once (one `randomBytes(24)` plus two hex
// conversions per tunnel cost ≈40 µs)
const POOL = Buffer.allocUnsafe(24 * 170);
let poolHex = '';
let poolAt = POOL.length * 2;

/** A new random W3C `traceparent` (`00-<32 hex>-<16 hex>-00`), one per outbound connection as ztunnel does. */
export function newTraceparent(random?: (n: number) => Buffer): string {
  if (random) {
    const b = random(24);
    return `00-${b.toString('hex', 0, 16)}-${b.toString('hex', 16, 24)}-00`;
  }
  if (poolAt + 48 > poolHex.length) {
    randomFillSync(POOL);
    poolHex = POOL.toString('hex');
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 48;
  return `00-${poolHex.slice(at, at + 32)}-${poolHex.slice(at + 32, at + 48)}-00`;
}

/** Workload metadata ztunnel puts in `baggage` (zt `src/baggage.rs`). Empty items are omitted. */
export interface BaggageFields {
  clusterId?: string;
  namespace?: string;
  /** `deployment`, `cronjob`, `pod` or `job` */
  workloadType?: string;
  workloadName?: string;
  service?: string;
  revision?: string;
  region?: string;
  zone?: string;
}

/** Builds the `baggage` header value from workload metadata. */
export function baggageHeader(f: BaggageFields): string {
  const items: [string, string | undefined][] = [
    ['k8s.cluster.name', f.clusterId],
    ['k8s.namespace.name', f.namespace],
    [`k8s.${f.workloadType || 'deployment'}.name`, f.workloadName],
    ['service.name', f.service],
    ['service.version', f.revision],
    ['cloud.region', f.region],
    ['cloud.availability_zone', f.zone],
  ];
  return items
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Parses a `baggage` header back into fields (unknown keys ignored). */
export function parseBaggage(value: string | undefined): BaggageFields {
  const out: BaggageFields = {};
  if (!value) return out;
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const k = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).split(';')[0]!.trim();
    if (k === 'k8s.cluster.name') out.clusterId = v;
    else if (k === 'k8s.namespace.name') out.namespace = v;
    else if (k === 'service.name') out.service = v;
    else if (k === 'service.version') out.revision = v;
    else if (k === 'cloud.region') out.region = v;
    else if (k === 'cloud.availability_zone') out.zone = v;
    else {
      const m = /^k8s\.(deployment|cronjob|pod|job)\.name$/.exec(k);
      if (m) {
        out.workloadType = m[1]!;
        out.workloadName = v;
      }
    }
  }
  return out;
}

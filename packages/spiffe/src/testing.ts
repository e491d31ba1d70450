// Test fixtures for packages that need SPIFFE certificates (`@amesh/spiffe/testing`): a throwaway CA and
// instant workload identities. Not for production use.
import type { KeyObject } from 'node:crypto';
import { CertificateAuthority } from './ca.js';
import { SpiffeId } from './id.js';
import { generateKeySync, type KeyType } from './keys.js';
import { Svid } from './svid.js';

export interface TestCaOptions {
  /** default `cluster.local` */
  trustDomain?: string;
  /** CA key type (default `ec`, P-256) */
  keyType?: KeyType;
  /** clock for issued certificates (default Date.now) */
  now?: () => number;
  /** issue under an intermediate instead of directly under the root (default false) */
  intermediate?: boolean;
}

export interface TestIssueOptions {
  /** lifetime in seconds (default 24 h) */
  ttlSeconds?: number;
  /** workload key type (default `ec`) */
  keyType?: KeyType;
  /** use this key instead of generating one */
  key?: KeyObject;
}

export interface TestCa {
  ca: CertificateAuthority;
  trustDomain: string;
  /** PEM of the root(s) */
  trustBundlePem: string;
  /**
   * A ready identity: key, chain, trust bundle and `secureContext()`. `id` may be a full SPIFFE ID, a principal
   * (`td/ns/x/sa/y`), or `ns/sa` shorthand (`default/sleep` → `spiffe://<td>/ns/default/sa/sleep`).
   */
  issue(id: SpiffeId | string, opts?: TestIssueOptions): Svid;
}

/** Resolves the loose id forms accepted by `TestCa.issue`. */
export function testId(id: SpiffeId | string, trustDomain = 'cluster.local'): SpiffeId {
  if (typeof id !== 'string') return id;
  if (id.startsWith('spiffe://')) return SpiffeId.parse(id);
  const parts = id.split('/');
  if (parts.length === 2) return SpiffeId.istio(trustDomain, parts[0]!, parts[1]!);
  return SpiffeId.fromPrincipal(id);
}

/** Creates a throwaway CA (P-256 by default; about a millisecond) and returns an `issue` helper. */
export async function createTestCa(opts: TestCaOptions = {}): Promise<TestCa> {
  const trustDomain = opts.trustDomain ?? 'cluster.local';
  const root = await CertificateAuthority.createRoot({
    trustDomain,
    type: opts.keyType ?? 'ec',
    ...(opts.now ? { now: opts.now } : {}),
  });
  const ca = opts.intermediate ? await CertificateAuthority.createIntermediate(root) : root;
  return {
    ca,
    trustDomain,
    trustBundlePem: ca.trustBundlePem,
    issue(id, io = {}) {
      const key = io.key ? { privateKey: io.key } : generateKeySync({ type: io.keyType ?? 'ec' });
      const sid = testId(id, trustDomain);
      const issued = ca.issue({ id: sid, publicKey: key.privateKey, ...(io.ttlSeconds ? { ttlSeconds: io.ttlSeconds } : {}) });
      return Svid.fromCertChain(key.privateKey, issued.certChain);
    },
  };
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for `CertificateManager` (and CA `now`): timers fire only from `advance(ms)`, in time order.
 * Start it at a fixed wall time (default 2030-01-01).
 */
export class FakeClock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const t = { id: ++this.#seq, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(t);
    return t.id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  };

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones those timers set). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
}

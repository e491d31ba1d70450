// Endpoint choice: pure, seedable functions, so a weighted split or a load balancer can be tested statistically.

/** A random source in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny, fast, seedable PRNG (not for cryptography). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks an index for relative integer weights (weight / sum). Zero weights are never picked. */
export function pickWeighted(weights: readonly number[], total: number, rng: Rng): number {
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return 0;
}

export type LbPolicy = 'ROUND_ROBIN' | 'RANDOM' | 'LEAST_REQUEST' | 'CONSISTENT_HASH' | 'PASSTHROUGH';

/** Round robin: the caller keeps the counter (state in, state out). */
export function roundRobin<T>(endpoints: readonly T[], counter: number): { endpoint: T | undefined; next: number } {
  if (endpoints.length === 0) return { endpoint: undefined, next: counter };
  return { endpoint: endpoints[counter % endpoints.length], next: counter + 1 };
}

export function random<T>(endpoints: readonly T[], rng: Rng): T | undefined {
  if (endpoints.length === 0) return undefined;
  return endpoints[Math.floor(rng() * endpoints.length)];
}

/** Envoy LEAST_REQUEST: power of `choiceCount` (default 2) random choices, the one with fewer active requests wins. */
export function leastRequest<T>(endpoints: readonly T[], active: (e: T) => number, rng: Rng, choiceCount = 2): T | undefined {
  if (endpoints.length === 0) return undefined;
  let best: T | undefined;
  let bestActive = Infinity;
  for (let i = 0; i < choiceCount; i++) {
    const e = endpoints[Math.floor(rng() * endpoints.length)]!;
    const a = active(e);
    if (a < bestActive) {
      best = e;
      bestActive = a;
    }
  }
  return best;
}

/** FNV-1a 32-bit: the consistent-hash key hash. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Consistent hash: the same key always picks the same endpoint for the same endpoint set. */
export function consistentHash<T>(endpoints: readonly T[], key: string): T | undefined {
  if (endpoints.length === 0) return undefined;
  return endpoints[hash32(key) % endpoints.length];
}

/** A stateful balancer over pure functions: round-robin counters per cluster, a seeded RNG, optional active counts. */
const NO_OPTS: { active?: never; hashKey?: never } = {};

export class Balancer {
  readonly #counters = new Map<string, number>();
  readonly #rng: Rng;
  constructor(rng: Rng) {
    this.#rng = rng;
  }
  pick<T>(cluster: string, policy: LbPolicy, endpoints: readonly T[], opts: { active?: (e: T) => number; hashKey?: string } = NO_OPTS): T | undefined {
    switch (policy) {
      case 'ROUND_ROBIN': {
        const r = roundRobin(endpoints, this.#counters.get(cluster) ?? 0);
        this.#counters.set(cluster, r.next);
        return r.endpoint;
      }
      case 'RANDOM':
        return random(endpoints, this.#rng);
      case 'CONSISTENT_HASH':
        return opts.hashKey !== undefined ? consistentHash(endpoints, opts.hashKey) : random(endpoints, this.#rng);
      case 'PASSTHROUGH':
        return endpoints[0];
      default:
        if (!opts.active) {
          // no active counts: every endpoint ties, the first of the two random choices wins
          return endpoints.length === 0 ? undefined : endpoints[Math.floor(this.#rng() * endpoints.length)];
        }
        return leastRequest(endpoints, opts.active, this.#rng);
    }
  }
}

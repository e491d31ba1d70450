// A small per-instance metrics registry (no global state): counters keyed by name and type URL, a gauge, and
// latency summaries over a bounded window of recent samples. `snapshot()` returns plain data; daemons export it.

/** count/sum/max over all samples; p50/p99 over the most recent `window` samples (ms). */
export interface LatencySummary { count: number; sumMs: number; maxMs: number; p50Ms: number; p99Ms: number }

export class LatencyRecorder {
  #ring: Float64Array;
  #n = 0;
  #count = 0;
  #sum = 0;
  #max = 0;
  constructor(window = 4096) {
    this.#ring = new Float64Array(window);
  }
  record(ms: number): void {
    this.#ring[this.#n % this.#ring.length] = ms;
    this.#n++;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }
  summary(): LatencySummary {
    const k = Math.min(this.#n, this.#ring.length);
    const s = Array.from(this.#ring.subarray(0, k)).sort((a, b) => a - b);
    const q = (p: number) => (k === 0 ? 0 : s[Math.min(k - 1, Math.ceil(p * k) - 1)]!);
    return { count: this.#count, sumMs: this.#sum, maxMs: this.#max, p50Ms: q(0.5), p99Ms: q(0.99) };
  }
}

/** Counters per type URL. */
export class CounterMap {
  readonly #m = new Map<string, number>();
  inc(key: string, by = 1): void {
    this.#m.set(key, (this.#m.get(key) ?? 0) + by);
  }
  get(key: string): number {
    return this.#m.get(key) ?? 0;
  }
  total(): number {
    let t = 0;
    for (const v of this.#m.values()) t += v;
    return t;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#m);
  }
}

// The shared resource cache: each resource is encoded once (its Any value, the envoy Resource wrapper used by
// delta responses, and the Any used by state-of-the-world responses) and those bytes are spliced into the
// responses of every stream. Versions are content hashes, so setting identical content is a no-op and a
// reconnecting client's initial_resource_versions still match after an istiod restart.
import { XdsErrorCode } from './errors.js';
import { encodeResourceOnce } from './grpc.js';
import { silentLogger, type Logger } from './logger.js';
import {
  addressAliases, addressName, authorizationName, encodeAddress, encodeAuthorization, type Address, type Authorization,
} from './model.js';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from './types.js';

/** One encoded resource, shared by every stream. Treat as immutable. */
export interface CachedResource {
  readonly typeUrl: string;
  readonly name: string;
  /** Content hash of value + aliases. */
  readonly version: string;
  readonly aliases: readonly string[];
  /** The encoded message (the Any value). */
  readonly value: Uint8Array;
  /** The encoded envoy.service.discovery.v3.Resource (delta). */
  readonly resourceBytes: Buffer;
  /** resourceBytes framed as field 2 of a DeltaDiscoveryResponse (resourceBytes is a view into it). */
  readonly resourceField: Buffer;
  /** The encoded google.protobuf.Any (state of the world). */
  readonly anyBytes: Buffer;
  /** Clock time (ms) of the set() that produced this version. */
  readonly changedAt: number;
}

/** What changed: the resource name(s), and in `keys` also every alias that was added or dropped. */
export interface CacheChange {
  typeUrl: string;
  /** Canonical resource names that changed or went away. */
  names: readonly string[];
  /** names plus affected aliases. */
  keys: readonly string[];
  at: number;
}

export interface ResourceCacheOptions {
  logger?: Logger;
  /** Largest accepted encoded resource (bytes); larger ones are refused with a log line. Default 4 MiB. */
  maxResourceBytes?: number;
  /** Milliseconds clock (default performance.now-based Date.now). */
  clock?: () => number;
}

export interface ResourceCacheStats {
  resources: Record<string, number>;
  bytes: Record<string, number>;
  sets: number;
  unchangedSets: number;
  deletes: number;
  oversizedRejected: number;
}

/**
 * A 64-bit content hash (two 32-bit multiplicative lanes, FNV-1a and a murmur-style mix) of the encoded value and the
 * aliases, as 16 hex digits. Versions are only compared for the same resource name, so this needs to tell one
 * state of a resource from the next, not resist an adversary; it is ~10x cheaper than crypto.createHash per call.
 */
export function contentVersion(value: Uint8Array, aliases: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  const mix = (b: number) => {
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  };
  for (let i = 0; i < value.length; i++) mix(value[i]!);
  for (const a of aliases) {
    mix(0);
    for (let i = 0; i < a.length; i++) {
      const c = a.charCodeAt(i);
      mix(c & 0xff);
      mix(c >>> 8);
    }
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

export class ResourceCache {
  readonly #types = new Map<string, Map<string, CachedResource>>();
  readonly #aliases = new Map<string, Map<string, string>>();
  readonly #listeners = new Set<(c: CacheChange) => void>();
  readonly #log: Logger;
  readonly #max: number;
  readonly #clock: () => number;
  #stats = { sets: 0, unchangedSets: 0, deletes: 0, oversizedRejected: 0 };

  constructor(opts: ResourceCacheOptions = {}) {
    this.#log = (opts.logger ?? silentLogger).child({ component: 'xds-cache' });
    this.#max = opts.maxResourceBytes ?? 4 * 1024 * 1024;
    this.#clock = opts.clock ?? Date.now;
  }

  /**
   * Stores (or replaces) one resource from its encoded message. Returns the cached entry, or undefined when the
   * resource is refused (larger than maxResourceBytes: logged with XDS_ERR_RESOURCE_TOO_LARGE and counted).
   */
  set(typeUrl: string, name: string, value: Uint8Array, aliases: readonly string[] = []): CachedResource | undefined {
    if (value.length > this.#max) {
      this.#stats.oversizedRejected++;
      this.#log.error({ code: XdsErrorCode.RESOURCE_TOO_LARGE, typeUrl, name, bytes: value.length, limit: this.#max },
        'resource refused: larger than maxResourceBytes; split it or raise the limit');
      return undefined;
    }
    this.#stats.sets++;
    const version = contentVersion(value, aliases);
    let byName = this.#types.get(typeUrl);
    if (!byName) this.#types.set(typeUrl, (byName = new Map()));
    const prev = byName.get(name);
    if (prev && prev.version === version) {
      this.#stats.unchangedSets++;
      return prev;
    }
    const at = this.#clock();
    const enc = encodeResourceOnce({ name, version, aliases, typeUrl, value });
    const entry: CachedResource = {
      typeUrl, name, version, aliases: [...aliases], value, resourceField: enc.field, resourceBytes: enc.resource, anyBytes: enc.any, changedAt: at,
    };
    byName.set(name, entry);
    const keys = new Set<string>([name]);
    const aliasIdx = this.#aliasIndex(typeUrl);
    for (const a of prev?.aliases ?? []) {
      if (!aliases.includes(a)) {
        keys.add(a);
        if (aliasIdx.get(a) === name) aliasIdx.delete(a);
      }
    }
    for (const a of aliases) {
      aliasIdx.set(a, name);
      keys.add(a);
    }
    this.#emit({ typeUrl, names: [name], keys: [...keys], at });
    return entry;
  }

  /** Removes a resource; returns whether it existed. */
  delete(typeUrl: string, name: string): boolean {
    const byName = this.#types.get(typeUrl);
    const prev = byName?.get(name);
    if (!byName || !prev) return false;
    this.#stats.deletes++;
    byName.delete(name);
    const aliasIdx = this.#aliasIndex(typeUrl);
    for (const a of prev.aliases) if (aliasIdx.get(a) === name) aliasIdx.delete(a);
    this.#emit({ typeUrl, names: [name], keys: [name, ...prev.aliases], at: this.#clock() });
    return true;
  }

  /** Looks a resource up by name, or by alias ("<network>/<ip>", ...). */
  get(typeUrl: string, nameOrAlias: string): CachedResource | undefined {
    const byName = this.#types.get(typeUrl);
    if (!byName) return undefined;
    const direct = byName.get(nameOrAlias);
    if (direct) return direct;
    const n = this.#aliases.get(typeUrl)?.get(nameOrAlias);
    return n === undefined ? undefined : byName.get(n);
  }

  /** Every resource of a type. */
  list(typeUrl: string): IterableIterator<CachedResource> {
    return (this.#types.get(typeUrl) ?? new Map<string, CachedResource>()).values();
  }

  size(typeUrl: string): number {
    return this.#types.get(typeUrl)?.size ?? 0;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (c: CacheChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- typed helpers for the Workload API ----
  /** Stores a Workload or Service under its resource name with its "<network>/<ip>" aliases. */
  setAddress(a: Address): CachedResource | undefined {
    return this.set(ADDRESS_TYPE_URL, addressName(a), encodeAddress(a), addressAliases(a));
  }
  deleteAddress(name: string): boolean {
    return this.delete(ADDRESS_TYPE_URL, name);
  }
  /** Stores an Authorization under "<namespace>/<name>". */
  setAuthorization(a: Authorization): CachedResource | undefined {
    return this.set(AUTHORIZATION_TYPE_URL, authorizationName(a), encodeAuthorization(a));
  }
  deleteAuthorization(name: string): boolean {
    return this.delete(AUTHORIZATION_TYPE_URL, name);
  }

  stats(): ResourceCacheStats {
    const resources: Record<string, number> = {};
    const bytes: Record<string, number> = {};
    for (const [t, m] of this.#types) {
      resources[t] = m.size;
      let b = 0;
      for (const r of m.values()) b += r.resourceBytes.length;
      bytes[t] = b;
    }
    return { resources, bytes, ...this.#stats };
  }

  #aliasIndex(typeUrl: string): Map<string, string> {
    let m = this.#aliases.get(typeUrl);
    if (!m) this.#aliases.set(typeUrl, (m = new Map()));
    return m;
  }

  #emit(c: CacheChange): void {
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch (err) {
        this.#log.error({ err, typeUrl: c.typeUrl }, 'cache change listener threw');
      }
    }
  }
}

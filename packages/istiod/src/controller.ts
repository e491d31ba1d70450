// The config controller: object source events → validation (mesh kinds) → the ambient index → the xDS cache.
// Invalid objects are rejected with field paths and reported; the last good version keeps serving. Changes are
// batched: every event marks work, one flush per tick recomputes and publishes.
import type { KindKey, KubeObject, Namespace, ObjectEvent, ObjectSource, Pod, Service as KService } from '@amesh/kube';
import type { ResourceCache } from '@amesh/xds';
import type { AmbientIndex, IndexChanges } from './ambient.js';
import type { Logger } from './logger.js';
import { validateObject, VALIDATED_KINDS } from './validation.js';

/** The validation state of one mesh object (for `/debug/config_status`). */
export interface ConfigStatusEntry {
  kind: KindKey;
  namespace: string;
  name: string;
  resourceVersion: string;
  /** Accepted: in use. Rejected: invalid; `servingLastGood` tells whether an older valid version is still in use. */
  state: 'Accepted' | 'Rejected';
  servingLastGood: boolean;
  errors: string[];
  warnings: string[];
}

export interface ConfigControllerOptions {
  source: ObjectSource;
  index: AmbientIndex;
  cache: ResourceCache;
  logger: Logger;
  /** Called after a flush that changed waypoints. */
  onWaypointsChanged?: () => void;
  /** Called after every flush with what it published. */
  onFlush?: (changes: IndexChanges) => void;
  /**
   * Kubernetes mode: write the validation result into the object's `status` (merge patch of the status
   * subresource). Called only when the result changed; failures are logged.
   */
  statusWriter?: (kind: KindKey, obj: KubeObject, status: Record<string, unknown>) => Promise<void>;
  /** Clock for condition timestamps (default Date.now). */
  now?: () => number;
}

/** Kinds whose status istiod owns: Istio CRDs, and Gateway API Gateways of the waypoint classes. */
function ownsStatus(kind: KindKey, obj: KubeObject): boolean {
  if (kind === 'HTTPRoute') return false;
  if (kind === 'Gateway') {
    const cls = (obj.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName;
    return cls === 'istio-waypoint' || cls === 'istio-mesh';
  }
  return true;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ConfigController {
  readonly #o: ConfigControllerOptions;
  readonly #log: Logger;
  readonly #status = new Map<string, ConfigStatusEntry>();
  /** Last valid version of every mesh object, per kind (what is serving). */
  readonly #good = new Map<KindKey, Map<string, KubeObject>>();
  #scheduled = false;
  #unsubscribe: (() => void) | undefined;
  #flushes = 0;
  /** Last status written per object (fingerprint without timestamps). */
  readonly #written = new Map<string, string>();
  #lastFlushAt: number | undefined;

  constructor(options: ConfigControllerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'config' });
  }

  /** Subscribes (replaying what the source already holds). */
  start(): void {
    this.#unsubscribe ??= this.#o.source.subscribe((ev) => this.#onEvent(ev), { replay: true });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Recomputes what changed and publishes it to the xDS cache now. */
  flush(): IndexChanges {
    this.#scheduled = false;
    const changes = this.#o.index.recompute();
    const cache = this.#o.cache;
    for (const a of changes.addresses.set) cache.setAddress(a);
    for (const n of changes.addresses.remove) cache.deleteAddress(n);
    for (const a of changes.authorizations.set) cache.setAuthorization(a);
    for (const n of changes.authorizations.remove) cache.deleteAuthorization(n);
    this.#flushes++;
    this.#lastFlushAt = Date.now();
    if (changes.waypointsChanged) this.#o.onWaypointsChanged?.();
    this.#o.onFlush?.(changes);
    return changes;
  }

  status(): ConfigStatusEntry[] {
    return [...this.#status.values()].sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`));
  }

  /** The valid mesh objects currently serving, per kind. */
  serving(kind: KindKey): KubeObject[] {
    return [...(this.#good.get(kind)?.values() ?? [])];
  }

  stats(): { flushes: number; lastFlushAt: number | undefined; rejected: number } {
    return { flushes: this.#flushes, lastFlushAt: this.#lastFlushAt, rejected: [...this.#status.values()].filter((s) => s.state === 'Rejected').length };
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      if (!this.#scheduled) return;
      try {
        this.flush();
      } catch (err) {
        this.#log.error({ err }, 'translation failed; the previous configuration keeps serving');
      }
    });
  }

  #onEvent(ev: ObjectEvent): void {
    const o = ev.object;
    const ns = o.metadata.namespace ?? 'default';
    const name = o.metadata.name;
    const del = ev.type === 'delete';
    const idx = this.#o.index;
    switch (ev.kind) {
      case 'Namespace':
        idx.applyNamespace(name, del ? undefined : (o as Namespace));
        break;
      case 'Pod':
        idx.applyPod(ns, name, del ? undefined : (o as Pod));
        break;
      case 'Service':
        idx.applyService(ns, name, del ? undefined : (o as KService));
        break;
      default:
        if (!VALIDATED_KINDS.includes(ev.kind)) return;
        this.#onMeshObject(ev, ns, name);
    }
    this.#schedule();
  }

  #onMeshObject(ev: ObjectEvent, ns: string, name: string): void {
    const kind = ev.kind;
    const key = `${kind}/${keyOf(ev.object)}`;
    const good = this.#good.get(kind) ?? new Map<string, KubeObject>();
    this.#good.set(kind, good);
    if (ev.type === 'delete') {
      this.#status.delete(key);
      this.#written.delete(key);
      if (good.delete(keyOf(ev.object))) this.#toIndex(kind, ns, name, undefined);
      return;
    }
    const r = validateObject(kind, ev.object, { rootNamespace: this.#o.index.mesh.rootNamespace });
    const base = { kind, namespace: ns, name, resourceVersion: ev.object.metadata.resourceVersion ?? '', errors: r.errors, warnings: r.warnings };
    this.#writeStatus(kind, key, ev.object, r.errors, r.warnings);
    if (r.errors.length > 0) {
      const servingLastGood = good.has(keyOf(ev.object));
      this.#status.set(key, { ...base, state: 'Rejected', servingLastGood });
      this.#log.warn({ kind, object: `${ns}/${name}`, errors: r.errors }, servingLastGood ? 'rejected invalid configuration; the last good version keeps serving' : 'rejected invalid configuration');
      return;
    }
    if (r.warnings.length > 0) this.#log.warn({ kind, object: `${ns}/${name}`, warnings: r.warnings }, 'configuration accepted with warnings');
    this.#status.set(key, { ...base, state: 'Accepted', servingLastGood: false });
    good.set(keyOf(ev.object), ev.object);
    this.#toIndex(kind, ns, name, ev.object, r.policy);
  }

  #writeStatus(kind: KindKey, key: string, obj: KubeObject, errors: readonly string[], warnings: readonly string[]): void {
    const write = this.#o.statusWriter;
    if (!write || !ownsStatus(kind, obj)) return;
    const accepted = errors.length === 0;
    const condition = {
      type: 'Accepted',
      status: accepted ? 'True' : 'False',
      reason: accepted ? 'Accepted' : 'Invalid',
      message: accepted ? (warnings.length ? `accepted with warnings: ${warnings.join('; ')}` : 'Resource accepted') : `rejected; the last valid version keeps serving: ${errors.join('; ')}`,
      ...(obj.metadata.generation !== undefined ? { observedGeneration: obj.metadata.generation } : {}),
    };
    const fp = JSON.stringify(condition);
    const current = (obj.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions?.find((c) => c.type === 'Accepted');
    const currentFp = current ? JSON.stringify({ type: current.type, status: current.status, reason: current.reason, message: current.message, ...(current.observedGeneration !== undefined ? { observedGeneration: current.observedGeneration } : {}) }) : undefined;
    if (this.#written.get(key) === fp || currentFp === fp) return;
    this.#written.set(key, fp);
    const status = { conditions: [{ ...condition, lastTransitionTime: new Date((this.#o.now ?? Date.now)()).toISOString() }] };
    write(kind, obj, status).catch((err: unknown) => {
      this.#written.delete(key);
      this.#log.warn({ err, kind, object: keyOf(obj) }, 'could not write the validation status');
    });
  }

  #toIndex(kind: KindKey, ns: string, name: string, obj: KubeObject | undefined, policy?: import('@amesh/rbac').Policy): void {
    const idx = this.#o.index;
    switch (kind) {
      case 'AuthorizationPolicy':
        idx.applyPolicy(ns, name, obj ? policy : undefined);
        break;
      case 'PeerAuthentication':
        idx.applyPeerAuthentication(ns, name, obj);
        break;
      case 'Gateway':
        idx.applyGateway(ns, name, obj);
        break;
      default:
        // VirtualService, DestinationRule, ServiceEntry, HTTPRoute, Istio Gateway: validated and kept (for the
        // waypoint / configz); they do not change what ztunnel receives.
        break;
    }
  }
}

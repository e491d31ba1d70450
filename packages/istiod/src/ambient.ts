// The incremental ambient index: holds the (valid) Kubernetes objects, knows which outputs each change affects,
// and recomputes only those. `apply*` records a change and marks what it touches dirty; `recompute()` translates
// the dirty set (pure functions in translate.ts) and returns the resource changes for the xDS cache.
import { workloadPolicyNames, type Policy } from '@amesh/rbac';
import type { KubeObject, Namespace, Pod, Service as KService } from '@amesh/kube';
import { addressName, authorizationName, type Address, type Authorization, type Service, type Workload } from '@amesh/xds';
import { convertPolicy } from './authz.js';
import {
  effectiveMtls,
  peerAuthFrom,
  podServiceAccount,
  podToWorkload,
  podUid,
  serviceHostname,
  serviceSelectsPod,
  serviceToService,
  serviceWaypoint,
  staticStrictPolicy,
  waypointAllowPolicy,
  waypointAllowPolicyName,
  waypointFromGateway,
  workloadWaypoint,
  STATIC_STRICT_POLICY,
  type MeshContext,
  type PeerAuth,
  type Waypoint,
  type WaypointLookup,
} from './translate.js';

/** What one recompute produced: resources to (re)publish and resource names to withdraw. */
export interface IndexChanges {
  addresses: { set: Address[]; remove: string[] };
  authorizations: { set: Authorization[]; remove: string[] };
  /** Waypoints changed (added, removed, or their address/scope changed). */
  waypointsChanged: boolean;
}

export interface AmbientIndexOptions {
  /** istiod AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY (default false). */
  enableDryRun?: boolean;
  /**
   * PILOT_AUTO_ALLOW_WAYPOINT_POLICY for every waypoint (default false). Legacy waypoint forms always get it: there
   * the waypoint enforced the workloads' policies, and ztunnel must admit the waypoint.
   */
  autoAllowWaypoints?: boolean;
}

function labelsMatch(entries: readonly [string, string][], labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of entries) if (labels?.[k] !== v) return false;
  return true;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
const nsOf = (o: KubeObject): string => o.metadata.namespace ?? 'default';

function bucket<V>(m: Map<string, Map<string, V>>, ns: string): Map<string, V> {
  let b = m.get(ns);
  if (!b) m.set(ns, (b = new Map()));
  return b;
}

export class AmbientIndex {
  readonly mesh: MeshContext;
  readonly #enableDryRun: boolean;
  readonly #autoAllowAll: boolean;
  /** Services' waypoints (svc key → waypoint), from the last service translation. */
  readonly #svcWaypoint = new Map<string, Waypoint>();
  /** Synthetic waypoint-allow policies currently published (name → ns/name key). */
  #allowPublished = new Set<string>();
  readonly #namespaces = new Map<string, Namespace>();
  readonly #pods = new Map<string, Map<string, Pod>>(); // ns → key → pod
  readonly #services = new Map<string, Map<string, KService>>();
  readonly #selectorPolicies = new Map<string, Map<string, Policy>>(); // ns → key → policy with a selector
  readonly #policies = new Map<string, Policy>();
  readonly #peerAuths = new Map<string, Map<string, PeerAuth>>();
  readonly #gateways = new Map<string, KubeObject>();
  readonly #waypoints = new Map<string, Waypoint>();
  readonly #legacy = new Map<string, Waypoint[]>();
  /** Per namespace: the selector policies that can apply there (its own + the root's), with compiled selectors. */
  readonly #policyLists = new Map<string, { key: string; entries: [string, string][] }[]>();
  readonly #peerAuthLists = new Map<string, PeerAuth[]>();
  // outputs
  readonly #workloads = new Map<string, Workload>(); // pod key → workload
  readonly #svcOut = new Map<string, Service>(); // svc key → service
  readonly #authz = new Map<string, Authorization>(); // ns/name → authorization
  readonly #policyStatus = new Map<string, readonly string[]>();
  // dirty sets
  #dirtyPods = new Set<string>();
  #dirtySvcs = new Set<string>();
  #dirtyPolicies = new Set<string>();
  #allDirty = false;
  #waypointsChanged = false;
  #strictPublished = false;
  readonly #lookup: WaypointLookup;

  constructor(mesh: MeshContext, options: AmbientIndexOptions = {}) {
    this.mesh = mesh;
    this.#enableDryRun = options.enableDryRun ?? false;
    this.#autoAllowAll = options.autoAllowWaypoints ?? false;
    this.#lookup = {
      get: (namespace, name) => this.#waypoints.get(`${namespace}/${name}`),
      legacy: (namespace) => this.#legacy.get(namespace) ?? [],
    };
  }

  // ---- inputs ------------------------------------------------------------------------------------------------
  applyNamespace(name: string, ns: Namespace | undefined): void {
    if (ns) this.#namespaces.set(name, ns);
    else this.#namespaces.delete(name);
    for (const k of this.#pods.get(name)?.keys() ?? []) this.#dirtyPods.add(k);
    for (const k of this.#services.get(name)?.keys() ?? []) this.#dirtySvcs.add(k);
  }

  applyPod(namespace: string, name: string, pod: Pod | undefined): void {
    const key = `${namespace}/${name}`;
    const b = bucket(this.#pods, namespace);
    const prev = b.get(key);
    if (pod) b.set(key, pod);
    else b.delete(key);
    this.#dirtyPods.add(key);
    // Legacy service-account waypoints make a Service's waypoint depend on its pods' service accounts.
    if ((this.#legacy.get(namespace)?.length ?? 0) > 0) {
      for (const [sk, svc] of this.#services.get(namespace) ?? []) {
        if ((prev && serviceSelectsPod(svc, prev)) || (pod && serviceSelectsPod(svc, pod))) this.#dirtySvcs.add(sk);
      }
    }
  }

  applyService(namespace: string, name: string, svc: KService | undefined): void {
    const key = `${namespace}/${name}`;
    const b = bucket(this.#services, namespace);
    const prev = b.get(key);
    if (svc) b.set(key, svc);
    else b.delete(key);
    this.#dirtySvcs.add(key);
    for (const [pk, pod] of this.#pods.get(namespace) ?? []) {
      if (this.#dirtyPods.has(pk)) continue;
      if ((prev && serviceSelectsPod(prev, pod)) || (svc && serviceSelectsPod(svc, pod))) this.#dirtyPods.add(pk);
    }
    // A waypoint may become addressable through the Service named after it.
    for (const [gk, gw] of this.#gateways) if (nsOf(gw) === namespace) this.#refreshWaypoint(gk);
  }

  /** A validated AuthorizationPolicy (undefined = deleted or no longer valid). */
  applyPolicy(namespace: string, name: string, policy: Policy | undefined): void {
    const key = `${namespace}/${name}`;
    const prev = this.#policies.get(key);
    if (policy) this.#policies.set(key, policy);
    else this.#policies.delete(key);
    this.#dirtyPolicies.add(key);
    const sel = bucket(this.#selectorPolicies, namespace);
    if (policy?.selector) sel.set(key, policy);
    else sel.delete(key);
    if (namespace === this.mesh.rootNamespace) this.#policyLists.clear();
    else this.#policyLists.delete(namespace);
    const selectors = [prev?.selector, policy?.selector].filter((s): s is Readonly<Record<string, string>> => !!s);
    if (selectors.length === 0) return;
    const compiled = selectors.map((s) => Object.entries(s));
    const namespaces = namespace === this.mesh.rootNamespace ? [...this.#pods.keys()] : [namespace];
    for (const ns of namespaces) {
      for (const [pk, pod] of this.#pods.get(ns) ?? []) {
        if (this.#dirtyPods.has(pk)) continue;
        if (compiled.some((entries) => labelsMatch(entries, pod.metadata.labels))) this.#dirtyPods.add(pk);
      }
    }
  }

  applyPeerAuthentication(namespace: string, name: string, obj: KubeObject | undefined): void {
    const b = bucket(this.#peerAuths, namespace);
    if (obj) b.set(`${namespace}/${name}`, peerAuthFrom(obj));
    else b.delete(`${namespace}/${name}`);
    this.#peerAuthLists.delete(namespace);
    const namespaces = namespace === this.mesh.rootNamespace ? [...this.#pods.keys()] : [namespace];
    for (const ns of namespaces) for (const k of this.#pods.get(ns)?.keys() ?? []) this.#dirtyPods.add(k);
  }

  /** A Gateway API Gateway (waypoints are the `istio-waypoint` / legacy `istio-mesh` ones). */
  applyGateway(namespace: string, name: string, gw: KubeObject | undefined): void {
    const key = `${namespace}/${name}`;
    if (gw) this.#gateways.set(key, gw);
    else this.#gateways.delete(key);
    this.#refreshWaypoint(key);
  }

  #refreshWaypoint(key: string): void {
    const gw = this.#gateways.get(key);
    const prev = this.#waypoints.get(key);
    const next = gw ? waypointFromGateway(gw, this.mesh, (ns, n) => this.#services.get(ns)?.has(`${ns}/${n}`) ?? false) : undefined;
    if (JSON.stringify(prev) === JSON.stringify(next)) return;
    if (next) this.#waypoints.set(key, next);
    else this.#waypoints.delete(key);
    const ns = key.slice(0, key.indexOf('/'));
    this.#legacy.set(ns, [...this.#waypoints.values()].filter((w) => w.namespace === ns && w.legacyServiceAccount !== undefined).sort((a, b) => a.name.localeCompare(b.name)));
    // Bindings can cross namespaces: recompute everything (waypoint changes are rare).
    this.#allDirty = true;
    this.#waypointsChanged = true;
  }

  // ---- recompute ---------------------------------------------------------------------------------------------
  /** Translates everything marked dirty since the last call. */
  recompute(): IndexChanges {
    const out: IndexChanges = { addresses: { set: [], remove: [] }, authorizations: { set: [], remove: [] }, waypointsChanged: this.#waypointsChanged };
    this.#waypointsChanged = false;
    if (this.#allDirty) {
      this.#allDirty = false;
      for (const b of this.#pods.values()) for (const k of b.keys()) this.#dirtyPods.add(k);
      for (const k of this.#workloads.keys()) this.#dirtyPods.add(k);
      for (const b of this.#services.values()) for (const k of b.keys()) this.#dirtySvcs.add(k);
      for (const k of this.#svcOut.keys()) this.#dirtySvcs.add(k);
    }
    if (!this.#strictPublished) {
      this.#strictPublished = true;
      const strict = staticStrictPolicy(this.mesh);
      this.#authz.set(authorizationName(strict), strict);
      out.authorizations.set.push(strict);
    }
    if (out.waypointsChanged) {
      const want = new Map<string, Authorization>();
      for (const w of this.#waypoints.values()) {
        if (!this.#allowsWaypoint(w)) continue;
        const a = waypointAllowPolicy(this.mesh, w);
        want.set(authorizationName(a), a);
      }
      for (const key of this.#allowPublished) {
        if (!want.has(key)) {
          this.#authz.delete(key);
          out.authorizations.remove.push(key);
        }
      }
      for (const [key, a] of want) {
        this.#authz.set(key, a);
        out.authorizations.set.push(a);
      }
      this.#allowPublished = new Set(want.keys());
    }
    for (const key of this.#dirtyPolicies) {
      const p = this.#policies.get(key);
      const conv = p ? convertPolicy(p, { rootNamespace: this.mesh.rootNamespace, enableDryRun: this.#enableDryRun }) : undefined;
      if (conv) this.#policyStatus.set(key, conv.status);
      else this.#policyStatus.delete(key);
      if (conv?.authorization) {
        this.#authz.set(key, conv.authorization);
        out.authorizations.set.push(conv.authorization);
      } else if (this.#authz.delete(key)) {
        out.authorizations.remove.push(key);
      }
    }
    this.#dirtyPolicies.clear();
    for (const key of this.#dirtySvcs) {
      const ns = key.slice(0, key.indexOf('/'));
      const svc = this.#services.get(ns)?.get(key);
      const prev = this.#svcOut.get(key);
      const next = svc ? this.#translateService(ns, key, svc) : undefined;
      if (next) {
        this.#svcOut.set(key, next);
        out.addresses.set.push({ service: next });
        if (prev && prev.hostname !== next.hostname) out.addresses.remove.push(`${prev.namespace}/${prev.hostname}`);
      } else if (prev) {
        this.#svcOut.delete(key);
        this.#svcWaypoint.delete(key);
        out.addresses.remove.push(addressName({ service: prev }));
      }
    }
    this.#dirtySvcs.clear();
    for (const key of this.#dirtyPods) {
      const ns = key.slice(0, key.indexOf('/'));
      const pod = this.#pods.get(ns)?.get(key);
      const next = pod ? this.#translatePod(ns, pod) : undefined;
      if (next) {
        this.#workloads.set(key, next);
        out.addresses.set.push({ workload: next });
      } else if (this.#workloads.delete(key)) {
        out.addresses.remove.push(podUid(this.mesh, ns, key.slice(ns.length + 1)));
      }
    }
    this.#dirtyPods.clear();
    return out;
  }

  #policiesFor(ns: string): { key: string; entries: [string, string][] }[] {
    let list = this.#policyLists.get(ns);
    if (!list) {
      const root = this.mesh.rootNamespace;
      const opts = { rootNamespace: root, enableDryRun: this.#enableDryRun };
      const candidates = [...(this.#selectorPolicies.get(ns)?.values() ?? []), ...(ns === root ? [] : this.#selectorPolicies.get(root)?.values() ?? [])];
      // rbac decides eligibility (targetRefs, CUSTOM/AUDIT, dry-run, namespace): a policy is listed on a workload of
      // this namespace exactly when rbac lists it for a workload carrying the policy's own selector labels.
      list = candidates
        .filter((p) => p.selector && workloadPolicyNames([p], { namespace: ns, labels: p.selector }, opts).length === 1)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((p) => ({ key: p.key, entries: Object.entries(p.selector!) }));
      this.#policyLists.set(ns, list);
    }
    return list;
  }

  #peerAuthsOf(ns: string): PeerAuth[] {
    let list = this.#peerAuthLists.get(ns);
    if (!list) this.#peerAuthLists.set(ns, (list = [...(this.#peerAuths.get(ns)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name))));
    return list;
  }

  #translatePod(ns: string, pod: Pod): Workload | undefined {
    const labels = pod.metadata.labels ?? {};
    const names: string[] = [];
    for (const p of this.#policiesFor(ns)) if (labelsMatch(p.entries, labels)) names.push(p.key);
    const root = this.mesh.rootNamespace;
    const mode = effectiveMtls(this.mesh, this.#peerAuthsOf(ns), this.#peerAuthsOf(root), ns, labels);
    if (mode === 'STRICT') names.push(`${root}/${STATIC_STRICT_POLICY}`);
    const namespace = this.#namespaces.get(ns);
    const waypoint = workloadWaypoint(pod, namespace, this.#lookup);
    if (this.#allowPublished.size > 0) {
      // Waypoints in front of this workload (its own, or its services'): admit their identity.
      const fronts = new Set<Waypoint>();
      if (waypoint) fronts.add(waypoint);
      for (const [sk, svc] of this.#services.get(ns) ?? []) {
        const w = this.#svcWaypoint.get(sk);
        if (w && serviceSelectsPod(svc, pod)) fronts.add(w);
      }
      for (const w of fronts) if (this.#allowsWaypoint(w)) names.push(`${w.namespace}/${waypointAllowPolicyName(w)}`);
    }
    return podToWorkload(this.mesh, {
      pod,
      namespace,
      services: this.#services.get(ns)?.values() ?? [],
      authorizationPolicies: names,
      waypoint,
    });
  }

  #translateService(ns: string, key: string, svc: KService): Service | undefined {
    const pods = this.#pods.get(ns);
    const podSas = function* () {
      for (const p of pods?.values() ?? []) if (serviceSelectsPod(svc, p)) yield podServiceAccount(p);
    };
    const wp = serviceWaypoint(svc, this.#namespaces.get(ns), this.#lookup, podSas);
    if (wp?.address) this.#svcWaypoint.set(key, wp);
    else this.#svcWaypoint.delete(key);
    return serviceToService(this.mesh, svc, wp);
  }

  #allowsWaypoint(w: Waypoint): boolean {
    return (this.#autoAllowAll || w.legacyForm !== undefined) && w.address !== undefined;
  }

  // ---- views -------------------------------------------------------------------------------------------------
  workloads(): Workload[] {
    return [...this.#workloads.values()];
  }
  services(): Service[] {
    return [...this.#svcOut.values()];
  }
  authorizations(): Authorization[] {
    return [...this.#authz.values()];
  }
  waypoints(): Waypoint[] {
    return [...this.#waypoints.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }
  /** Status messages of converted policies (e.g. "rules matching HTTP attributes are omitted"). */
  policyStatus(): Record<string, readonly string[]> {
    return Object.fromEntries([...this.#policyStatus].filter(([, s]) => s.length > 0));
  }
  pods(): Pod[] {
    const out: Pod[] = [];
    for (const b of this.#pods.values()) out.push(...b.values());
    return out;
  }
  /** The pods of a namespace running as a service account on a node (CA impersonation checks). */
  hasPodOnNode(namespace: string, serviceAccount: string, node: string): boolean {
    for (const p of this.#pods.get(namespace)?.values() ?? []) {
      if (p.spec?.nodeName === node && podServiceAccount(p) === serviceAccount && !p.metadata.deletionTimestamp) return true;
    }
    return false;
  }
  getPod(namespace: string, name: string): Pod | undefined {
    return this.#pods.get(namespace)?.get(`${namespace}/${name}`);
  }
  hostnameOf(namespace: string, name: string): string {
    return serviceHostname(this.mesh, namespace, name);
  }
  keyOf(o: KubeObject): string {
    return keyOf(o);
  }
}

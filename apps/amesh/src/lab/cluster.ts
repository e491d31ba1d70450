// The lab's tiny "kube-controller-manager + scheduler + kube-proxy" logic, as pure functions over plain Kubernetes
// objects: Deployments become Pods (kubelet-style names and uids), Pods are placed on nodes honouring pod
// anti-affinity, Services get ClusterIPs, endpoints and DNAT rules, and every pod gets its hosts entries.
import { createHash, randomUUID } from 'node:crypto';
import type { ServicePortRule } from './network.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  ownerReferences?: Array<{ kind: string; name: string; uid?: string; apiVersion?: string; controller?: boolean }>;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ containerPort: number; name?: string; protocol?: string }>;
}

export interface PodSpec {
  serviceAccountName?: string;
  nodeName?: string;
  containers: Container[];
  affinity?: {
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: Array<{ labelSelector?: { matchLabels?: Record<string, string> }; topologyKey?: string }>;
      preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight?: number; podAffinityTerm: { labelSelector?: { matchLabels?: Record<string, string> }; topologyKey?: string } }>;
    };
  };
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip: string }>; hostIP?: string; conditions?: Array<{ type: string; status: string }> };
}

export interface Deployment {
  apiVersion: string;
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template: { metadata?: Partial<ObjectMeta>; spec: PodSpec } };
}

export interface Service {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta;
  spec: { selector?: Record<string, string>; clusterIP?: string; ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }> };
}

/** What a container image runs in the lab. */
export type LabImage = 'fake-service' | 'httpbin' | 'sleep';

const IMAGES: Array<{ match: RegExp; image: LabImage; note: string }> = [
  { match: /(^|\/)fake-service(:|@|$)/, image: 'fake-service', note: 'nicholasjackson/fake-service (env NAME, MESSAGE, UPSTREAM_URIS, LISTEN_ADDR)' },
  { match: /(^|\/)(go-)?httpbin(:|@|$)/, image: 'httpbin', note: 'kennethreitz/httpbin, mccutchen/go-httpbin' },
  { match: /(^|\/)(curl|sleep|netshoot|busybox|alpine|ubuntu|debian)(:|@|$)|(^|\/)curl-ssl(:|@|$)/, image: 'sleep', note: 'curlimages/curl, governmentpaas/curl-ssl, busybox, alpine... (a shell with curl, for `amesh lab exec`)' },
];

/** Maps a container image to the local program; the error lists what is supported. */
export function imageFor(image: string): LabImage {
  const hit = IMAGES.find((i) => i.match.test(image));
  if (hit) return hit.image;
  throw new Error(`image "${image}" is not available in the lab; supported images: ${IMAGES.map((i) => i.note).join('; ')}`);
}

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789'; // kube's SafeEncodeString alphabet

function safeEncode(bytes: Buffer, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i % bytes.length]! % ALNUM.length];
  return s;
}

/** `<deployment>-<pod-template-hash>-<5 random>`, like a ReplicaSet names its pods. */
export function podNameFor(deploy: Deployment, random: () => Buffer): { name: string; templateHash: string } {
  const templateHash = safeEncode(createHash('sha256').update(JSON.stringify(deploy.spec.template)).digest(), 10);
  return { name: `${deploy.metadata.name}-${templateHash}-${safeEncode(random(), 5)}`, templateHash };
}

/** The pods a Deployment should have now: keeps matching existing pods, adds or removes to reach `replicas`. */
export function reconcileDeployment(
  deploy: Deployment,
  existing: readonly Pod[],
  opts: { random?: () => Buffer; uid?: () => string; now?: () => Date } = {},
): { create: Pod[]; remove: Pod[] } {
  const random = opts.random ?? (() => createHash('sha256').update(randomUUID()).digest());
  const ns = deploy.metadata.namespace ?? 'default';
  const replicas = deploy.spec.replicas ?? 1;
  const { templateHash } = podNameFor(deploy, random);
  const owned = existing.filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet' && o.name.startsWith(`${deploy.metadata.name}-`)) && (p.metadata.namespace ?? 'default') === ns);
  const current = owned.filter((p) => p.metadata.labels?.['pod-template-hash'] === templateHash);
  const outdated = owned.filter((p) => p.metadata.labels?.['pod-template-hash'] !== templateHash);
  const create: Pod[] = [];
  const remove: Pod[] = [...outdated];
  if (current.length > replicas) remove.push(...current.slice(replicas));
  const taken = new Set(existing.map((p) => p.metadata.name));
  for (let i = current.length; i < replicas; i++) {
    let name: string;
    do name = podNameFor(deploy, random).name;
    while (taken.has(name));
    taken.add(name);
    const tmeta = deploy.spec.template.metadata ?? {};
    create.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        uid: opts.uid?.() ?? randomUUID(),
        labels: { ...(tmeta.labels ?? {}), 'pod-template-hash': templateHash },
        ...(tmeta.annotations ? { annotations: { ...tmeta.annotations } } : {}),
        creationTimestamp: (opts.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deploy.metadata.name}-${templateHash}`, controller: true }],
      },
      spec: { serviceAccountName: 'default', ...structuredClone(deploy.spec.template.spec) },
    });
  }
  return { create, remove };
}

/**
 * Picks a node (1-based) for a pod: required anti-affinity excludes nodes that run a matching pod; preferred
 * anti-affinity and then load break ties (fewest pods first, lowest index last), like the default scheduler's spread.
 */
export function schedule(pod: Pod, nodes: number, placed: ReadonlyArray<{ pod: Pod; node: number }>): number {
  const ns = pod.metadata.namespace ?? 'default';
  const anti = pod.spec.affinity?.podAntiAffinity;
  const required = anti?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const preferred = anti?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const onNode = (n: number) => placed.filter((p) => p.node === n && (p.pod.metadata.namespace ?? 'default') === ns);
  let best = -1;
  let bestScore = Infinity;
  for (let n = 1; n <= nodes; n++) {
    const here = onNode(n);
    if (required.some((r) => here.some((p) => matches(r.labelSelector?.matchLabels, p.pod.metadata.labels)))) continue;
    const penalty = preferred.reduce((s, pr) => s + (here.some((p) => matches(pr.podAffinityTerm.labelSelector?.matchLabels, p.pod.metadata.labels)) ? (pr.weight ?? 1) : 0), 0);
    const score = penalty * 1000 + placed.filter((p) => p.node === n).length;
    if (score < bestScore) {
      bestScore = score;
      best = n;
    }
  }
  if (best < 0) throw new Error(`pod ${ns}/${pod.metadata.name} cannot be scheduled: its required pod anti-affinity excludes all ${nodes} nodes (add nodes with "amesh lab up --nodes N")`);
  return best;
}

/** The next free ClusterIP in 10.96.0.0/16 (10.96.0.10 and up; .1 is reserved like the kubernetes Service). */
export function allocateClusterIP(taken: ReadonlySet<string>): string {
  for (let i = 10; i < 65534; i++) {
    const ip = `10.96.${i >> 8}.${i & 255}`;
    if (!taken.has(ip)) return ip;
  }
  throw new Error('the lab Service CIDR 10.96.0.0/16 is full');
}

/** Resolves a Service port's targetPort (number, numeric string, or a named container port) for one pod. */
export function targetPortFor(port: { port: number; targetPort?: number | string }, pod: Pod): number | undefined {
  const tp = port.targetPort ?? port.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === tp) return p.containerPort;
  return undefined;
}

export function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** kube-proxy: every Service port with its ready endpoints. */
export function serviceRules(services: readonly Service[], pods: readonly Pod[]): ServicePortRule[] {
  const rules: ServicePortRule[] = [];
  for (const svc of services) {
    const vip = svc.spec.clusterIP;
    if (!vip || vip === 'None') continue;
    const ns = svc.metadata.namespace ?? 'default';
    const eps = pods.filter((p) => (p.metadata.namespace ?? 'default') === ns && matches(svc.spec.selector, p.metadata.labels) && isReady(p) && p.status?.podIP);
    for (const port of svc.spec.ports ?? []) {
      if ((port.protocol ?? 'TCP') !== 'TCP') continue;
      const endpoints = eps.flatMap((p) => {
        const tp = targetPortFor(port, p);
        return tp === undefined ? [] : [{ ip: p.status!.podIP!, port: tp }];
      });
      rules.push({ vip, port: port.port, endpoints });
    }
  }
  return rules;
}

/** Hosts entries as seen from a pod in `namespace`: `svc` (same namespace only), `svc.ns`, `svc.ns.svc`, FQDN. */
export function hostsEntries(namespace: string, services: readonly Service[], clusterDomain = 'cluster.local'): Array<{ ip: string; names: string[] }> {
  return services
    .filter((s) => s.spec.clusterIP && s.spec.clusterIP !== 'None')
    .map((s) => {
      const ns = s.metadata.namespace ?? 'default';
      const n = s.metadata.name;
      const names = [`${n}.${ns}.svc.${clusterDomain}`, `${n}.${ns}.svc`, `${n}.${ns}`];
      if (ns === namespace) names.push(n);
      return { ip: s.spec.clusterIP!, names };
    });
}

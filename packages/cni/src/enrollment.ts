// Who is in the mesh: Istio's ambient enrollment rules, as pure functions over the pod and namespace metadata.
// Facts: istio/istio cni/README.md (namespace or pod label istio.io/dataplane-mode=ambient; pod label =none opts
// out; pods with a sidecar, i.e. the sidecar.istio.io/status annotation, are skipped).

export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const DATAPLANE_MODE_AMBIENT = 'ambient';
export const DATAPLANE_MODE_NONE = 'none';
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** Set on a pod once its traffic is redirected, so istiod knows it can tunnel to it. */
export const REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';
export const REDIRECTION_ENABLED = 'enabled';

/** The pod facts the node agent works with (what a Kubernetes Pod object says, reduced). */
export interface PodInfo {
  uid: string;
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** status.podIPs (may be empty: the CNI ADD event also tells the agent). */
  ips: readonly string[];
  nodeName?: string;
  hostNetwork?: boolean;
  /** status.phase: Pending, Running, Succeeded, Failed. */
  phase?: string;
  /** metadata.deletionTimestamp is set. */
  terminating?: boolean;
}

export interface NamespaceInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** Whether a namespace's label puts its pods in the ambient mesh. */
export function namespaceEnrolled(ns: NamespaceInfo | undefined): boolean {
  return ns?.labels[DATAPLANE_MODE_LABEL] === DATAPLANE_MODE_AMBIENT;
}

/** Why a pod is or is not enrolled (for logs and the CHECK command). */
export type EnrollmentReason =
  | 'pod-label'
  | 'namespace-label'
  | 'pod-opted-out'
  | 'sidecar'
  | 'host-network'
  | 'not-labelled'
  | 'terminated';

export interface Enrollment {
  enrolled: boolean;
  reason: EnrollmentReason;
}

/** Istio's ambient enrollment decision for one pod. */
export function podEnrollment(pod: PodInfo, ns: NamespaceInfo | undefined): Enrollment {
  if (pod.hostNetwork) return { enrolled: false, reason: 'host-network' };
  if (pod.annotations[SIDECAR_STATUS_ANNOTATION] !== undefined) return { enrolled: false, reason: 'sidecar' };
  const podMode = pod.labels[DATAPLANE_MODE_LABEL];
  if (podMode === DATAPLANE_MODE_NONE) return { enrolled: false, reason: 'pod-opted-out' };
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return { enrolled: false, reason: 'terminated' };
  if (podMode === DATAPLANE_MODE_AMBIENT) return { enrolled: true, reason: 'pod-label' };
  if (namespaceEnrolled(ns)) return { enrolled: true, reason: 'namespace-label' };
  return { enrolled: false, reason: 'not-labelled' };
}

/** Reduces a Kubernetes Pod object (API JSON shape) to PodInfo. Unknown shapes give empty fields, never throw. */
export function podInfoFromObject(obj: unknown): PodInfo {
  const o = (obj ?? {}) as {
    metadata?: { uid?: string; name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: unknown };
    spec?: { nodeName?: string; hostNetwork?: boolean };
    status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[] };
  };
  const md = o.metadata ?? {};
  const ips = (o.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
  if (ips.length === 0 && o.status?.podIP) ips.push(o.status.podIP);
  const namespace = md.namespace ?? 'default';
  const info: PodInfo = {
    // Objects from a state directory may carry no uid: the namespace/name then names the pod.
    uid: md.uid || `${namespace}/${md.name ?? ''}`,
    name: md.name ?? '',
    namespace,
    labels: { ...(md.labels ?? {}) },
    annotations: { ...(md.annotations ?? {}) },
    ips,
  };
  if (o.spec?.nodeName) info.nodeName = o.spec.nodeName;
  if (o.spec?.hostNetwork) info.hostNetwork = true;
  if (o.status?.phase) info.phase = o.status.phase;
  if (md.deletionTimestamp) info.terminating = true;
  return info;
}

/** Reduces a Kubernetes Namespace object to NamespaceInfo. */
export function namespaceInfoFromObject(obj: unknown): NamespaceInfo {
  const md = ((obj ?? {}) as { metadata?: { name?: string; labels?: Record<string, string> } }).metadata ?? {};
  return { name: md.name ?? '', labels: { ...(md.labels ?? {}) } };
}

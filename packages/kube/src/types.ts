// Typed Kubernetes objects and the table of kinds @amesh/kube knows how to list and watch. Shapes carry only the
// fields amesh reads; everything else is kept verbatim (objects are plain JSON).

/** `metadata` of every object. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

/** Any Kubernetes object: `apiVersion`, `kind`, `metadata`, and the rest as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  serviceAccount?: string;
  hostNetwork?: boolean;
  containers?: { name: string; image?: string; ports?: ContainerPort[]; [key: string]: unknown }[];
  [key: string]: unknown;
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: { type: string; status: string }[];
  [key: string]: unknown;
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec?: PodSpec;
  status?: PodStatus;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  selector?: Record<string, string>;
  ports?: ServicePort[];
  [key: string]: unknown;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec?: ServiceSpec;
}

export interface ServiceAccount extends KubeObject {
  kind: 'ServiceAccount';
}

export interface Node extends KubeObject {
  kind: 'Node';
  status?: { addresses?: { type: string; address: string }[]; [key: string]: unknown };
}

/** Istio and Gateway API custom resources: `spec` (and `status`) kept as plain JSON; istiod validates them. */
export interface CustomObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** The kinds amesh watches. `Gateway` is the Gateway API one; `IstioGateway` is `networking.istio.io` Gateway. */
export type KindKey =
  | 'Namespace'
  | 'Pod'
  | 'Service'
  | 'ServiceAccount'
  | 'Node'
  | 'AuthorizationPolicy'
  | 'PeerAuthentication'
  | 'VirtualService'
  | 'DestinationRule'
  | 'ServiceEntry'
  | 'Gateway'
  | 'HTTPRoute'
  | 'IstioGateway';

/** The TypeScript type of each kind. */
export interface KindTypes {
  Namespace: Namespace;
  Pod: Pod;
  Service: Service;
  ServiceAccount: ServiceAccount;
  Node: Node;
  AuthorizationPolicy: CustomObject;
  PeerAuthentication: CustomObject;
  VirtualService: CustomObject;
  DestinationRule: CustomObject;
  ServiceEntry: CustomObject;
  Gateway: CustomObject;
  HTTPRoute: CustomObject;
  IstioGateway: CustomObject;
}

export interface KindInfo {
  key: KindKey;
  /** `""` for the core group. */
  group: string;
  kind: string;
  /** The version listed and watched through the API server. */
  version: string;
  plural: string;
  namespaced: boolean;
}

/** Every kind, in a stable order (cluster-scoped first). */
export const KINDS: Readonly<Record<KindKey, KindInfo>> = {
  Namespace: { key: 'Namespace', group: '', kind: 'Namespace', version: 'v1', plural: 'namespaces', namespaced: false },
  Node: { key: 'Node', group: '', kind: 'Node', version: 'v1', plural: 'nodes', namespaced: false },
  Pod: { key: 'Pod', group: '', kind: 'Pod', version: 'v1', plural: 'pods', namespaced: true },
  Service: { key: 'Service', group: '', kind: 'Service', version: 'v1', plural: 'services', namespaced: true },
  ServiceAccount: { key: 'ServiceAccount', group: '', kind: 'ServiceAccount', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  AuthorizationPolicy: { key: 'AuthorizationPolicy', group: 'security.istio.io', kind: 'AuthorizationPolicy', version: 'v1', plural: 'authorizationpolicies', namespaced: true },
  PeerAuthentication: { key: 'PeerAuthentication', group: 'security.istio.io', kind: 'PeerAuthentication', version: 'v1', plural: 'peerauthentications', namespaced: true },
  VirtualService: { key: 'VirtualService', group: 'networking.istio.io', kind: 'VirtualService', version: 'v1', plural: 'virtualservices', namespaced: true },
  DestinationRule: { key: 'DestinationRule', group: 'networking.istio.io', kind: 'DestinationRule', version: 'v1', plural: 'destinationrules', namespaced: true },
  ServiceEntry: { key: 'ServiceEntry', group: 'networking.istio.io', kind: 'ServiceEntry', version: 'v1', plural: 'serviceentries', namespaced: true },
  IstioGateway: { key: 'IstioGateway', group: 'networking.istio.io', kind: 'Gateway', version: 'v1', plural: 'gateways', namespaced: true },
  Gateway: { key: 'Gateway', group: 'gateway.networking.k8s.io', kind: 'Gateway', version: 'v1', plural: 'gateways', namespaced: true },
  HTTPRoute: { key: 'HTTPRoute', group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', version: 'v1', plural: 'httproutes', namespaced: true },
};

export const ALL_KINDS: readonly KindKey[] = Object.keys(KINDS) as KindKey[];

/** The group of an `apiVersion` (`"v1"` → `""`, `"security.istio.io/v1"` → `"security.istio.io"`). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The kind key of an object from its `apiVersion` and `kind` (any served version), or undefined if amesh does not watch it. */
export function kindKeyOf(obj: { apiVersion?: unknown; kind?: unknown }): KindKey | undefined {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return undefined;
  const group = groupOf(obj.apiVersion);
  for (const info of Object.values(KINDS)) {
    if (info.kind === obj.kind && info.group === group) return info.key;
  }
  return undefined;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key objects are stored under. */
export function objectKey(obj: { metadata: { name: string; namespace?: string | undefined } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

// The normalized model the router compiles from. `loadConfig` (validate.ts) turns parsed Kubernetes objects into these,
// listing every problem with its field path; nothing here is ever re-validated per request.
import type { CompiledRegex } from './regex.js';

export type StringMatch =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'regex'; value: string; regex: CompiledRegex }
  /** `{}` or `regex: "*"` on headers / query parameters: the value is present */
  | { kind: 'present' };

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers: Array<[string, StringMatch]>;
  withoutHeaders: Array<[string, StringMatch]>;
  queryParams: Array<[string, StringMatch]>;
  ignoreUriCase: boolean;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  /** resolved gateway names (`ns/name` or `mesh`) */
  gateways: string[];
}

export interface Destination {
  /** as written */
  host: string;
  /** resolved against the rule's namespace */
  fqdn: string;
  subset?: string;
  port?: number;
}

export interface HeaderOps {
  set: Array<[string, string]>;
  add: Array<[string, string]>;
  remove: string[];
}

export interface Headers {
  request?: HeaderOps;
  response?: HeaderOps;
}

export interface RouteDestination {
  destination: Destination;
  weight: number;
  headers?: Headers;
}

export interface HTTPRedirect {
  uri?: string;
  prefixRewrite?: string;
  authority?: string;
  scheme?: string;
  port?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  redirectCode: number;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: { match: CompiledRegex; rewrite: string };
}

export interface HTTPRetry {
  attempts: number;
  perTryTimeoutNs?: number;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  backoffNs?: number;
}

export interface HTTPFault {
  delay?: { fixedDelayNs?: number; exponential: boolean; percentage: number };
  abort?: { httpStatus?: number; grpcStatus?: string; percentage: number };
}

export interface HTTPMirror {
  destination: Destination;
  percentage: number;
}

export interface HTTPRoute {
  name?: string;
  match: HTTPMatchRequest[];
  route: RouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: { status: number; body?: string };
  delegate?: { name: string; namespace: string };
  rewrite?: HTTPRewrite;
  timeoutNs?: number;
  retries?: HTTPRetry;
  fault?: HTTPFault;
  mirrors: HTTPMirror[];
  headers?: Headers;
  corsPolicy?: CorsPolicy;
}

/** corsPolicy as Envoy gets it (route.go translateCORSPolicy). */
export interface CorsPolicy {
  allowOrigins: StringMatch[];
  /** joined with "," */
  allowMethods?: string;
  allowHeaders?: string;
  exposeHeaders?: string;
  /** seconds, as Envoy's max_age string */
  maxAge?: string;
  allowCredentials?: boolean;
  /** FORWARD (default) or IGNORE */
  unmatchedPreflights: 'FORWARD' | 'IGNORE';
}

export interface Meta {
  name: string;
  namespace: string;
  /** ms since epoch, or undefined */
  created?: number;
  /** position in the input, the tie-breaker after creationTimestamp */
  order: number;
  labels: Record<string, string>;
}

export interface VirtualService extends Meta {
  kind: 'VirtualService';
  /** resolved hosts (FQDN for short names); empty for a delegate VirtualService */
  hosts: string[];
  /** resolved gateway names; `mesh` when omitted */
  gateways: string[];
  exportTo: string[];
  http: HTTPRoute[];
}

export interface LoadBalancer {
  simple?: 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';
  consistentHash?: { httpHeaderName?: string; httpQueryParameterName?: string; useSourceIp?: boolean; httpCookie?: { name: string } };
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancer;
  connectionPool?: Record<string, unknown>;
  outlierDetection?: Record<string, unknown>;
  tls?: Record<string, unknown>;
  portLevelSettings?: Array<TrafficPolicy & { port: number }>;
}

export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRule extends Meta {
  kind: 'DestinationRule';
  host: string;
  exportTo: string[];
  trafficPolicy?: TrafficPolicy;
  subsets: Subset[];
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service extends Meta {
  kind: 'Service' | 'ServiceEntry';
  /** FQDN (`name.ns.svc.<domain>` for Kubernetes Services, the host for ServiceEntries) */
  hostname: string;
  ports: ServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  exportTo: string[];
  /** ServiceEntry static endpoints */
  seEndpoints?: Array<{ address: string; labels: Record<string, string>; ports?: Record<string, number> }>;
  resolution?: string;
}

export interface Pod extends Meta {
  kind: 'Pod';
  ip?: string;
  /** named container ports (spec.containers[].ports[].name -> containerPort), for named Service targetPorts */
  ports?: Record<string, number>;
}

export interface RouterConfigModel {
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
  services: Service[];
  pods: Pod[];
  rootNamespace: string;
  domainSuffix: string;
}

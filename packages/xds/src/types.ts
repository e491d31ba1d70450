// Type URLs of the resources amesh serves, as ztunnel and istiod spell them.

/** What ztunnel subscribes to: workloads and services (istio.workload.Address). */
export const ADDRESS_TYPE_URL = 'type.googleapis.com/istio.workload.Address';
/** What ztunnel subscribes to: L4 policies (always a wildcard subscription). */
export const AUTHORIZATION_TYPE_URL = 'type.googleapis.com/istio.security.Authorization';
/** Served by istiod, not used by ztunnel. */
export const WORKLOAD_TYPE_URL = 'type.googleapis.com/istio.workload.Workload';

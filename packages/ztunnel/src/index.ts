// Public API of @amesh/ztunnel. Only what is exported here is public (package.json "exports").
export { ZtunnelError, ZtunnelErrorCode } from './errors.js';
export { validateConfig, DEFAULT_PORTS, type ZtunnelConfig, type ZtunnelConfigInput, type ZtunnelPorts } from './config.js';
export { build, type Ztunnel, type ZtunnelDeps, type HboneAcceptor } from './ztunnel.js';
export { ProxyState, workloadIdentity, canonicalIp, serviceKey, applyStateOps, type Rejected, type StateOp } from './state.js';
export { buildWorkers, type WorkersDeps, type WorkersZtunnel } from './workers.js';
export { resolveOutbound, chooseWeighted, targetPort, hostPort, HBONE_PORT, type Route, type RouteOptions } from './route.js';
export { Metrics, trafficLabels, TrafficLabelCache, TRAFFIC_LABELS, type MetricsSnapshot, type TrafficLabels, type TrafficLabel, type ResponseFlag } from './metrics.js';
export { baggage, traceparent, type Logger, type IdentityProvider, type HboneDialer, type InboundRequest } from './proxy.js';
export { acceptSocks5, SOCKS5_SUCCESS, type Socks5Request } from './socks5.js';
export { makeTransparent, isTransparent, originalDst, loadSockopt, bindSocket, canBindSockets, closeFd, DEFAULT_ADDON_PATH, type SockoptBinding, type TransparentOptions, type BindSocketOptions } from './sockopt.js';
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';

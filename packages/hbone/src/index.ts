// Public API of @amesh/hbone. Only what is exported here is public (package.json "exports").
export { HboneError, HboneErrorCode } from './errors.js';
export { HboneServer, serverOptionProblems, type HboneServerOptions, type InboundTunnel, type TunnelHandler, type LocalEndpoint, type ListenOptions } from './server.js';
export {
  HbonePool,
  poolKey,
  poolOptionProblems,
  type HbonePoolOptions,
  type ConnectRequest,
  type DoubleHboneRequest,
  type OutboundTunnel,
  type PoolStats,
  type SocketFactory,
} from './pool.js';
export {
  parseAuthority,
  authorityProblems,
  formatAuthority,
  forwardedHeader,
  forwardedHost,
  newTraceparent,
  baggageHeader,
  parseBaggage,
  type Authority,
  type BaggageFields,
} from './headers.js';
export { DEFAULTS, silentLogger, type Logger, type Timers, type H2Tuning, type KeepaliveOptions } from './session.js';

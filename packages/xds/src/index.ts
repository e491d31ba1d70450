// Public API of @amesh/xds. Only what is exported here is public (package.json "exports").
export { XdsError, XdsErrorCode } from './errors.js';
export { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WORKLOAD_TYPE_URL } from './types.js';
export type { Logger, Timers } from './logger.js';
export { ipToBytes, bytesToIp } from './ip.js';
export * from './model.js';
export {
  ztunnelNode, parseNodeId, nodeToProto, nodeFromProto, toStruct, fromStruct,
  type NodeInfo, type ZtunnelNodeOptions, type ParsedNodeId, type JsonValue,
} from './node.js';
export { ResourceCache, type CachedResource, type CacheChange, type ResourceCacheOptions, type ResourceCacheStats } from './cache.js';
export {
  AdsServer, listenAds, type AdsServerOptions, type ListenAdsOptions, type AuthRequest, type AuthResult, type Generator,
  type ConnectionInfo, type ConnectionStatus, type AnswerEvent, type WatchStatus, type AdsServerMetrics,
} from './server.js';
export {
  DeltaAdsClient, addressHandler, authorizationHandler, type DeltaAdsClientOptions, type TypeHandler, type TypeUpdate,
  type ResourceUpdate, type ClientTypeStatus, type DeltaAdsClientMetrics,
} from './client.js';
export type { LatencySummary } from './metrics.js';
export {
  ADS_SERVICE, DELTA_ADS_PATH, SOTW_ADS_PATH, adsServerDefinition, encodeDeltaRequest, decodeDeltaRequest, encodeSotwRequest,
  decodeSotwRequest, decodeDeltaResponse, decodeSotwResponse, encodeDeltaResponse, encodeSotwResponse, encodeResource, encodeAny,
} from './grpc.js';

// Public API of @amesh/istiod. Only what is exported here is public (package.json "exports").
export { IstiodError, IstiodErrorCode } from './errors.js';
export { validateObject, VALIDATED_KINDS, type ValidationOutcome } from './validation.js';
export { convertPolicy, toXdsAuthorization } from './authz.js';
export {
  DEFAULT_MESH,
  STATIC_STRICT_POLICY,
  appProtocolOf,
  effectiveMtls,
  peerAuthFrom,
  podToWorkload,
  podUid,
  serviceHostname,
  serviceToService,
  serviceWaypoint,
  staticStrictPolicy,
  waypointBinding,
  waypointFromGateway,
  workloadNameOf,
  workloadWaypoint,
  type MeshContext,
  type MtlsMode,
  type PeerAuth,
  type Waypoint,
  type WaypointFor,
  type WaypointLookup,
  type WorkloadInputs,
} from './translate.js';
export { AmbientIndex, type AmbientIndexOptions, type IndexChanges } from './ambient.js';
export { ConfigController, type ConfigControllerOptions, type ConfigStatusEntry } from './controller.js';
export { build, waypointStatus, type Istiod, type IstiodConfig } from './server.js';
export { silentLogger, type Logger } from './logger.js';
export { renderWaypoint, WaypointReconciler, MANAGED_LABEL, MANAGED_VALUE, type ObjectWriter, type WaypointRenderOptions } from './waypoints.js';

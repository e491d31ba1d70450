// Public API of @amesh/waypoint. Only what is exported here is public (package.json "exports").
export { WaypointError, WaypointErrorCode } from './errors.js';

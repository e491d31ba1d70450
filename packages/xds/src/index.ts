// Public API of @amesh/xds. Only what is exported here is public (package.json "exports").
export { XdsError, XdsErrorCode } from './errors.js';

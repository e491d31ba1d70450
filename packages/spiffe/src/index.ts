// Public API of @amesh/spiffe. Only what is exported here is public (package.json "exports").
export { SpiffeError, SpiffeErrorCode } from './errors.js';

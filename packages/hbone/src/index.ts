// Public API of @amesh/hbone. Only what is exported here is public (package.json "exports").
export { HboneError, HboneErrorCode } from './errors.js';

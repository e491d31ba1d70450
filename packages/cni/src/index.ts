// Public API of @amesh/cni. Only what is exported here is public (package.json "exports").
export { CniError, CniErrorCode } from './errors.js';

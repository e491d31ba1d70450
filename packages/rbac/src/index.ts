// Public API of @amesh/rbac. Only what is exported here is public (package.json "exports").
export { RbacError, RbacErrorCode } from './errors.js';

// Public API of @amesh/ztunnel. Only what is exported here is public (package.json "exports").
export { ZtunnelError, ZtunnelErrorCode } from './errors.js';

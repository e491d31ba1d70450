// Public API of @amesh/kube. Only what is exported here is public (package.json "exports").
export { KubeError, KubeErrorCode } from './errors.js';

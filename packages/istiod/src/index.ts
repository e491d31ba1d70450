// Public API of @amesh/istiod. Only what is exported here is public (package.json "exports").
export { IstiodError, IstiodErrorCode } from './errors.js';

// Public API of @amesh/cni. Only what is exported here is public (package.json "exports").
export { CniError, CniErrorCode, cniSpecCode } from './errors.js';
export { silentLogger, type Logger } from './logger.js';
export { execRunner, mustRun, type CommandRunner, type CommandResult, type ExecRunnerOptions } from './runner.js';
export * from './enrollment.js';
export { NodeRedirection, resolveRedirectionConfig, type RedirectionConfig, type ResolvedRedirectionConfig } from './dataplane.js';

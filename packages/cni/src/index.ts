// Public API of @amesh/cni. Only what is exported here is public (package.json "exports").
export { CniError, CniErrorCode, cniSpecCode } from './errors.js';
export { silentLogger, type Logger } from './logger.js';
export { execRunner, mustRun, type CommandRunner, type CommandResult, type ExecRunnerOptions } from './runner.js';
export * from './enrollment.js';
export { NodeRedirection, resolveRedirectionConfig, type RedirectionConfig, type ResolvedRedirectionConfig } from './dataplane.js';
export { buildAgent, type AgentConfig, type NodeAgent } from './agent.js';
export { Metrics } from './metrics.js';
export { MemorySource, noopAnnotator, type ClusterEvent, type ClusterEventType, type ClusterSource, type PodAnnotator } from './source.js';
export { cacheSaysEnrolled, readEnrollmentCache, writeEnrollmentCache, type EnrollmentCache } from './cache.js';
export {
  DEFAULT_EVENT_SOCKET,
  EVENT_PATH,
  parsePluginEvent,
  sendPluginEvent,
  type PluginCommand,
  type PluginEvent,
  type PluginReply,
} from './protocol.js';
export {
  CNI_VERSION,
  DEFAULT_ENROLLMENT_CACHE,
  PLUGIN_TYPE,
  SUPPORTED_VERSIONS,
  parseCniArgs,
  parsePluginConfig,
  resultIps,
  runPlugin,
  type CniResult,
  type PluginConfig,
  type PluginDeps,
  type PluginInput,
  type PluginOutput,
} from './plugin.js';
export {
  BUNDLE_SHIM,
  PLUGIN_MODULES,
  findPrimaryConfig,
  installCniConfig,
  pluginShim,
  uninstallCniConfig,
  watchCniConfig,
  type InstallOptions,
  type InstallResult,
} from './install.js';
export { apiAnnotator, directoryAnnotator, kubeClusterSource, type KubeConfigLike } from './kube.js';

// Public API of @amesh/kube. Only what is exported here is public (package.json "exports").
export { KubeError, KubeErrorCode } from './errors.js';
export {
  ALL_KINDS,
  KINDS,
  groupOf,
  kindKeyOf,
  objectKey,
  type ContainerPort,
  type CustomObject,
  type KindInfo,
  type KindKey,
  type KindTypes,
  type KubeObject,
  type Namespace,
  type Node,
  type ObjectMeta,
  type OwnerReference,
  type Pod,
  type PodSpec,
  type PodStatus,
  type Service,
  type ServiceAccount,
  type ServicePort,
  type ServiceSpec,
} from './types.js';
export { fieldValue, matchLabels, parseSelector, type Selector } from './selectors.js';
export {
  CachedSource,
  MemorySource,
  normalizeObject,
  silentLogger,
  type KindSelector,
  type Logger,
  type ObjectEvent,
  type ObjectEventHandler,
  type ObjectEventType,
  type ObjectSource,
  type SourceOptions,
  type SubscribeOptions,
} from './source.js';
export { DirectorySource, StateDirectory, parseObjects, type DirectorySourceOptions, type FileProblem } from './directory.js';
export { KubeApiSource, loadKubeConfig, type KubeApiSourceOptions } from './informer.js';
export { KubeApiWriter, pluralOf, resourcePath, type KubeApiWriterOptions } from './writer.js';

// The pino-compatible logger subset istiod takes (injected; the app chooses pino and its format), as @amesh/kube defines it.
export { silentLogger, type Logger } from '@amesh/kube';

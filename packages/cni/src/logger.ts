// Declared here rather than imported from @amesh/kube on purpose: the plugin's install bundle copies these modules
// alone onto a node (install mode), so the plugin side must not import another package.
/** A pino-compatible logger (the subset amesh uses). */
export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (the default when none is injected). */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

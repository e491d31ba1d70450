// The pino-compatible logger subset the package takes (never prints on its own).
type LogFn = (obj: object | string, msg?: string) => void;
export interface Logger {
  trace: LogFn; debug: LogFn; info: LogFn; warn: LogFn; error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
const noop = (): void => {};
/** A logger that drops everything (the default). */
export const silentLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

/** Injectable timers (tests and benchmarks pass fakes). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

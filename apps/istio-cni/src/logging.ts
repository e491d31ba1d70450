// pino set-up for the daemon and the plugin. "plain" prints upstream-style lines
// (`2022-11-15T07:42:26.494021Z     info    ambient Namespace demo is enabled in ambient mesh`); "json" is pino's own.
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A stream that turns pino JSON lines into plain lines on `out`. */
export function plainStream(out: { write(s: string): unknown }): Writable {
  let buf = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const o = JSON.parse(line) as { time?: number; level?: number; scope?: string; msg?: string; err?: { message?: string } };
          const time = new Date(o.time ?? Date.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
          const err = o.err?.message && !(o.msg ?? '').includes(o.err.message) ? `: ${o.err.message}` : '';
          out.write(`${time}\t${LEVELS[o.level ?? 30] ?? 'info'}\t${o.scope ?? 'cni'}\t${o.msg ?? ''}${err}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      cb();
    },
  });
}

export function makeLogger(level: string, format: 'json' | 'plain', out: { write(s: string): unknown }): PinoLogger {
  const stream = format === 'json' ? { write: (s: string) => out.write(s) } : plainStream(out);
  return pino({ level, base: undefined }, stream);
}

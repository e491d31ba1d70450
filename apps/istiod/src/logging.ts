// pino set-up. "plain" prints upstream-style lines (`2024-01-01T00:00:00.000000Z\tinfo\tads\tmessage`); "json" is pino's own.
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SKIP = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname']);

/** A stream that turns pino JSON lines into plain lines (with the remaining fields as key=value) on `out`. */
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
          const o = JSON.parse(line) as Record<string, unknown> & { time?: number; level?: number; component?: string; msg?: string };
          const time = new Date(o.time ?? Date.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
          const extra = Object.entries(o)
            .filter(([k]) => !SKIP.has(k))
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : k === 'err' && v && typeof v === 'object' ? JSON.stringify((v as { message?: string }).message) : JSON.stringify(v)}`)
            .join(' ');
          out.write(`${time}\t${LEVELS[o.level ?? 30] ?? 'info'}\t${o.component ?? 'istiod'}\t${o.msg ?? ''}${extra ? `\t${extra}` : ''}\n`);
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

// Durations as Istio's YAML writes them (protobuf JSON "1.5s") and Go writes them ("1m30s", "100ms"), kept as integer
// nanoseconds so formatting never drifts through floating point.

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Parses "7s", "1.5s", "100ms", "1m30s", "0s" (and a bare "0"). Returns nanoseconds, or undefined when the text is not a duration. Negative durations are rejected. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  let s = text.trim();
  if (s === '') return undefined;
  if (s === '0') return 0;
  let total = 0;
  while (s.length > 0) {
    const m = PART.exec(s);
    if (!m) return undefined;
    const [whole, num, unit] = m as unknown as [string, string, string];
    const [intPart = '0', frac = ''] = num.split('.');
    const scale = UNIT_NS[unit]!;
    total += Number(intPart || '0') * scale + (frac ? Math.round(Number(`0.${frac}`) * scale) : 0);
    s = s.slice(whole.length);
  }
  return Number.isFinite(total) ? total : undefined;
}

function fmtFrac(v: number, unit: number): string {
  // v in ns, unit in ns; prints v/unit with up to 9 decimals, trailing zeros removed (Go's time.Duration.String)
  const whole = Math.floor(v / unit);
  let rest = v - whole * unit;
  if (rest === 0) return String(whole);
  let digits = '';
  let u = unit;
  while (rest > 0 && u > 1) {
    u /= 10;
    const d = Math.floor(rest / u);
    digits += String(d);
    rest -= d * u;
  }
  return `${whole}.${digits.replace(/0+$/, '')}`;
}

/** Formats nanoseconds the way Go's time.Duration.String() does: "0s", "100ms", "1.5s", "1m30s", "2h0m0s". */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 0) return `-${formatDuration(-ns)}`;
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${fmtFrac(ns, 1e3)}µs`;
  if (ns < 1e9) return `${fmtFrac(ns, 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns - h * 3600e9) / 60e9);
  const sNs = ns - h * 3600e9 - m * 60e9;
  const sec = `${fmtFrac(sNs, 1e9)}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

// Primitive matchers shared by every mode: Istio's string value syntax (A2), IP/CIDR, L7 path normalisation (A8)
// and Envoy URI templates. Pure functions; nothing here allocates per call except path normalisation.

/** One string matcher, in Istio's value syntax: `*` presence, `*x` suffix, `x*` prefix, anything else exact. */
export type StringMatcher =
  | { readonly kind: 'presence' }
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string };

/** Parses a policy value with the rules of A2, in order: `*` presence, leading `*` suffix, trailing `*` prefix, exact. */
export function parseStringMatcher(v: string): StringMatcher {
  if (v === '*') return { kind: 'presence' };
  if (v.startsWith('*')) return { kind: 'suffix', value: v.slice(1) };
  if (v.endsWith('*')) return { kind: 'prefix', value: v.slice(0, -1) };
  return { kind: 'exact', value: v };
}

/** True when `s` satisfies `m`; presence means "non-empty". */
export function matchString(m: StringMatcher, s: string): boolean {
  switch (m.kind) {
    case 'exact':
      return s === m.value;
    case 'prefix':
      return s.startsWith(m.value);
    case 'suffix':
      return s.endsWith(m.value);
    default:
      return s.length > 0;
  }
}

/** Lower-cases the value of a matcher (for case-insensitive `hosts`). */
export function lowerMatcher(m: StringMatcher): StringMatcher {
  return m.kind === 'presence' ? m : { kind: m.kind, value: m.value.toLowerCase() };
}

// ---- IP addresses -------------------------------------------------------------------------------------------

/** A parsed address: IPv4 as 4 bytes, IPv6 as 16 bytes. */
export type IpBytes = Uint8Array;

/** A CIDR block; a bare IP is a block of full length. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly length: number;
}

function parseV4(s: string): Uint8Array | null {
  // One pass over the characters: four decimal octets, 1-3 digits each, no leading zero, at most 255.
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) return null;
      out[part++] = value;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits === 1 && value === 0)) return null; // too long, or a leading zero
      value = value * 10 + (c - 48);
      digits++;
    } else return null;
  }
  return part === 4 ? out : null;
}

/** The original split-based parser (kept for the equivalence test of the fast one). */
export function parseV4Slow(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  if (s.includes('%')) return null;
  let head = s;
  let v4tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    v4tail = parseV4(s.slice(lastColon + 1));
    if (!v4tail) return null;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return null;
  const words: number[] = [];
  const parseWords = (part: string): number[] | null => {
    if (part === '') return [];
    const ws = part.split(':');
    const res: number[] = [];
    for (const w of ws) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
      res.push(parseInt(w, 16));
    }
    return res;
  };
  if (dbl >= 0) {
    const a = parseWords(head.slice(0, dbl));
    const b = parseWords(head.slice(dbl + 2));
    if (!a || !b || a.length + b.length > 7) return null;
    words.push(...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b);
  } else {
    const a = parseWords(head);
    if (!a || a.length !== 8) return null;
    words.push(...a);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  if (v4tail) out.set(v4tail, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address (no zone, no brackets); null when it is not one. */
export function parseIp(s: string): IpBytes | null {
  if (typeof s !== 'string' || s.length === 0) return null;
  return s.includes(':') ? parseV6(s) : parseV4(s);
}

/** Parses `ip` or `ip/len` (Istio `ipBlocks` syntax); null when invalid. Host bits are masked off. */
export function parseCidr(s: string): Cidr | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return null;
  const max = ip.length * 8;
  let length = max;
  if (slash >= 0) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return null;
    length = Number(l);
    if (length > max) return null;
  }
  const bytes = new Uint8Array(ip);
  for (let bit = length; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { bytes, length };
}

/** True when `ip` is inside `cidr` (families must agree). */
export function cidrContains(cidr: Cidr, ip: IpBytes): boolean {
  if (cidr.bytes.length !== ip.length) return false;
  const full = cidr.length >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== ip[i]) return false;
  const rest = cidr.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[full]! & mask) === cidr.bytes[full];
}

/** Formats a CIDR for messages. */
export function formatCidr(c: Cidr): string {
  if (c.bytes.length === 4) return `${Array.from(c.bytes).join('.')}/${c.length}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((c.bytes[i]! << 8) | c.bytes[i + 1]!).toString(16));
  return `${words.join(':')}/${c.length}`;
}

// ---- ports --------------------------------------------------------------------------------------------------

/** Parses a policy port value: an integer 0..65535 written in decimal; null otherwise. */
export function parsePort(v: string): number | null {
  if (typeof v !== 'string' || !/^\d{1,5}$/.test(v)) return null;
  const n = Number(v);
  return n <= 65535 ? n : null;
}

// ---- paths (A8) ---------------------------------------------------------------------------------------------

const UNRESERVED = /%(2[dDeE]|3[0-9]|4[1-9a-fA-F]|5[0-9aA]|5[fF]|6[1-9a-fA-F]|7[0-9aA]|7[eE])/g;

/** Result of normalising a request path: the path Istio's RBAC sees, or why the proxy answers 400. */
export type NormalizedPath = { ok: true; path: string } | { ok: false; error: string };

/**
 * Normalises a request path as Istio's default (`BASE`) normalisation does before authorization: strip `?query`
 * and `#fragment`, reject `%00`, decode percent-encoded unreserved characters (`%2D . 0-9 A-Z _ a-z ~`), turn `\`
 * into `/`, and resolve `.`/`..` segments. Slashes are not merged and `%2F`/`%5C` stay encoded.
 */
export function normalizePath(raw: string): NormalizedPath {
  // Fast path: a path starting with '/' with no '%', '\\' or '/.' before its query/fragment only loses those.
  if (raw.length > 0 && raw.charCodeAt(0) === 47) {
    let end = raw.length;
    let simple = true;
    for (let i = 1; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === 63 || c === 35) {
        end = i; // '?' or '#'
        break;
      }
      if (c === 37 || c === 92 || (c === 46 && raw.charCodeAt(i - 1) === 47)) {
        simple = false; // '%', '\\', '/.'
        break;
      }
    }
    if (simple) return { ok: true, path: end === raw.length ? raw : raw.slice(0, end) };
  }
  let p = raw;
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  if (/%00/.test(p)) return { ok: false, error: 'path contains %00' };
  if (p.includes('%')) p = p.replace(UNRESERVED, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (p.includes('\\')) p = p.replace(/\\/g, '/');
  if (p === '') p = '/';
  if (!p.startsWith('/')) p = '/' + p;
  if (p.includes('/.')) {
    const segs = p.split('/');
    const out: string[] = [];
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i]!;
      const last = i === segs.length - 1;
      if (s === '.') {
        if (last) out.push('');
      } else if (s === '..') {
        out.pop();
        if (last) out.push('');
      } else out.push(s);
    }
    p = '/' + out.join('/');
  }
  return { ok: true, path: p };
}

// ---- path templates (Envoy uri_template, Istio `{*}` / `{**}`) ----------------------------------------------

/** True when a policy path uses template operators `{*}` or `{**}`. */
export function isPathTemplate(v: string): boolean {
  return v.includes('{*}') || v.includes('{**}');
}

/** Problems with a templated path (A7): bare `*`, `{**}` not last, other characters inside a templated segment. */
export function pathTemplateProblems(v: string): string[] {
  const problems: string[] = [];
  if (!isPathTemplate(v)) return problems;
  const segs = v.split('/');
  let sawDouble = false;
  for (const s of segs) {
    if (sawDouble && (s.includes('{*}') || s.includes('{**}'))) {
      problems.push(`"{**}" must be the last operator in path template "${v}"`);
      break;
    }
    if (s === '{**}') sawDouble = true;
    else if (s === '{*}') continue;
    else if (s.includes('{') || s.includes('}') || s.includes('*')) {
      problems.push(`invalid or unsupported path template "${v}": segment "${s}" must be exactly "{*}" or "{**}" or contain no "*", "{" or "}"`);
    }
  }
  return problems;
}

const PCHAR = "[a-zA-Z0-9\\-._~%!$&'()+,;:@=]";

/** Compiles a valid path template into an anchored RegExp with Envoy's semantics: `{*}` one segment, `{**}` any rest. */
export function compilePathTemplate(v: string): RegExp {
  const segs = v.split('/');
  const re = segs
    .map((s) => (s === '{*}' ? `${PCHAR}+` : s === '{**}' ? `(?:${PCHAR}|/)*` : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${re}$`);
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

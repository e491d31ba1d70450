// Label and field selectors in the API server's string syntax, evaluated locally (directory and memory sources).
import { KubeError, KubeErrorCode } from './errors.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** A parsed selector: `matches(values)` where values are labels, or flattened fields for field selectors. */
export interface Selector {
  readonly text: string;
  matches(values: Record<string, string | undefined>): boolean;
}

function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Parses `a=b,c!=d,e,!f,g in (x,y),h notin (z)`; throws KUBE_ERR_INVALID_SELECTOR listing every bad term. */
export function parseSelector(text: string): Selector {
  const reqs: Requirement[] = [];
  const problems: string[] = [];
  for (const term of splitTop(text)) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      reqs.push({ op: m[2] === 'in' ? 'in' : 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '') });
    } else if ((m = term.match(/^([^\s!=()]+)\s*!=\s*([^\s!=()]*)$/))) {
      reqs.push({ op: 'neq', key: m[1]!, value: m[2]! });
    } else if ((m = term.match(/^([^\s!=()]+)\s*==?\s*([^\s!=()]*)$/))) {
      reqs.push({ op: 'eq', key: m[1]!, value: m[2]! });
    } else if ((m = term.match(/^!\s*([^\s!=()]+)$/))) {
      reqs.push({ op: 'notexists', key: m[1]! });
    } else if ((m = term.match(/^([^\s!=()]+)$/))) {
      reqs.push({ op: 'exists', key: m[1]! });
    } else {
      problems.push(`selector term "${term}": not one of k=v, k!=v, k, !k, k in (..), k notin (..)`);
    }
  }
  if (problems.length > 0) throw new KubeError(KubeErrorCode.INVALID_SELECTOR, `invalid selector "${text}"`, { details: problems });
  return {
    text,
    matches(values) {
      for (const r of reqs) {
        const v = values[r.key];
        switch (r.op) {
          case 'eq':
            if (v !== r.value) return false;
            break;
          case 'neq':
            if (v === r.value) return false;
            break;
          case 'in':
            if (v === undefined || !r.values.includes(v)) return false;
            break;
          case 'notin':
            if (v !== undefined && r.values.includes(v)) return false;
            break;
          case 'exists':
            if (v === undefined) return false;
            break;
          case 'notexists':
            if (v !== undefined) return false;
            break;
        }
      }
      return true;
    },
  };
}

/** `matchLabels` semantics: every key/value of `selector` is present in `labels` (an empty selector matches all). */
export function matchLabels(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  for (const k in selector) {
    if (labels?.[k] !== selector[k]) return false;
  }
  return true;
}

/** Reads a dotted field path (`spec.nodeName`, `metadata.namespace`) as a string, for field selectors. */
export function fieldValue(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

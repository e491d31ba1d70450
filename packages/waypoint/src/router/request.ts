// Validation of a request given as parsed JSON (the `amesh route check --request` shape), with field paths.
import type { RouteRequest } from './router.js';

export interface RequestValidation {
  request?: RouteRequest;
  errors: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const METHOD = /^[A-Z]+$/;
const KNOWN = ['host', 'port', 'method', 'path', 'scheme', 'headers', 'client', 'context', 'gateway', 'claims'];

/** Checks every field and returns all problems (`request.<path>: <message>`). */
export function validateRequest(raw: unknown): RequestValidation {
  const errors: string[] = [];
  const e = (p: string, m: string) => errors.push(`request.${p}: ${m}`);
  if (!isObj(raw)) return { errors: ['request: must be a JSON object'] };
  for (const k of Object.keys(raw)) if (!KNOWN.includes(k)) e(k, 'unknown field');
  if (typeof raw['host'] !== 'string' || raw['host'] === '') e('host', 'is required (a non-empty string)');
  const port = raw['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) e('port', 'is required (an integer 1..65535)');
  if (raw['method'] !== undefined && (typeof raw['method'] !== 'string' || !METHOD.test(raw['method']))) e('method', 'must be an upper-case HTTP method');
  if (raw['path'] !== undefined && (typeof raw['path'] !== 'string' || !raw['path'].startsWith('/'))) e('path', 'must be a string starting with /');
  if (raw['scheme'] !== undefined && raw['scheme'] !== 'http' && raw['scheme'] !== 'https') e('scheme', 'must be http or https');
  for (const key of ['headers', 'claims'] as const) {
    const h = raw[key];
    if (h === undefined) continue;
    if (!isObj(h)) e(key, 'must be an object of strings');
    else for (const [k, v] of Object.entries(h)) {
      if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) e(`${key}.${k}`, 'must be a string or a list of strings');
    }
  }
  const client = raw['client'];
  if (client !== undefined) {
    if (!isObj(client)) e('client', 'must be an object');
    else {
      if (client['namespace'] !== undefined && (typeof client['namespace'] !== 'string' || !client['namespace'])) e('client.namespace', 'must be a non-empty string');
      if (client['ip'] !== undefined && typeof client['ip'] !== 'string') e('client.ip', 'must be a string');
      const l = client['labels'];
      if (l !== undefined) {
        if (!isObj(l)) e('client.labels', 'must be an object of strings');
        else for (const [k, v] of Object.entries(l)) if (typeof v !== 'string') e(`client.labels.${k}`, 'must be a string');
      }
      for (const k of Object.keys(client)) if (!['namespace', 'labels', 'ip'].includes(k)) e(`client.${k}`, 'unknown field');
    }
  }
  const ctx = raw['context'];
  if (ctx !== undefined && ctx !== 'mesh' && ctx !== 'gateway') e('context', 'must be "mesh" or "gateway"');
  if (raw['gateway'] !== undefined && (typeof raw['gateway'] !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(raw['gateway']))) e('gateway', 'must be "<namespace>/<name>"');
  if (ctx === 'gateway' && raw['gateway'] === undefined) e('gateway', 'is required when context is "gateway"');
  if (errors.length) return { errors };
  return { request: raw as unknown as RouteRequest, errors };
}

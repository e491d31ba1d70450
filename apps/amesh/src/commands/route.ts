// `amesh route check`: route one request through VirtualServices / DestinationRules offline.
// Thin shell over @amesh/waypoint/router: read files, parse YAML/JSON, print the decision.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Router, decisionToJSON, loadConfig, validateRequest } from '@amesh/waypoint/router';
import type { Io } from '../io.js';

export const ROUTE_USAGE = `usage: amesh route check --config <file|dir> [--config ...] --request <file|-> [--root-namespace istio-system] [-o json|text] [--seed N]

Routes one HTTP request through the VirtualService / DestinationRule objects in the config files, exactly as a
mesh proxy (or, with "context": "gateway", an ingress gateway) would, and prints the decision.

  --config <file|dir>     YAML or JSON file, or a directory of them (*.yaml, *.yml, *.json); repeatable.
                          Any mix of VirtualService, DestinationRule, ServiceEntry, Service and Pod objects
                          (the Pods are the endpoints, selected by labels).
  --request <file|->      the request as JSON (- reads standard input):
                          {"host": "reviews", "port": 9080, "method": "GET", "path": "/reviews/0?x=1",
                           "scheme": "http", "headers": {"end-user": "jason"},
                           "client": {"namespace": "default", "labels": {"app": "productpage"}},
                           "context": "mesh", "gateway": "istio-system/ingress"}
  --root-namespace <ns>   meshConfig rootNamespace (default istio-system)
  -o json|text            output format (default json)
  --seed <N>              seed for weighted picks, fault percentages and RANDOM load balancing (default 1)

Exit status: 0 when a decision was made (whatever it is), 2 for invalid config, request or flags.
`;

interface Args {
  configs: string[];
  request?: string;
  rootNamespace: string;
  output: 'json' | 'text';
  seed: number;
}

function parseArgs(argv: string[]): { args?: Args; error?: string; help?: boolean } {
  const a: Args = { configs: [], rootNamespace: 'istio-system', output: 'json', seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const eq = flag.indexOf('=');
    const name = flag.startsWith('--') && eq > 0 ? flag.slice(0, eq) : flag;
    const inline = flag.startsWith('--') && eq > 0 ? flag.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (name) {
      case '-h':
      case '--help':
        return { help: true };
      case '--config':
      case '-c': {
        const v = value();
        if (!v) return { error: '--config needs a file or directory' };
        a.configs.push(v);
        break;
      }
      case '--request':
      case '-r': {
        const v = value();
        if (!v) return { error: '--request needs a file or -' };
        a.request = v;
        break;
      }
      case '--root-namespace': {
        const v = value();
        if (!v) return { error: '--root-namespace needs a namespace' };
        a.rootNamespace = v;
        break;
      }
      case '-o':
      case '--output': {
        const v = value();
        if (v !== 'json' && v !== 'text') return { error: '-o must be json or text' };
        a.output = v;
        break;
      }
      case '--seed': {
        const v = value();
        if (!v || !/^\d+$/.test(v)) return { error: '--seed needs a non-negative integer' };
        a.seed = Number(v);
        break;
      }
      default:
        return { error: `unknown argument "${flag}"` };
    }
  }
  if (!a.configs.length) return { error: 'at least one --config is required' };
  if (!a.request) return { error: '--request is required' };
  return { args: a };
}

async function configFiles(path: string): Promise<string[]> {
  const st = await stat(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const e of (await readdir(path, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await configFiles(p)));
    else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(p);
  }
  return out;
}

async function readStdin(io: Io): Promise<string> {
  if (!io.in) return '';
  const chunks: Buffer[] = [];
  for await (const c of io.in) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `amesh route <subcommand>`; returns the exit code. */
export async function route(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out.write(ROUTE_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'check') {
    io.err.write(`amesh route: unknown subcommand "${sub}"\n\n${ROUTE_USAGE}`);
    return 2;
  }
  const parsed = parseArgs(rest);
  if (parsed.help) {
    io.out.write(ROUTE_USAGE);
    return 0;
  }
  if (!parsed.args) {
    io.err.write(`amesh route check: ${parsed.error}\n\n${ROUTE_USAGE}`);
    return 2;
  }
  const args = parsed.args;
  const problems: string[] = [];
  // config
  const objects: unknown[] = [];
  const origins: string[] = [];
  for (const c of args.configs) {
    let files: string[];
    try {
      files = await configFiles(c);
    } catch (e) {
      problems.push(`${c}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      continue;
    }
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (e) {
        problems.push(`${f}: ${(e as Error).message}`);
        continue;
      }
      const docs = parseAllDocuments(text);
      const list = Array.isArray(docs) ? docs : [docs];
      list.forEach((doc, i) => {
        if (doc.errors.length) {
          for (const err of doc.errors) problems.push(`${f}: document ${i}: ${err.message.split('\n')[0]}`);
          return;
        }
        objects.push(doc.toJS());
        origins.push(list.length > 1 ? `${f}#${i}` : f);
      });
    }
  }
  // request
  let request;
  try {
    const text = args.request === '-' ? await readStdin(io) : await readFile(args.request!, 'utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      problems.push(`request: invalid JSON: ${(e as Error).message}`);
    }
    if (raw !== undefined) {
      const v = validateRequest(raw);
      problems.push(...v.errors);
      request = v.request;
    }
  } catch (e) {
    problems.push(`${args.request}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const loaded = loadConfig(objects, { rootNamespace: args.rootNamespace, origin: (i) => origins[i] });
  problems.push(...loaded.errors);
  if (problems.length || !request) {
    io.err.write(`amesh route check: invalid input (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  for (const w of loaded.warnings) io.err.write(`warning: ${w}\n`);
  const router = new Router(loaded.model, { seed: args.seed, warnings: loaded.warnings });
  const decision = router.decide(request);
  if (args.output === 'json') io.out.write(`${JSON.stringify(decisionToJSON(decision), null, 2)}\n`);
  else {
    const j = decisionToJSON(decision);
    const lines = [`action: ${decision.action}${decision.status !== undefined ? ` (${decision.status})` : ''}${decision.reason ? `: ${decision.reason}` : ''}`];
    if (j['virtualService']) lines.push(`virtualService: ${String(j['virtualService'])}${decision.routeIndex !== undefined ? ` route ${decision.routeIndex}${decision.routeName ? ` "${decision.routeName}"` : ''}` : ''}`);
    if (decision.requestHeaders) lines.push(`request headers: ${JSON.stringify(decision.requestHeaders)}`);
    if (decision.responseHeaders) lines.push(`response headers: ${JSON.stringify(decision.responseHeaders)}`);
    if (decision.mirror?.length) lines.push(`mirror: ${decision.mirror.map((m) => `${m.cluster} ${m.percentage}% (authority ${m.authority})`).join(', ')}`);
    lines.push('', decision.explain());
    io.out.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

// `amesh authz check`: evaluate AuthorizationPolicies offline for one request, as ztunnel (l4), a sidecar-style
// proxy (l7) or a waypoint would. Thin shell over @amesh/rbac: read files, parse YAML, print the decision.
// Exit codes: 0 whenever evaluation happened (whatever the decision), 2 for usage errors and invalid input.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { createAuthorizer, explain, parsePolicy, validateRequest, MODES, type AuthzRequest, type CustomProvider, type Mode, type Policy } from '@amesh/rbac';
import type { Io } from '../io.js';

const USAGE = `usage: amesh authz check --policy <file|dir> [--policy ...] --request <file|-> [--mode l4|l7|waypoint]
                         [--root-namespace istio-system] [--trust-domain cluster.local] [-o json|text]
                         [--provider <name>=allow|deny ...]

Evaluates AuthorizationPolicies (security.istio.io/v1 or v1beta1; files may hold several YAML documents; a
directory is read recursively for *.yaml, *.yml and *.json) for one request and prints the decision.

  --policy          a policy file or directory (repeatable)
  --request         the request JSON file, or - for standard input
  --mode            l4 (ztunnel), l7 (HTTP proxy; default) or waypoint (targetRefs only)
  --root-namespace  meshConfig rootNamespace (default istio-system)
  --trust-domain    mesh trust domain (default cluster.local)
  -o, --output      json (default) or text (explains every applicable policy)
  --provider        a CUSTOM extension provider and its fixed answer, e.g. ext-authz=deny (repeatable);
                    CUSTOM policies naming any other provider fail closed

Request JSON:
  { "destination": { "namespace": "ns", "labels": {"app": "web-api"}, "ip": "10.0.0.2", "port": 8080,
                     "service": {"name": "web-api", "namespace": "ns"}, "waypoint": {"name": "waypoint", "namespace": "ns"} },
    "source": { "principal": "cluster.local/ns/default/sa/sleep", "ip": "10.0.1.1", "remoteIp": "10.0.1.1" },
    "http": { "method": "GET", "path": "/api?x=1", "host": "web-api:8080", "headers": {"x-user": "a"},
              "jwt": { "issuer": "...", "subject": "...", "claims": {}, "audiences": [], "presenter": "" } } }
  source.principal is without spiffe:// and null for plaintext; http is ignored in l4 mode; jwt is null/absent
  without a validated token.

Exit status: 0 when a decision was made (ALLOW or DENY), 2 for invalid arguments, policies or request.
`;

class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

async function listPolicyFiles(path: string): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new UsageError([`--policy ${path}: no such file or directory`]);
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await listPolicyFiles(p)));
    else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(p);
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads every AuthorizationPolicy document; collects every problem (YAML and validation) with file and field path. */
async function loadPolicyFiles(paths: string[], rootNamespace: string): Promise<{ policies: Policy[]; errors: string[]; warnings: string[]; skipped: number }> {
  const policies: Policy[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  let skipped = 0;
  for (const file of paths) {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      errors.push(`${file}: cannot read: ${e.code ?? e.message}`);
      return null;
    });
    if (text === null) continue;
    const docs = YAML.parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const where = list.length > 1 ? `${file} (document ${i + 1})` : file;
      if (doc.errors.length) {
        for (const e of doc.errors) errors.push(`${where}: invalid YAML: ${e.message.split('\n')[0]}`);
        return;
      }
      const value: unknown = doc.toJS();
      const objs = isObj(value) && value['kind'] === 'List' && Array.isArray(value['items']) ? (value['items'] as unknown[]) : [value];
      objs.forEach((obj, j) => {
        if (obj === null || obj === undefined) return;
        const label = objs.length > 1 ? `${where} items[${j}]` : where;
        if (isObj(obj) && typeof obj['kind'] === 'string' && obj['kind'] !== 'AuthorizationPolicy') {
          skipped++;
          return;
        }
        const r = parsePolicy(obj, { rootNamespace });
        const meta = isObj(obj) && isObj(obj['metadata']) ? obj['metadata'] : {};
        const name = r.policy?.key ?? `${typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default'}/${typeof meta['name'] === 'string' ? meta['name'] : '?'}`;
        for (const e of r.errors) errors.push(`${label}: ${name}: ${e}`);
        for (const w of r.warnings) warnings.push(`${label}: ${name}: ${w}`);
        if (r.policy) {
          const prev = seen.get(r.policy.key);
          if (prev !== undefined) errors.push(`${label}: ${r.policy.key}: metadata.name: duplicate policy (also in ${prev})`);
          seen.set(r.policy.key, label);
          policies.push(r.policy);
        }
      });
    });
  }
  return { policies, errors, warnings, skipped };
}

async function readRequest(arg: string, io: Io): Promise<string> {
  if (arg !== '-') {
    try {
      return await readFile(arg, 'utf8');
    } catch (e) {
      throw new UsageError([`--request ${arg}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
    }
  }
  if (!io.in) throw new UsageError(['--request -: no standard input']);
  const chunks: Buffer[] = [];
  for await (const c of io.in) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function check(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        policy: { type: 'string', multiple: true },
        request: { type: 'string' },
        mode: { type: 'string', default: 'l7' },
        'root-namespace': { type: 'string', default: 'istio-system' },
        'trust-domain': { type: 'string', default: 'cluster.local' },
        output: { type: 'string', short: 'o', default: 'json' },
        provider: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError([(e as Error).message]);
  }
  if (values.help) {
    io.out.write(USAGE);
    return 0;
  }
  const problems: string[] = [];
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) problems.push(`--mode: want l4, l7 or waypoint, got "${values.mode}"`);
  if (values.output !== 'json' && values.output !== 'text') problems.push(`-o: want json or text, got "${values.output}"`);
  if (!values.policy?.length) problems.push('--policy: at least one policy file or directory is required');
  if (values.request === undefined) problems.push('--request: a request file (or - for standard input) is required');
  if (values['root-namespace'] === '') problems.push('--root-namespace: must not be empty');
  if (values['trust-domain'] === '') problems.push('--trust-domain: must not be empty');
  const providers: Record<string, CustomProvider> = {};
  for (const p of values.provider ?? []) {
    const m = /^([^=]+)=(allow|deny)$/i.exec(p);
    if (!m) problems.push(`--provider ${p}: want <name>=allow|deny`);
    else {
      const answer = m[2]!.toUpperCase() as 'ALLOW' | 'DENY';
      providers[m[1]!] = () => answer;
    }
  }
  if (problems.length) throw new UsageError(problems);

  const files: string[] = [];
  for (const p of values.policy!) files.push(...(await listPolicyFiles(p)));
  const rootNamespace = values['root-namespace'];
  const loaded = await loadPolicyFiles(files, rootNamespace);
  const rawRequest = await readRequest(values.request!, io);
  let request: unknown;
  const requestErrors: string[] = [];
  try {
    request = JSON.parse(rawRequest);
    for (const e of validateRequest(request, mode)) requestErrors.push(`request: ${e}`);
  } catch (e) {
    requestErrors.push(`request: invalid JSON: ${(e as Error).message}`);
  }
  for (const w of loaded.warnings) io.err.write(`warning: ${w}\n`);
  const invalid = [...loaded.errors, ...requestErrors];
  if (invalid.length) {
    io.err.write(`amesh authz check: ${invalid.length} problem(s):\n${invalid.map((e) => `  ${e}\n`).join('')}`);
    return 2;
  }

  const authorizer = createAuthorizer(loaded.policies, { mode, rootNamespace, trustDomain: values['trust-domain'], providers });
  const text = values.output === 'text';
  const d = await authorizer.evaluateAsync(request as AuthzRequest, { trace: text });
  if (text) {
    io.out.write(explain(d));
    io.out.write(`(${loaded.policies.length} polic${loaded.policies.length === 1 ? 'y' : 'ies'} from ${files.length} file(s)${loaded.skipped ? `, ${loaded.skipped} other document(s) skipped` : ''})\n`);
  } else {
    const { decision, policy, action, ruleIndex, reason, message, dryRun, audit } = d;
    io.out.write(JSON.stringify({ decision, policy, action, ruleIndex, reason, message, mode: d.mode, dryRun, audit }) + '\n');
  }
  return 0;
}

/** `amesh authz <subcommand>` */
export async function authz(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.out.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'check') {
    io.err.write(`amesh authz: unknown subcommand "${sub}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await check(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`amesh authz check: ${e.problems.join('\n  ')}\n\nRun "amesh authz check --help" for usage.\n`);
      return 2;
    }
    throw e;
  }
}

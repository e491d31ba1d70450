// A signing worker thread of the CA's SigningPool: it rebuilds the CA once from the snapshot in `workerData` (the
// signing key is imported once, here) and answers batches of requests. Each request carries the main thread's clock
// reading, so an injected clock still decides notBefore/notAfter. Errors travel back as {code, message, details}.
import { parentPort, workerData } from 'node:worker_threads';
import { CertificateAuthority, type CaSnapshot } from './ca.js';
import { SpiffeError } from './errors.js';
import { SpiffeId } from './id.js';
import type { PoolReply, PoolRequest } from './signing-pool.js';

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
let now = Date.now();
const ca = CertificateAuthority.fromSnapshot(workerData as CaSnapshot, () => now);
const port = parentPort!;

function handle(r: PoolRequest): PoolReply {
  now = r.now;
  try {
    const out =
      r.kind === 'sign'
        ? ca.signCsr(typeof r.csr === 'string' ? r.csr : asBuffer(r.csr), { ...(r.identity !== undefined ? { identity: SpiffeId.tryParse(r.identity) ?? r.identity } : {}), ...(r.ttlSeconds !== undefined ? { ttlSeconds: r.ttlSeconds } : {}) })
        : ca.issueUnchecked(r.uri, asBuffer(r.spki), r.rsa, r.ttlSeconds);
    return { id: r.id, ok: true, leafPem: out.leafPem, leafDer: out.leafDer, notBefore: out.notBefore, notAfter: out.notAfter };
  } catch (err) {
    if (err instanceof SpiffeError) return { id: r.id, ok: false, code: err.code, message: err.message, details: [...err.details] };
    return { id: r.id, ok: false, message: (err as Error).message ?? String(err) };
  }
}

// test hooks, reachable only through the pool object (never over the network): fail on the next batch
let fault: 'crash' | 'hang' | undefined;

port.on('message', (msg: { batch?: PoolRequest[]; test?: 'crash' | 'hang' }) => {
  if (msg.test) {
    fault = msg.test;
    return;
  }
  if (!msg.batch) return;
  if (fault === 'crash') throw new Error('signing worker crash requested by a test');
  if (fault === 'hang') {
    for (;;) {
      // a stuck worker: the pool's watchdog must terminate it
    }
  }
  port.postMessage(msg.batch.map(handle));
});
port.postMessage('ready');

import t from 'tap';
import { mesh, startServer, newPool, roundTrip } from './fixtures/mesh.js';

t.test('a tunnel echoes bytes through client → HBONE → server', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t);
  const tun = await pool.connect({
    source: m.client,
    destination: { address: '127.0.0.1', port },
    expectedIdentities: [m.serverId.id.toString()],
    authority: '10.0.0.1:8080',
  });
  t.equal(tun.peerIdentity, m.serverId.id.toString());
  const back = await roundTrip(tun.stream, Buffer.from('hello hbone'));
  t.equal(back.toString(), 'hello hbone');
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BurstPools, runBurst } from '../../src/http/burst.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { SecretRegistry } from '../../src/secrets.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_test_burstpools_${base62(24)}`;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A loopback server that answers 200 and counts the TCP connections it accepted. */
async function countingServer(): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

function client(origin: string, burstPools?: BurstPools): HttpClient {
  const dispatcher = createDispatcher();
  closers.push(() => dispatcher.close());
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');
  return new HttpClient({
    origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 3000,
    budget: new RequestBudget(1000),
    secrets,
    dispatcher,
    ...(burstPools ? { burstPools } : {}),
  });
}

const burst = (http: HttpClient) =>
  runBurst({ http, label: 'burst', method: 'GET', path: '/v1/agents', concurrency: 4, maxRequests: 12, maxDurationMs: 5000 });

describe('burst connection pools', () => {
  it("a profile's bursts reuse one another's connections instead of opening their own", async () => {
    const server = await countingServer();
    const pools = new BurstPools();
    closers.push(() => pools.close());
    const http = client(server.origin, pools);
    const first = await burst(http);
    const second = await burst(http.fork());
    expect(first).toMatchObject({ stoppedBy: 'max-requests', sent: 12, accepted: 12, connections: 4 });
    expect(second).toMatchObject({ stoppedBy: 'max-requests', sent: 12, accepted: 12, connections: 4 });
    // The second burst found the first one's four connections open.
    expect(server.connections()).toBe(4);
  });

  it('without BurstPools each burst opens and closes its own connections', async () => {
    const server = await countingServer();
    const http = client(server.origin);
    await burst(http);
    await burst(http);
    expect(server.connections()).toBe(8);
  });
});

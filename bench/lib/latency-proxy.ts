// A TCP proxy on loopback that adds a fixed delay to every chunk, each way,
// so a target on 127.0.0.1 answers as if it were across a real link: with
// 20 ms each way, every request/response round trip takes at least 40 ms.
// Used by the benchmarks (rate limits across latency) and by the tests that
// prove the burst sizes itself from the round trip.
//
// It works below HTTP (it never parses a byte), so it carries HTTP/1.1,
// pipelining, TLS and HTTP/2 alike. What it does not model: the TCP handshake
// (the proxy accepts at once, so a new connection costs no extra round trip,
// where a real link adds one), bandwidth limits, loss or reordering.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LatencyProxy {
  /** http://127.0.0.1:port (the scheme of the target it fronts). */
  readonly origin: string;
  readonly port: number;
  readonly delayMs: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a proxy in front of `targetOrigin` (loopback only) that delays each direction by `delayMs`. */
export async function startLatencyProxy(targetOrigin: string, delayMs: number): Promise<LatencyProxy> {
  const target = new URL(targetOrigin);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost')
    throw new Error(`the latency proxy fronts loopback targets only, not ${target.hostname}`);
  const targetPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const sockets = new Set<Socket>();
  let accepted = 0;

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      // A reset shows as 'close' without 'end' (relayed below); nothing to report.
      s.on('error', () => undefined);
    }
    relay(client, upstream, delayMs);
    relay(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    origin: `${target.protocol}//127.0.0.1:${port}`,
    port,
    delayMs,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Copies `from` to `to`, each chunk `delayMs` after it arrived, in order, and
 * the end (or reset) of the stream after the last chunk. Chunks wait in a
 * queue drained by one timer, so order holds whatever the timer granularity.
 */
function relay(from: Socket, to: Socket, delayMs: number): void {
  const queue: { dueAt: number; item: Buffer | 'end' | 'reset' }[] = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    const now = performance.now();
    // Everything due goes out in one write (cork), as a real link would deliver it.
    to.cork();
    while (queue.length > 0 && queue[0]!.dueAt <= now) {
      const { item } = queue.shift()!;
      if (to.destroyed) return;
      if (item === 'end') to.end();
      else if (item === 'reset') to.destroy();
      else to.write(item);
    }
    to.uncork();
    if (queue.length > 0) schedule(queue[0]!.dueAt - now);
  };
  const schedule = (ms: number) => {
    scheduled = true;
    setTimeout(drain, ms);
  };
  const push = (item: Buffer | 'end' | 'reset') => {
    queue.push({ dueAt: performance.now() + delayMs, item });
    if (!scheduled) schedule(delayMs);
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push('end'));
  // A stream that closed without its end takes the other side down once its data is out.
  from.on('close', () => {
    if (!from.readableEnded) push('reset');
  });
}

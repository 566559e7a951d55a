// A TCP proxy on loopback that adds a fixed delay to every chunk, each way,
// so a target on 127.0.0.1 answers as if it were across a real link: with
// 20 ms each way, every request/response round trip takes at least 40 ms.
// Used by the benchmarks (rate limits across latency) and by the tests that
// prove the burst sizes itself from the round trip.
//
// It works below HTTP (it never parses a byte), so it carries HTTP/1.1,
// pipelining, TLS and HTTP/2 alike. All connections share one delay line per
// proxy: what arrived first leaves first, whichever connection it is on, so
// the proxy itself never reorders (it would blur the precision it is used to
// measure). What it does not model: the TCP handshake (the proxy accepts at
// once, so a new connection costs no extra round trip, where a real link adds
// one), bandwidth limits, loss or reordering.
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
  const line = delayLine(delayMs);
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
    relay(client, upstream, line);
    relay(upstream, client, line);
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

/** Each chunk (or end, or reset) goes to its socket `delayMs` after it was pushed, in the order pushed. */
type DelayLine = (to: Socket, item: Buffer | 'end' | 'reset') => void;

function delayLine(delayMs: number): DelayLine {
  const queue: { dueAt: number; to: Socket; item: Buffer | 'end' | 'reset' }[] = [];
  let scheduled = false;
  const schedule = (ms: number) => {
    scheduled = true;
    setTimeout(drain, ms);
  };
  const drain = () => {
    scheduled = false;
    const now = performance.now();
    // Everything due leaves together, one write per socket (cork), as a real link would deliver it.
    const corked = new Set<Socket>();
    while (queue.length > 0 && queue[0]!.dueAt <= now) {
      const { to, item } = queue.shift()!;
      if (to.destroyed) continue;
      if (item === 'end' || item === 'reset') {
        // What was written before it goes out first.
        if (corked.delete(to)) to.uncork();
        if (item === 'end') to.end();
        else to.destroy();
      } else {
        if (!corked.has(to)) {
          to.cork();
          corked.add(to);
        }
        to.write(item);
      }
    }
    for (const s of corked) s.uncork();
    if (queue.length > 0) schedule(queue[0]!.dueAt - now);
  };
  return (to, item) => {
    queue.push({ dueAt: performance.now() + delayMs, to, item });
    if (!scheduled) schedule(delayMs);
  };
}

/** Copies `from` to `to` through the delay line: every chunk, then the end (or a reset) of the stream. */
function relay(from: Socket, to: Socket, line: DelayLine): void {
  from.on('data', (chunk: Buffer) => line(to, chunk));
  from.on('end', () => line(to, 'end'));
  // A stream that closed without its end takes the other side down once its data is out.
  from.on('close', () => {
    if (!from.readableEnded) line(to, 'reset');
  });
}

// The reference target as a test fixture for whole runs: started in the test
// process (so the test can count what it received and list its keys), with
// the demo's keys, and optionally behind a counting proxy that sees every
// request keyprobe sends, management (/admin) requests included.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { expect } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import type { KeyView } from '../../src/reference/index.js';
import { listen, type Listener } from './helpers.js';

export type { Demo };

export async function startReference(faults: readonly string[] = []): Promise<Demo> {
  return startDemo([...faults]);
}

/** How long to hold the n-th request (1-based, /admin left out), given the ms since the first one arrived. */
export type Schedule = (n: number, sinceFirstMs: number, req: IncomingMessage) => number;

export interface CountingProxy {
  readonly origin: string;
  /** Every request that reached the proxy, /admin included. */
  count(): number;
  close(): Promise<void>;
}

/** A pass-through proxy on loopback that counts requests (and can answer some with a redirect instead); point the profile's origin at it. */
export async function countingProxy(
  targetOrigin: string,
  opts: {
    redirect?: (method: string, url: string) => { status: number; location: string } | undefined;
    /** Hold every request this long before forwarding it. */
    delayMs?: number;
    /** Or: a hold per request. */
    schedule?: Schedule;
  } = {},
): Promise<CountingProxy> {
  let count = 0;
  let scheduled = 0;
  let firstAt: number | undefined;
  const upstream = new URL(targetOrigin);
  const agent = new Agent({ keepAlive: true });
  const listener: Listener = await listen(
    createServer((req, res) => {
      count++;
      const redirect = opts.redirect?.(req.method ?? 'GET', req.url ?? '/');
      if (redirect) return void res.writeHead(redirect.status, { location: redirect.location }).end();
      let hold = opts.delayMs ?? 0;
      if (opts.schedule && !req.url?.startsWith('/admin')) {
        firstAt ??= performance.now();
        hold = opts.schedule(++scheduled, performance.now() - firstAt, req);
      }
      if (hold > 0) req.pause();
      setTimeout(() => forward(req, res), Math.max(0, hold));
    }),
  );
  function forward(req: IncomingMessage, res: ServerResponse): void {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
    req.resume();
  }
  return {
    origin: listener.origin,
    count: () => count,
    close: async () => {
      await listener.close();
      agent.destroy();
    },
  };
}

export interface KeyState {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
}

export function keyStates(keys: readonly KeyView[]): KeyState[] {
  return keys.map((k) => ({ id: k.id, name: k.name, enabled: k.enabled })).sort((a, b) => a.id.localeCompare(b.id));
}

/** Same keys as before the run, each as enabled as before: no canary left behind, no key left disabled. */
export function expectKeysAsBefore(demo: Demo, before: readonly KeyState[]): void {
  expect(keyStates(demo.target.listKeys())).toEqual(before);
}

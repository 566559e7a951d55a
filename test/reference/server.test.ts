import { Agent, request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startReferenceTarget } from '../../src/reference/index.js';
import { admin, call, createKey, start } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the server process', () => {
  it('prints nothing, even on bad input and under the crashing fault', async () => {
    const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
    const logs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const target = await start({ faults: { 'server-error-on-bad-key': true } });
    const key = createKey(target, { scopes: ['*'] });
    await call(target, 'GET', '/v1/agents', { authorization: 'Bearer !!!' });
    await call(target, 'POST', '/v1/agents', { key: key.secret, rawBody: '{' });
    await call(target, 'GET', '/v1/agents/%E0%A4%A', { key: key.secret });
    await admin(target, 'POST', '/keys', { rawBody: 'x'.repeat(100_000) });
    await admin(target, 'PUT', '/faults/nope');
    for (const spy of [...writes, ...logs]) expect(spy).not.toHaveBeenCalled();
  });

  it('close() returns promptly with an idle keep-alive connection open', async () => {
    const target = await startReferenceTarget();
    const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
    const answer = await request(`${target.origin}/healthz`, { dispatcher });
    await answer.body.text();
    const started = Date.now();
    await target.close();
    expect(Date.now() - started).toBeLessThan(500);
    await dispatcher.close();
  });

  it('listens on loopback, on an ephemeral port by default', async () => {
    const a = await start();
    const b = await start();
    expect(a.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(a.port).not.toBe(b.port);
  });
});

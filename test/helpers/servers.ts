// Loopback servers a test file starts, closed after each test with their
// open keep-alive connections (a client's idle connection would otherwise
// hold close() open until it times out).
import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import type { RunningTest } from './running-test.js';

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
}

/** Registers the afterEach that closes them; push each server the file starts. */
export function closedAfterEach(): Server[] {
  const servers: Server[] = [];
  afterEach(() => closeAll(servers));
  return servers;
}

/**
 * Servers of one running test, closed when it finishes: a concurrent test's own
 * (an afterEach would close every running test's servers as the first one ends).
 */
export function closedWhenFinished(test: RunningTest): Server[] {
  const servers: Server[] = [];
  test.onTestFinished(() => closeAll(servers));
  return servers;
}

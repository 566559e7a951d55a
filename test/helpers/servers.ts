// Loopback servers a test file starts, closed after each test with their
// open keep-alive connections (a client's idle connection would otherwise
// hold close() open until it times out).
import type { Server } from 'node:http';
import { afterEach } from 'vitest';

/** Registers the afterEach that closes them; push each server the file starts. */
export function closedAfterEach(): Server[] {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise((r) => {
            s.closeAllConnections();
            s.close(r);
          }),
      ),
    );
  });
  return servers;
}

// A server or temp dir a concurrent test opens is that test's, whatever its
// neighbours do. vitest's global onTestFinished registers on the test vitest
// started last: listenForTest and tempDirForTest, registering through it, gave
// one concurrent test's server to its neighbour, whose end closed it while the
// first test still talked to it (test/helpers/running-test.ts).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { describe, it } from 'vitest';
import { listenForTest, tempDirForTest } from './helpers.js';

describe.concurrent('cleanup registered by a concurrent test', () => {
  let neighbourStarted!: () => void;
  const started = new Promise<void>((resolve) => (neighbourStarted = resolve));
  let opened!: () => void;
  const openedYet = new Promise<void>((resolve) => (opened = resolve));
  let neighbourFinished!: () => void;
  const finished = new Promise<void>((resolve) => (neighbourFinished = resolve));

  it('keeps its server and temp dir until it ends itself', async (ctx) => {
    const { expect } = ctx;
    // Registered while the neighbour is the test vitest started last.
    await started;
    const listener = await listenForTest(
      createServer((_req, res) => res.end('open')),
      ctx,
    );
    const tmp = tempDirForTest('keyprobe-concurrent-', ctx);
    opened();
    await finished;
    expect(await (await fetch(listener.origin)).text()).toBe('open');
    expect(existsSync(tmp.dir)).toBe(true);
  });

  it('ends first (its neighbour is still running)', async (ctx) => {
    // Hooks run in reverse order of registration: this one runs after anything registered on this test later.
    ctx.onTestFinished(() => neighbourFinished());
    neighbourStarted();
    await openedYet;
  });
});

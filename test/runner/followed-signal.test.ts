// A profile's own abort signal (src/runner/followed-signal.ts): it aborts
// with the run's, and once the profile is over nothing keeps it alive
// (issue #15). AbortSignal.any([run]), which it replaces, is kept by Node for
// as long as it has an 'abort' listener and the run's signal lives: with the
// HTTP client's listener on it, every finished profile's signal, and all its
// listeners held, lived until the run ended.
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { followedSignal } from '../../src/runner/followed-signal.js';

const BUILT = fileURLToPath(new URL('../../dist/runner/followed-signal.js', import.meta.url));

/** How many of 200 profile signals, each with an abort listener that is never removed, are still alive after GC. */
function aliveAfterGc(make: 'followed' | 'any'): number {
  const script = `
    const { followedSignal } = await import(${JSON.stringify(BUILT)});
    const run = new AbortController();
    const oneProfile = () => {
      const profile = ${make === 'followed' ? 'followedSignal(run.signal)' : '{ signal: AbortSignal.any([run.signal]), release: () => {} }'};
      profile.signal.addEventListener('abort', () => {});
      profile.release();
      return new WeakRef(profile.signal);
    };
    const refs = [];
    for (let i = 0; i < 200; i++) refs.push(oneProfile());
    for (let i = 0; i < 5; i++) { await new Promise((r) => setImmediate(r)); globalThis.gc(); }
    process.stdout.write(String(refs.filter((r) => r.deref() !== undefined).length));
  `;
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(child.stderr).toBe('');
  return Number(child.stdout);
}

describe('followedSignal', () => {
  it('aborts with the source, with its reason', () => {
    const run = new AbortController();
    const profile = followedSignal(run.signal);
    expect(profile.signal.aborted).toBe(false);
    run.abort('interrupted');
    expect(profile.signal.aborted).toBe(true);
    expect(profile.signal.reason).toBe('interrupted');
  });

  it('is aborted already when the source is', () => {
    const run = new AbortController();
    run.abort('interrupted');
    const profile = followedSignal(run.signal);
    expect(profile.signal.aborted).toBe(true);
    expect(profile.signal.reason).toBe('interrupted');
  });

  it('no longer follows once released', () => {
    const run = new AbortController();
    const profile = followedSignal(run.signal);
    profile.release();
    run.abort('interrupted');
    expect(profile.signal.aborted).toBe(false);
  });

  it('many profiles follow the run through one listener, so Node warns of no leak however many run at once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const run = new AbortController();
      const profiles = Array.from({ length: 50 }, () => followedSignal(run.signal));
      expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
      profiles[3]!.release();
      run.abort('interrupted');
      expect(profiles.filter((p) => p.signal.aborted)).toHaveLength(49);
      expect(profiles[0]!.signal.reason).toBe('interrupted');
      // Node emits its MaxListenersExceededWarning on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('puts one listener on the source however many profiles follow it, and takes it off once none does', () => {
    // A listener per profile put every profile's on the run's signal at once, and Node warned of a leak past ten.
    const run = new AbortController();
    const profiles = Array.from({ length: 20 }, () => followedSignal(run.signal));
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    for (const p of profiles.slice(1)) p.release();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    profiles[0]!.release();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    // Following again after all were released: the source listens again, and an abort reaches only who follows.
    const again = [followedSignal(run.signal), followedSignal(run.signal)];
    again[1]!.release();
    run.abort('interrupted');
    expect(again.map((p) => p.signal.aborted)).toEqual([true, false]);
    expect(again[0]!.signal.reason).toBe('interrupted');
    expect(profiles.some((p) => p.signal.aborted)).toBe(false);
  });

  it('is collected once released, though a listener stays on it (AbortSignal.any is not)', () => {
    expect(aliveAfterGc('followed')).toBe(0);
    expect(aliveAfterGc('any')).toBe(200);
  });
});
